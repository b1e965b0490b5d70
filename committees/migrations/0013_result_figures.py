"""A closed vote's stored result keeps only figures that are true on their own: the
``approved`` flag (the approval shares met, whether or not the quorum was) could read
"approved" for a vote that missed its quorum, so it is removed; ``decided`` is the outcome."""

from django.db import migrations


def strip_approved(apps, schema_editor):
    """Remove ``approved`` from every stored result; returns how many results changed."""
    Vote = apps.get_model("committees", "Vote")
    changed = []
    for vote in Vote.objects.exclude(result=None).only("pk", "result").iterator(chunk_size=500):
        if isinstance(vote.result, dict) and "approved" in vote.result:
            vote.result = {k: v for k, v in vote.result.items() if k != "approved"}
            changed.append(vote)
    Vote.objects.bulk_update(changed, ["result"], batch_size=500)
    return len(changed)


class Migration(migrations.Migration):
    dependencies = [("committees", "0012_law_life")]

    operations = [migrations.RunPython(strip_approved, migrations.RunPython.noop)]
