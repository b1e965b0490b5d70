"""Gapless numbers: the next number of a series in a year, in the caller's transaction."""

from django.db import IntegrityError, connection, transaction

from .models import NumberSequence


def next_number(series: str, year: int, count: int = 1) -> int:
    """Reserve and return the next number (or the first of the next ``count`` numbers,
    for a batch of entries posted together). Must run inside the transaction that uses it:
    if that transaction rolls back, so does the reservation, and no gap is left.

    One statement, UPDATE ... RETURNING, both locks the counter row until the caller's
    transaction ends and reads the new value: every other writer of the series waits for
    that commit, so keep the work after this call short."""
    if count < 1:
        raise ValueError("reserve at least one number")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that uses the number")
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    sql = f"UPDATE {table} SET last = last + %s WHERE series = %s AND year = %s RETURNING last"
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, series, year])
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    NumberSequence.objects.create(series=series, year=year, last=0)
            except IntegrityError:
                pass  # another transaction created it first
            cursor.execute(sql, [count, series, year])
            row = cursor.fetchone()
    return row[0] - count + 1
