"""The company assessment's fixture, small enough to compute by hand (test_scores_facts.py does).

In the ``world`` district, over the calendar year 2025:

* company A (``world``'s company_a, whose staff is the ``company`` login) serves 江滨豪园 (E1,
  酬金制 since 2020, ten units) and 临江苑 (E6, no units, 包干制 2023-01-01..2025-06-30, after
  which nobody manages it);
* company B serves E3 (包干制) and has no facts at all.

A's residents' requests at E1 (written as rows: the case flow's services belong to grid):
  r1 unit repair, handled exactly at its limit, rated 5;
  r2 common repair, handled a second after its limit, rated 1, reopened once;
  r3 reported 30 Dec, limit in 2026, open: not judged;
  r4 complaint, limit passed in June, never handled.
A's fee statements at E1: 2024's published on 10 Jan 2025 (the 2021 due, late), 2025's up to
30 Nov published on 31 Dec 2025 (due that day: on time).
Mediation at E1 with A as a party: one ended without agreement, one agreed.
Inspections: E1 80 on 1 Jul; company-wide 91 on 1 Sep.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from community.models import Role
from fees.models import Statement, Subject
from grid.models import CaseStatus, GridCase, GridCaseStep, Level, RequestKind, Source
from grid.units import company_unit
from mediation.models import Case as MediationCase
from mediation.models import CaseParty, CaseStep, PartyKind, Side
from mediation.models import CaseStatus as MediationStatus
from supervision.models import Inspection
from tests.factories import CompanyFactory, EstateFactory, UnitFactory, contract

YEAR = 2025
NOW = timezone.make_aware(datetime(2026, 2, 1, 10, 0))
_numbers = count(1)


def at(y, m, d, h=9, minute=0, s=0):
    return timezone.make_aware(datetime(y, m, d, h, minute, s))


def request(
    estate, unit_handler, *, reported, hours, handled=None, rating=None, reopened=0, kind=RequestKind.UNIT_REPAIR
):
    """A resident's request as the case flow leaves it (a row and its steps)."""
    limit = reported + timedelta(hours=hours)
    closed = rating is not None
    case = GridCase.objects.create(
        number=f"T{next(_numbers):06d}",
        grid=estate.grid,
        estate=estate,
        source=Source.RESIDENT,
        kind=kind,
        category="service",
        description="漏水",
        status=CaseStatus.CLOSED if closed else (CaseStatus.HANDLED if handled else CaseStatus.DISPATCHED),
        level=Level.COMPANY,
        reported_at=reported,
        handling_unit=unit_handler,
        limit_at=limit,
        reopened=reopened,
        rating=rating,
        rated_at=(handled + timedelta(days=1)) if closed else None,
        step_started_at=reported,
        due_at=None if closed else limit,
        closed_at=(handled + timedelta(days=1)) if closed else None,
    )
    GridCaseStep.objects.create(case=case, to_status=CaseStatus.REPORTED, level=Level.COMPANY, at=reported)
    if handled is not None:
        GridCaseStep.objects.create(
            case=case, from_status=CaseStatus.DISPATCHED, to_status=CaseStatus.HANDLED, level=Level.COMPANY, at=handled
        )
        if reopened:  # handled again later: only the first handling is judged
            GridCaseStep.objects.create(
                case=case,
                from_status=CaseStatus.DISPATCHED,
                to_status=CaseStatus.HANDLED,
                level=Level.COMPANY,
                at=handled + timedelta(days=2),
            )
    return case


def mediation_case(world, estate, company, *, opened_on, outcome):
    case = MediationCase.objects.create(
        number=f"M{next(_numbers):06d}",
        room=world.room,
        estate=estate,
        category="service",
        facts="服务质量纠纷",
        claims="整改",
        status=outcome,
        opened_on=opened_on,
    )
    CaseParty.objects.create(case=case, side=Side.APPLICANT, kind=PartyKind.OTHER, name="业主甲")
    CaseParty.objects.create(
        case=case, side=Side.RESPONDENT, kind=PartyKind.COMPANY, company=company, name=company.name
    )
    CaseStep.objects.create(
        case=case, status=MediationStatus.INTAKE, at=at(opened_on.year, opened_on.month, opened_on.day)
    )
    CaseStep.objects.create(
        case=case, status=outcome, at=at(opened_on.year, opened_on.month, opened_on.day) + timedelta(days=5)
    )
    return case


