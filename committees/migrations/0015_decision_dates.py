"""A committee decision is measured against the members seated at its meeting, and has the day it
took effect (the posting days count from it):

* ``members_total``: for the decisions recorded before it was kept, the members seated on the
  meeting's day (those who had not left before it), the same count the meeting used;
* ``adopted_on``: an adopted decision took effect on its meeting's day (the only day known);
* the posting days of the results and decisions whose notice went live before the posting day was
  recorded: the day the notice was first published, where it is live and the day is empty.

The backfill is not undone: going back drops the two fields, and the posting days stay (they are
the days the notices went up)."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import Q
from django.utils import timezone


def backfill(apps, schema_editor):
    Decision = apps.get_model("committees", "Decision")
    Member = apps.get_model("committees", "Member")
    Vote = apps.get_model("committees", "Vote")
    Page = apps.get_model("wagtailcore", "Page")
    seats: dict[tuple[int, object], int] = {}
    for decision in Decision.objects.filter(members_total=None).select_related("meeting"):
        meeting = decision.meeting
        key = (meeting.committee_id, meeting.held_on)
        if key not in seats:
            seats[key] = (
                Member.objects.filter(committee_id=meeting.committee_id)
                .filter(Q(left_on=None) | Q(left_on__gt=meeting.held_on))
                .count()
            )
        decision.members_total = seats[key]
        if decision.adopted and decision.adopted_on is None:
            decision.adopted_on = meeting.held_on
        decision.save(update_fields=["members_total", "adopted_on"])

    zone = timezone.get_default_timezone() if settings.USE_TZ else None

    def day_of(notice_id):
        at = published.get(notice_id)
        return None if at is None else timezone.localdate(at, zone)

    votes = list(Vote.objects.filter(result_posted_on=None).exclude(result_notice=None))
    decisions = list(Decision.objects.filter(posted_on=None).exclude(notice=None))
    ids = {v.result_notice_id for v in votes} | {d.notice_id for d in decisions}
    published = dict(
        Page.objects.filter(pk__in=ids, live=True)
        .exclude(first_published_at=None)
        .values_list("pk", "first_published_at")
    )
    for vote in votes:
        if (day := day_of(vote.result_notice_id)) is not None:
            Vote.objects.filter(pk=vote.pk).update(result_posted_on=day)
    for decision in decisions:
        if (day := day_of(decision.notice_id)) is not None:
            Decision.objects.filter(pk=decision.pk).update(posted_on=day)


class Migration(migrations.Migration):
    dependencies = [
        ("committees", "0014_consents"),
        ("cms", "0002_drop_wagtail_default_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="decision",
            name="members_total",
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="决定时委员总数"),
        ),
        migrations.AddField(
            model_name="decision",
            name="adopted_on",
            field=models.DateField(blank=True, null=True, verbose_name="生效日期"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
