"""Rows for the dashboard's tests, written straight to the tables (the dashboard reads records;
how the services make them is their own tests' business): bills and what was paid on them,
fund ledger entries, residents' requests with their steps, exam sittings, mediation cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from committees.models import Attempt, ExamSession
from fees.models import Allocation, Bill, BillingRun, FeeItem, FeeSchedule, FundAccount, LedgerEntry, Payment
from grid.models import CaseStatus, GridCase, GridCaseStep, Level, Source
from mediation.models import Agreement, CaseStep
from mediation.models import Case as MediationCase
from tests.factories import UnitFactory

_n = count(1)
S = CaseStatus


def fee_item(estate):
    schedule = FeeSchedule.objects.create(
        estate=estate,
        provider="物业公司",
        service_content="保洁",
        service_standard="二级",
        billing_method="按面积",
        billing_starts_on=date(2020, 1, 1),
        price_type="market",
        legal_basis="合同",
        hotline="12345",
        effective_from=date(2020, 1, 1),
        published_at=timezone.now(),
    )
    return FeeItem.objects.create(schedule=schedule, name="物业服务费", kind="per_area", rate=Decimal("2.00"))


def bill(estate, item, period: date, amount: str, *, paid: str = "0", addressee="张三", unit=None) -> Bill:
    run, _ = BillingRun.objects.get_or_create(estate=estate, period=period)
    unit = unit or UnitFactory(building__estate=estate)
    b = Bill.objects.create(
        estate=estate,
        unit=unit,
        item=item,
        period=period,
        starts_on=period,
        ends_on=period + timedelta(days=27),
        quantity=Decimal("1"),
        amount=Decimal(amount),
        addressee=addressee,
        run=run,
    )
    if Decimal(paid):
        payment = Payment.objects.create(
            estate=estate,
            unit=unit,
            payer=addressee,
            amount=Decimal(paid),
            method="cash",
            paid_on=period,
            recorded_at=timezone.now(),
            receipt_year=period.year,
            receipt_number=next(_n),
        )
        Allocation.objects.create(payment=payment, bill=b, amount=Decimal(paid))
    return b


def fund(estate, *amounts: str) -> FundAccount:
    account = FundAccount.objects.create(
        estate=estate,
        bank="银行",
        account_number=f"62{next(_n):010d}",
        construction_cost=Decimal("3000"),
        deposit_pct=Decimal("5"),
        rate=Decimal("150"),
        custodian="区住建局",
        opened_on=date(2020, 1, 1),
    )
    for amount in amounts:
        LedgerEntry.objects.create(
            estate=estate,
            ledger="fund",
            year=2024,
            number=next(_n),
            entry_date=date(2024, 1, 1),
            category="deposit" if Decimal(amount) > 0 else "use",
            description="首期交存",
            amount=Decimal(amount),
            keeper="区住建局",
            recorded_at=timezone.now(),
            unit=UnitFactory(building__estate=estate),
        )
    return account


def request(estate, *, reported: datetime, limit_hours=48, path=(), rating=None, source=Source.RESIDENT) -> GridCase:
    """A request reported at ``reported`` that moved along ``path`` [(status, hours after report)]."""
    status, last = S.REPORTED, reported
    moves = [(S.REPORTED, reported)] + [(st, reported + timedelta(hours=h)) for st, h in path]
    status, last = moves[-1]
    closed = status == S.CLOSED
    case = GridCase.objects.create(
        number=f"R{next(_n):06d}",
        grid=estate.grid,
        estate=estate,
        source=source,
        kind="unit_repair" if source == Source.RESIDENT else "",
        category="facility",
        description="漏水",
        status=status,
        level=Level.COMPANY if source == Source.RESIDENT else Level.GRID,
        reported_at=reported,
        limit_at=reported + timedelta(hours=limit_hours) if source == Source.RESIDENT else None,
        step_started_at=last,
        due_at=None if closed else last + timedelta(hours=24),
        closed_at=last if closed else None,
        rating=rating,
        rated_at=last if rating else None,
    )
    previous = ""
    for st, at in moves:
        GridCaseStep.objects.create(case=case, from_status=previous, to_status=st, level=case.level, at=at)
        previous = st
    return case


def sitting(community, *, opens_at: datetime, results=()) -> ExamSession:
    """A sitting with one attempt per entry of ``results`` (True passed, False failed)."""
    from tests.factories import OwnerFactory

    session = ExamSession.objects.create(
        community=community,
        title=f"第{next(_n)}期考试",
        opens_at=opens_at,
        closes_at=opens_at + timedelta(hours=2),
        blueprint={"votes": 1},
        duration_minutes=60,
        pass_percent=60,
        retake_limit=1,
        retake_wait_days=7,
    )
    for passed in results:
        owner = OwnerFactory()
        session.candidates.add(owner)
        Attempt.objects.create(
            session=session,
            candidate=owner,
            number=1,
            seed=1,
            paper=[],
            started_at=opens_at,
            deadline=opens_at + timedelta(hours=1),
            submitted_at=opens_at + timedelta(minutes=30),
            percent=Decimal("80" if passed else "40"),
            passed=passed,
        )
    return session


def mediation_case(room, estate, *, opened_on: date, outcome: str) -> MediationCase:
    status = {"agreed": "closed", "ended": "closed", "refused": "refused", "open": "mediating"}[outcome]
    case = MediationCase.objects.create(
        number=f"M{next(_n):06d}",
        room=room,
        estate=estate,
        category="fees",
        facts="欠费",
        claims="调解",
        status=status,
        opened_on=opened_on,
        closed_on=opened_on if status == "closed" else None,
    )
    if outcome == "ended":
        CaseStep.objects.create(case=case, status="ended", at=timezone.now())
    if outcome == "agreed":
        Agreement.objects.create(
            case=case,
            number=f"A{next(_n):06d}",
            form="written",
            facts="f",
            issues="i",
            responsibility="r",
            terms="t",
            performance="p",
            perform_by=opened_on,
            reached_on=opened_on,
            mediator=room.posts.first(),
        )
    return case
