"""Gapless numbers: the next number of a series in a year, in the caller's transaction."""

from django.db import IntegrityError, transaction

from .models import NumberSequence


def next_number(series: str, year: int) -> int:
    """Reserve and return the next number. Must run inside the transaction that uses it:
    if that transaction rolls back, so does the reservation, and no gap is left."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that uses the number")
    row = NumberSequence.objects.select_for_update().filter(series=series, year=year).first()
    if row is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(series=series, year=year, last=0)
        except IntegrityError:
            pass  # another transaction created it first
        row = NumberSequence.objects.select_for_update().get(series=series, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return row.last
