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


def _race(*, entries, estate_of, rolled_back, actor_pk=None):
    """WRITERS threads, each on its own connection, start together and each record ``entries``
    incomes (writer w's n-th on ``estate_of(w, n)``), rolling back those ``rolled_back(n)`` picks.
    With ``actor_pk`` each writer acts as that account, read on its own connection."""
    from django.contrib.auth import get_user_model

    today = timezone.localdate()
    barrier = threading.Barrier(WRITERS)
    failures = []

    def write(writer):
        try:
            actor = get_user_model().objects.get(pk=actor_pk) if actor_pk else None
            barrier.wait()
            for n in range(entries):
                try:
                    with transaction.atomic():
                        services.record_income(
                            actor=actor,
                            estate=estate_of(writer, n),
                            category="common",
                            amount="1.00",
                            entry_date=today,
                            description=f"w{writer}-{n}",
                        )
                        if rolled_back(n):
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


@pytest.mark.postgres
def test_raw_sql_cannot_update_or_delete_a_ledger_entry(pilot):
    entry = services.record_income(
        actor=None,
        estate=pilot,
        category="common",
        amount="100.00",
        entry_date=timezone.localdate(),
        description="广告位租金",
    )
    for sql in ("UPDATE fees_ledgerentry SET amount = 1 WHERE id = %s", "DELETE FROM fees_ledgerentry WHERE id = %s"):
        with (
            pytest.raises(DatabaseError, match="ledger_append_only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == 100


@pytest.mark.postgres
def test_the_orm_cannot_update_or_delete_a_ledger_entry_either(pilot):
    entry = services.record_income(
        actor=None,
        estate=pilot,
        category="common",
        amount="100.00",
        entry_date=timezone.localdate(),
        description="广告位租金",
    )
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
    _race(entries=ENTRIES, estate_of=lambda writer, n: estate, rolled_back=lambda n: n % 10 == 9)
    numbers = sorted(
        LedgerEntry.objects.filter(estate=estate, ledger="income", year=today.year).values_list("number", flat=True)
    )
    kept = WRITERS * ENTRIES * 9 // 10
    assert numbers == list(range(1, kept + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_payout_and_concurrent_top_ups_lose_nothing():
    """One keeper pays out a project over 200 sub-accounts while four others post top-ups to the same
    units: every amount lands, every sub-account adds up, and the fund's vouchers have no gap."""
    from decimal import Decimal

    from community.models import Building
    from fees.fund import selectors as fund_selectors
    from fees.fund import services as fund_services
    from fees.models import SubAccount
    from tests.factories import UnitFactory

    estate = EstateFactory()
    building = Building.objects.create(estate=estate, name="3栋")
    units = [UnitFactory(building=building, room=f"{n:03d}", registered_area=Decimal("80.00") + n) for n in range(200)]
    today = timezone.localdate()
    account = fund_services.open_account(
        actor=None,
        estate=estate,
        bank="建行",
        account_number="1",
        construction_cost="2000",
        deposit_pct="6",
        custodian="中心",
        opened_on=date(2020, 1, 1),
    )
    fund_services.open_subaccounts(actor=None, account=account, on=date(2020, 1, 1))
    use = fund_services.plan_use(
        actor=None,
        estate=estate,
        title="屋面",
        kind="roof",
        plan="防水",
        budget="123456.78",
        contractor="某公司",
        buildings=[building],
        emergency=True,
        emergency_reason="漏水进户",
    )
    use = fund_services.record_works_done(actor=None, use=use, done_on=today, acceptance="合格")
    use = fund_services.apply_payout(actor=None, use=use, settlement="123456.78")
    use = fund_services.review_payout(actor=None, use=use, approve=True)
    first = {s.unit_id: s.first_deposit for s in SubAccount.objects.filter(account=account)}
    threads_n, per_thread = 4, 50
    barrier = threading.Barrier(threads_n + 1)
    failures = []

    def pay():
        try:
            barrier.wait()
            fund_services.pay_out(actor=None, use=use, paid_on=today)
        except Exception as exc:  # noqa: BLE001 (reported below)
            failures.append(repr(exc))
        finally:
            connection.close()

    def top_up(writer):
        try:
            barrier.wait()
            for n in range(per_thread):
                fund_services.top_up(
                    actor=None, unit=units[(writer * per_thread + n) % len(units)], amount="10.01", on=today
                )
        except Exception as exc:  # noqa: BLE001
            failures.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=pay)] + [threading.Thread(target=top_up, args=(w,)) for w in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    charged = {row.unit_id: row.amount for row in fund_selectors.split_rows(use)}
    assert sum(charged.values()) == Decimal("123456.78")
    topped = {u.pk: Decimal("0") for u in units}
    for writer in range(threads_n):
        for n in range(per_thread):
            topped[units[(writer * per_thread + n) % len(units)].pk] += Decimal("10.01")
    for unit in units:
        assert fund_selectors.balance_of(unit) == first[unit.pk] - charged[unit.pk] + topped[unit.pk]
    numbers = sorted(
        LedgerEntry.objects.filter(estate=estate, ledger="fund", year=today.year).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 200 + threads_n * per_thread + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_racing_on_new_series_with_a_real_keeper_number_each_estate_gaplessly():
    """Eight company keepers' requests, each on its own connection, start together on two estates
    whose series have no counter yet (the first use makes it): every kept entry is numbered once,
    1..n per estate, and a rolled-back entry leaves no hole."""
    from community.models import Role
    from tests.factories import user_with_role

    company = CompanyFactory()
    estates = [EstateFactory(), EstateFactory()]
    for estate in estates:
        contract(estate, company, mode="remuneration", starts_on=date(2020, 1, 1), ends_on=date(2035, 12, 31))
    keeper_pk = user_with_role(Role.COMPANY_STAFF, company).pk
    today = timezone.localdate()
    per_writer = 60
    _race(
        entries=per_writer,
        estate_of=lambda writer, n: estates[(writer + n) % 2],
        rolled_back=lambda n: n % 7 == 3,
        actor_pk=keeper_pk,
    )
    kept = sum(1 for n in range(per_writer) if n % 7 != 3) * WRITERS
    per_estate = [
        sorted(LedgerEntry.objects.filter(estate=e, ledger="income", year=today.year).values_list("number", flat=True))
        for e in estates
    ]
    assert sum(map(len, per_estate)) == kept
    for numbers in per_estate:
        assert numbers == list(range(1, len(numbers) + 1))
