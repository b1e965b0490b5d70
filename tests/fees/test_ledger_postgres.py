"""What only PostgreSQL can show: the append-only trigger, and gapless vouchers under concurrent writers."""

import threading
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from fees import services
from fees.models import LedgerEntry
from tests.factories import CompanyFactory, EstateFactory, contract

WRITERS = 8
ENTRIES = 500


@pytest.mark.postgres
def test_raw_sql_cannot_update_or_delete_a_ledger_entry(pilot):
    entry = services.record_income(actor=None, estate=pilot, category="common", amount="100.00", entry_date=timezone.localdate(),
                                   description="广告位租金")
    for sql in ("UPDATE fees_ledgerentry SET amount = 1 WHERE id = %s", "DELETE FROM fees_ledgerentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="ledger_append_only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == 100


@pytest.mark.postgres
def test_the_orm_cannot_update_or_delete_a_ledger_entry_either(pilot):
    entry = services.record_income(actor=None, estate=pilot, category="common", amount="100.00", entry_date=timezone.localdate(),
                                   description="广告位租金")
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(description="改过")
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_concurrent_writers_leave_no_gap_and_no_duplicate():
    estate = EstateFactory()
    contract(estate, CompanyFactory(), mode="remuneration", starts_on=date(2020, 1, 1), ends_on=date(2035, 12, 31))
    today = timezone.localdate()
    barrier = threading.Barrier(WRITERS)
    failures = []

    def write(writer):
        try:
            barrier.wait()
            for n in range(ENTRIES):
                try:
                    with transaction.atomic():
                        services.record_income(actor=None, estate=estate, category="common", amount="1.00", entry_date=today,
                                               description=f"w{writer}-{n}")
                        if n % 10 == 9:
                            raise RuntimeError("rolled back on purpose")
                except RuntimeError:
                    pass
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    numbers = sorted(LedgerEntry.objects.filter(estate=estate, ledger="income", year=today.year).values_list("number", flat=True))
    kept = WRITERS * ENTRIES * 9 // 10
    assert numbers == list(range(1, kept + 1))