def statement(estate, *, starts_on, ends_on, published_on):
    return Statement.objects.create(
        estate=estate,
        subject=Subject.FEES,
        kind="year",
        starts_on=starts_on,
        ends_on=ends_on,
        fingerprint="0" * 64,
        pdf="statements/test.pdf",
        published_at=at(published_on.year, published_on.month, published_on.day, 15),
    )


class Scores:
    """The fixture's handles."""

    def __init__(self, world):
        self.world = world
        self.district = world.e1.grid.community.street.district
        self.a = world.e1.contracts.get().company
        self.b = world.e3.contracts.get().company
        self.e1 = world.e1
        self.e3 = world.e3
        self.e6 = EstateFactory(grid=world.e1.grid, name="临江苑")
        contract(self.e6, self.a, starts_on=date(2023, 1, 1), ends_on=date(2025, 6, 30))
        for i in range(9):
            UnitFactory(building__estate=self.e1, room=f"2{i:02d}")
        self.unit_a = company_unit(self.a, district=self.district)
        u = self.unit_a
        self.r1 = request(self.e1, u, reported=at(2025, 3, 1), hours=48, handled=at(2025, 3, 3), rating=5)
        self.r2 = request(
            self.e1,
            u,
            reported=at(2025, 4, 1),
            hours=72,
            handled=at(2025, 4, 4, 9, 0, 1),
            rating=1,
            reopened=1,
            kind=RequestKind.COMMON_REPAIR,
        )
        self.r3 = request(self.e1, u, reported=at(2025, 12, 30, 10), hours=48)
        self.r4 = request(self.e1, u, reported=at(2025, 6, 1), hours=120, kind=RequestKind.COMPLAINT)
        statement(self.e1, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31), published_on=date(2025, 1, 10))
        statement(self.e1, starts_on=date(2025, 1, 1), ends_on=date(2025, 11, 30), published_on=date(2025, 12, 31))
        mediation_case(world, self.e1, self.a, opened_on=date(2025, 5, 1), outcome=MediationStatus.ENDED)
        mediation_case(world, self.e1, self.a, opened_on=date(2025, 8, 1), outcome=MediationStatus.AGREED)
        Inspection.objects.create(
            district=self.district,
            company=self.a,
            estate=self.e1,
            inspected_on=date(2025, 7, 1),
            score=Decimal("80"),
            at=NOW,
        )
        Inspection.objects.create(
            district=self.district, company=self.a, inspected_on=date(2025, 9, 1), score=Decimal("91"), at=NOW
        )

    @property
    def company_user(self):
        return self.world.users[Role.COMPANY_STAFF]


def more_companies(world, n):
    """``n`` more companies, each serving a new estate of the district with a request and a unit."""
    district = world.e1.grid.community.street.district
    for i in range(n):
        company = CompanyFactory()
        estate = EstateFactory(grid=world.e1.grid, name=f"加测小区{i}")
        UnitFactory(building__estate=estate)
        contract(estate, company, starts_on=date(2021, 1, 1), ends_on=date(2030, 12, 31), mode="remuneration")
        request(
            estate,
            company_unit(company, district=district),
            reported=at(2025, 5, 1),
            hours=48,
            handled=at(2025, 5, 2),
            rating=4,
        )
        mediation_case(world, estate, company, opened_on=date(2025, 5, 1), outcome=MediationStatus.AGREED)
        statement(estate, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31), published_on=date(2025, 1, 10))
        Inspection.objects.create(
            district=district, company=company, estate=estate, inspected_on=date(2025, 7, 1), score=70, at=NOW
        )
