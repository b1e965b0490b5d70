"""Gapless numbers: the next number of a series in a year, in the caller's transaction.

A series' counter row (NumberSequence) is advanced by UPDATE ... RETURNING, which both locks
the row until the caller's transaction ends and reads the new value: every other writer of
the series waits for that commit, and if the transaction rolls back, so does the advance, and
no gap is left. Two ways in, one counter statement:

- ``next_number`` hands the number back, for a record that spells it into other text (a case
  number such as 某社区报〔2026〕12号) or a batch that numbers thousands of rows itself;
- ``insert_numbered`` advances the counter and inserts the record carrying the number: on
  PostgreSQL as one statement (the UPDATE in a CTE feeding the INSERT), so the counter is held
  for one round trip and the commit; elsewhere (SQLite, which serialises writers anyway) as the
  UPDATE and then the INSERT, in the same transaction.
"""

from django.db import IntegrityError, connection, transaction

from .models import NumberSequence


def _advance_sql(count: str = "%s") -> str:
    """The counter statement: the series' row moves on by ``count`` and hands back its new last number."""
    table = connection.ops.quote_name(NumberSequence._meta.db_table)
    return f"UPDATE {table} SET last = last + {count} WHERE series = %s AND year = %s RETURNING last"


def _in_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must run inside the transaction that uses the number")


def _counted(cursor, sql: str, params: list, series: str, year: int):
    """Run a statement built on the counter statement and return its row; a series' first use makes its counter."""
    cursor.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(series=series, year=year, last=0)
        except IntegrityError:
            pass  # another transaction created it first
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row


def next_number(series: str, year: int, count: int = 1) -> int:
    """Reserve and return the next number (or the first of the next ``count`` numbers,
    for a batch of entries posted together). Must run inside the transaction that uses it:
    if that transaction rolls back, so does the reservation, and no gap is left.
    The counter stays locked until that transaction ends, so keep the work after this call short."""
    if count < 1:
        raise ValueError("reserve at least one number")
    _in_transaction("next_number")
    with connection.cursor() as cursor:
        row = _counted(cursor, _advance_sql(), [count, series, year], series, year)
    return row[0] - count + 1


def insert_numbered(obj, *, series: str, year: int, field: str = "number") -> int:
    """Give the unsaved model instance ``obj`` the next number of ``series`` in ``year`` (in its
    ``field``) and insert it, inside the caller's transaction; returns the number, and ``obj`` comes
    back saved (its primary key set). As ``Model.save(force_insert=True)`` writes the row (each
    field's pre_save and database conversion), but sends no save signals: the numbered records
    (ledger entries) have no receivers. Call it last before the commit: the counter stays locked
    until then."""
    _in_transaction("insert_numbered")
    meta = type(obj)._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    numbered = meta.get_field(field)
    values = [None if f is numbered else f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    qn = connection.ops.quote_name
    table, columns, pk = qn(meta.db_table), ", ".join(qn(f.column) for f in fields), qn(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip: the counter's new value goes straight into the row.
            select = ", ".join("n.last" if f is numbered else "%s" for f in fields)
            sql = (
                f"WITH n AS ({_advance_sql('1')}) INSERT INTO {table} ({columns}) "
                f"SELECT {select} FROM n RETURNING {pk}, {qn(numbered.column)}"
            )
            params = [series, year, *(v for f, v in zip(fields, values, strict=True) if f is not numbered)]
            obj.pk, number = _counted(cursor, sql, params, series, year)
        else:
            number = _counted(cursor, _advance_sql("1"), [series, year], series, year)[0]
            values[fields.index(numbered)] = number
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {pk}", values
            )
            obj.pk = cursor.fetchone()[0]
    setattr(obj, numbered.attname, number)
    obj._state.adding, obj._state.db = False, connection.alias
    return number
