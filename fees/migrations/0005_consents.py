"""Each member signs for themself (issue 22): an expenditure's "members in favour" become
committees.Consent rows, the one record of a member's agreement. Those listed before were
approvals already in force, so they move as confirmed at the decision's time, recorded by
whoever recorded the decision."""

from django.db import migrations


def move_in_favour(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Expenditure = apps.get_model("fees", "Expenditure")
    Consent = apps.get_model("committees", "Consent")
    through = Expenditure.in_favour.through
    rows = list(through.objects.select_related("expenditure").order_by("expenditure_id", "member_id"))
    if not rows:
        return
    kind, _ = ContentType.objects.get_or_create(app_label="fees", model="expenditure")
    Consent.objects.bulk_create(
        Consent(
            member_id=row.member_id,
            subject_type=kind,
            subject_id=row.expenditure_id,
            recorded_by_id=row.expenditure.decided_by_id,
            recorded_at=row.expenditure.decided_at or row.expenditure.requested_at,
            confirmed_at=row.expenditure.decided_at or row.expenditure.requested_at,
        )
        for row in rows
    )


class Migration(migrations.Migration):
    dependencies = [
        ("fees", "0004_append_only_triggers"),
        ("committees", "0014_consents"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # Irreversible (reverse_code=None): going back would drop the consents' only copy of who
        # agreed without putting the in-favour lists back, so Django refuses it instead of losing them.
        migrations.RunPython(move_in_favour, reverse_code=None),
        migrations.RemoveField(model_name="expenditure", name="in_favour"),
    ]
