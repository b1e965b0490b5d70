"""Each member signs for themself (issue 22): a committee decision's "members in favour" become
Consent rows, the one record of a member's agreement. The members listed before were signed on
the meeting's paper minutes, so they move as confirmed, on the meeting's day, recorded by the
system (no recorder was kept on a decision)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models


def move_in_favour(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Decision = apps.get_model("committees", "Decision")
    Consent = apps.get_model("committees", "Consent")
    through = Decision.in_favour.through
    rows = list(through.objects.select_related("decision__meeting").order_by("decision_id", "member_id"))
    if not rows:
        return
    kind, _ = ContentType.objects.get_or_create(app_label="committees", model="decision")
    zone = ZoneInfo(settings.TIME_ZONE)
    Consent.objects.bulk_create(
        Consent(
            member_id=row.member_id,
            subject_type=kind,
            subject_id=row.decision_id,
            recorded_by=None,
            recorded_at=(at := datetime.combine(row.decision.meeting.held_on, time(0, 0), tzinfo=zone)),
            confirmed_at=at,
        )
        for row in rows
    )


class Migration(migrations.Migration):
    dependencies = [
        ("committees", "0013_result_figures"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="consent",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="登记人",
            ),
        ),
        # Irreversible (reverse_code=None): going back would drop the consents' only copy of who
        # agreed without putting the in-favour lists back, so Django refuses it instead of losing them.
        migrations.RunPython(move_in_favour, reverse_code=None),
        migrations.RemoveField(model_name="decision", name="in_favour"),
    ]
