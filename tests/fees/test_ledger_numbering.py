"""How an entry gets its voucher number: advanced and inserted together (one statement on
PostgreSQL), in the caller's transaction, with no gap left by a rollback (both databases)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community import access
from community.models import NumberSequence, Role
from community.sequences import insert_numbered, next_number
from fees import ledger, services
from fees.models import LedgerEntry

TODAY = timezone.localdate


def line(description="广告位租金", amount=Decimal("1.00")):
    return dict(category="common", amount=amount, description=description)


def post(estate, on=None, **kwargs):
    return ledger.post(
        actor=None, estate=estate, ledger="income", entry_date=on or TODAY(), keeper="某物业", **(line() | kwargs)
    )


def touching(queries, *tables):
    return [q["sql"] for q in queries if any(t in q["sql"] for t in tables)]


def test_an_entry_is_numbered_and_inserted_in_one_statement(pilot):
    with transaction.atomic():
        post(pilot)  # the series' first use makes its counter
        with CaptureQueriesContext(connection) as queries:
            entry = post(pilot, description="第二笔")
    numbering = touching(queries, "community_numbersequence", "fees_ledgerentry")
    if connection.vendor == "postgresql":
        # The counter's UPDATE ... RETURNING feeds the INSERT: one round trip holds the counter.
        assert len(numbering) == 1 and numbering[0].startswith("WITH n AS (UPDATE")
        assert "INSERT INTO" in numbering[0]
    else:
        # SQLite has no UPDATE inside a CTE: the counter, then the row, in the same transaction.
        assert [sql.split()[0] for sql in numbering] == ["UPDATE", "INSERT"]
    # Besides that, only the closed-period check: no MAX over the vouchers, no read of the counter.
    assert len(queries) == len(numbering) + 1
    assert not touching(queries, 'MAX("fees_ledgerentry"', "SELECT last")
    assert entry.pk and entry.number == 2 and not entry._state.adding
    assert LedgerEntry.objects.get(pk=entry.pk).description == "第二笔"


def test_a_request_costs_the_same_fixed_queries_for_every_entry(pilot, world):
    """A company keeper recording income: its grants once, the access check, the keeper of the
    books, the closed-period check, and the numbered insert; no more for the hundredth entry."""
    keeper = world.users[Role.COMPANY_STAFF]
    counts = []
    for n in range(3):
        access.forget(keeper)  # each entry is a request of its own
        with CaptureQueriesContext(connection) as queries:
            entry = services.record_income(
                actor=keeper, estate=pilot, category="common", amount="10.00", entry_date=TODAY(), description=f"{n}"
            )
        counts.append(len(queries))
        assert entry.number == n + 1
    statement = 1 if connection.vendor == "postgresql" else 2
    # The test's own transaction makes record_income's atomic a savepoint: two statements around it.
    assert counts[1:] == [2 + 4 + statement] * 2


def test_a_rolled_back_entry_inside_a_larger_transaction_leaves_no_gap(pilot):
    with transaction.atomic():
        first = post(pilot)
        with pytest.raises(RuntimeError), transaction.atomic():
            post(pilot, description="撤回")
            raise RuntimeError("rolled back")
        second = post(pilot)
    assert (first.number, second.number) == (1, 2)
    assert NumberSequence.objects.get(series=f"ledger:{pilot.pk}:income", year=TODAY().year).last == 2


def test_each_year_and_each_ledger_is_numbered_on_its_own(pilot):
    last_year = TODAY().replace(month=1, day=1) - timedelta(days=1)
    with transaction.atomic():
        numbers = [
            post(pilot).number,
            post(pilot, on=last_year).number,
            post(pilot).number,
            ledger.post(
                actor=None,
                estate=pilot,
                ledger="expenditure",
                entry_date=TODAY(),
                keeper="某物业",
                category="repairs",
                amount="5.00",
                description="维修",
            ).number,
        ]
    assert numbers == [1, 1, 2, 1]
    assert [e.voucher for e in LedgerEntry.objects.filter(estate=pilot, ledger="income", year=last_year.year)] == [
        f"收{last_year.year}-00001"
    ]


def test_a_batch_and_single_entries_share_one_series(pilot):
    with transaction.atomic():
        post(pilot)
        batch = ledger.post_many(
            actor=None,
            estate=pilot,
            ledger="income",
            entry_date=TODAY(),
            keeper="某物业",
            lines=[line(f"第{n}笔") for n in range(3)],
        )
        after = post(pilot)
    assert (batch.first, batch.count, after.number) == (2, 3, 5)
    assert next(iter(batch.entries())).number == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_numbers_are_taken_only_inside_the_transaction_that_uses_them():
    entry = LedgerEntry(ledger="income", year=2026, category="common", amount="1.00", description="x")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        insert_numbered(entry, series="test:outside", year=2026)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        next_number("test:outside", 2026)
    assert not NumberSequence.objects.filter(series="test:outside").exists()
    assert entry.pk is None
