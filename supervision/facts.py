"""The measured facts of the company assessment, per company per estate, for a period; and the
scores built from them (``supervision.scoring`` does the arithmetic).

``company_scores(district, period)`` reads everything in a fixed number of queries (at most
nine, whatever the number of companies and estates; ``tests/supervision/test_scores_facts.py``
asserts it):

1. the service contracts of the district's estates that overlap the period (the companies
   served, and for each the estates; 酬金制 contracts are the books whose fee statements count);
2. the units registered in those estates;
3. the residents' requests handled by the companies' handling units, reported in the period,
   aggregated per company and estate in the database (when it was handled is grid's one
   definition, ``grid.selectors.handled_at``: the last step to HANDLED);
4. the fee statements of the estates with 酬金制 books;
5. the mediation cases opened in the period with a company party, with their outcome;
6. and 7. when a company left an estate in the period: every contract and self-management
   period of those estates, for the management history of the day after
   (``community.tenure.history.timeline``, the history the estate page shows);
8. the inspections of the companies in the district in the period.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.models import (
    ContractMode,
    District,
    Estate,
    PropertyCompany,
    SelfManagementPeriod,
    ServiceContract,
    Unit,
)
from community.rules import rules_for
from community.tenure.history import COMPANY, NONE, SELF, timeline
from community.tenure.history import Period as HeldPeriod
from fees.models import Statement, Subject
from grid.models import GridCase, Source
from grid.selectors import IN_TIME, handled_at, judged
from mediation.models import CaseParty, CaseStep, PartyKind
from mediation.models import CaseStatus as MediationStatus

from . import scoring
from .models import Inspection
from .scoring import Facts, Period

ESTATE_PATH = "estate__grid__community__street__district"


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class EstateScore:
    estate: Estate
    facts: Facts
    components: list
    total: object


@dataclass
class CompanyScore:
    company: PropertyCompany
    district: District
    period: Period
    estates: list[EstateScore] = field(default_factory=list)
    facts: Facts | None = None
    components: list = field(default_factory=list)
    total: object = None
    band: str = ""


def _contracts(district: District, period: Period, companies) -> list[ServiceContract]:
    rows = (
        ServiceContract.objects.annotate(last=Coalesce("terminated_on", "ends_on"))
        .filter(**{ESTATE_PATH: district}, starts_on__lte=period.end, last__gte=period.start)
        .select_related("company", "estate__grid__community__street")
        .order_by("company__name", "company_id", "estate__code", "starts_on")
    )
    if companies is not None:
        rows = rows.filter(company__in=companies)
    return list(rows)


def facts_by_company(district: District, period: Period, *, now: datetime | None = None, companies=None):
    """{company: {estate: Facts}} for every company that served an estate of ``district`` in
    ``period`` (or only ``companies``), and the contracts read."""
    now = now or timezone.now()
    start_dt = _start_of(period.start)
    end_dt = min(_start_of(period.end + timedelta(days=1)), now)
    as_of_day = timezone.localdate(end_dt) if end_dt < _start_of(period.end + timedelta(days=1)) else period.end
    rules = rules_for(district)
    contracts = _contracts(district, period, companies)  # query 1
    table: dict[int, dict[int, Facts]] = defaultdict(dict)
    companies_by_id, estates_by_id = {}, {}
    for c in contracts:
        companies_by_id[c.company_id] = c.company
        estates_by_id[c.estate_id] = c.estate
        table[c.company_id].setdefault(c.estate_id, Facts())
    if not contracts:
        return {}, contracts, companies_by_id, estates_by_id
    estate_ids = list(estates_by_id)
    company_ids = list(companies_by_id)

    # 2. units
    units = dict(
        Unit.objects.filter(building__estate__in=estate_ids)
        .values("building__estate")
        .annotate(n=Count("pk"))
        .values_list("building__estate", "n")
    )
    for estates in table.values():
        for estate_id, facts in estates.items():
            facts.units = units.get(estate_id, 0)

    # 3. requests, aggregated in the database
    rated = Q(rating__isnull=False, rated_at__lt=end_dt)
    requests = (
        GridCase.objects.filter(
            source=Source.RESIDENT,
            handling_unit__company__in=company_ids,
            estate__in=estate_ids,
            reported_at__gte=start_dt,
            reported_at__lt=end_dt,
        )
        .annotate(handled_at=handled_at())
        .values("handling_unit__company", "estate")
        .annotate(
            n=Count("pk"),
            judged=Count("pk", filter=judged(end_dt)),
            in_time=Count("pk", filter=IN_TIME & Q(handled_at__lt=end_dt)),
            rated=Count("pk", filter=rated),
            rating_sum=Sum("rating", filter=rated),
            reopened=Count("pk", filter=Q(reopened__gte=1)),
        )
        .order_by()
    )
    for row in requests:
        facts = table[row["handling_unit__company"]].get(row["estate"])
        if facts is None:  # a request handled by the company at an estate it did not serve in the period
            continue
        facts.requests += row["n"]
        facts.judged += row["judged"]
        facts.in_time += row["in_time"]
        facts.rated += row["rated"]
        facts.rating_sum += row["rating_sum"] or 0
        facts.reopened += row["reopened"]

    # 4. fee statements of the 酬金制 books (fees.duties.fee_statements' dues, replayed)
    books = [c for c in contracts if c.mode == ContractMode.REMUNERATION]
    if books:
        statements = defaultdict(list)
        for estate_id, published_at, ends_on in Statement.objects.filter(
            subject=Subject.FEES, estate__in={c.estate_id for c in books}
        ).values_list("estate", "published_at", "ends_on"):
            statements[estate_id].append((timezone.localdate(published_at), ends_on))
        for c in books:
            dues, on_time = scoring.fee_statement_dues(
                books_start=c.starts_on,
                books_last=c.last_day,
                statements=statements[c.estate_id],
                months=int(rules.fee_disclosure_months),
                period=period,
                as_of=as_of_day,
            )
            facts = table[c.company_id][c.estate_id]
            facts.dues += dues
            facts.dues_in_time += on_time

    # 5. mediation cases with the company as a party
    def outcome_step(*statuses):
        return Exists(CaseStep.objects.filter(case=OuterRef("case"), status__in=statuses, at__lt=end_dt))

    parties = (
        CaseParty.objects.filter(
            kind=PartyKind.COMPANY,
            company__in=company_ids,
            case__estate__in=estate_ids,
            case__opened_on__gte=period.start,
            case__opened_on__lte=period.end,
        )
        .annotate(
            failed=outcome_step(MediationStatus.ENDED, MediationStatus.REFUSED),
            agreed=outcome_step(MediationStatus.AGREED),
        )
        .values_list("case", "case__estate", "company", "failed", "agreed")
        .distinct()
    )
    seen = set()
    for case_id, estate_id, company_id, failed, agreed in parties:
        if (case_id, company_id) in seen:
            continue
        seen.add((case_id, company_id))
        facts = table[company_id].get(estate_id)
        if facts is None:
            continue
        if failed:
            outcome = scoring.MEDIATION_NO_AGREEMENT
        elif agreed:
            outcome = scoring.MEDIATION_AGREEMENT
        else:
            outcome = scoring.MEDIATION_OPEN
        facts.mediation[outcome] = facts.mediation.get(outcome, 0) + 1

    # 6., 7. the day after a company left: no manager?
    exits = [c for c in contracts if period.start <= c.last_day <= period.end and c.last_day < as_of_day]
    if exits:
        exit_estates = {c.estate_id for c in exits}
        held = defaultdict(list)
        for e_id, starts_on, last in (
            ServiceContract.objects.filter(estate__in=exit_estates)
            .annotate(last=Coalesce("terminated_on", "ends_on"))
            .values_list("estate", "starts_on", "last")
        ):
            held[e_id].append(HeldPeriod(starts_on, last, COMPANY))
        for e_id, started_on, ended_on in SelfManagementPeriod.objects.filter(estate__in=exit_estates).values_list(
            "estate", "started_on", "ended_on"
        ):
            held[e_id].append(HeldPeriod(started_on, ended_on, SELF))
        for c in exits:
            day = c.last_day + timedelta(days=1)
            segments = timeline(held[c.estate_id], since=day, today=day)
            facts = table[c.company_id][c.estate_id]
            facts.left += 1
            if segments and segments[0].state == NONE:
                facts.left_unmanaged += 1

    # 8. inspections
    for company_id, estate_id, score in Inspection.objects.filter(
        district=district,
        company__in=company_ids,
        inspected_on__gte=period.start,
        inspected_on__lte=min(period.end, as_of_day),
    ).values_list("company", "estate", "score"):
        if company_id not in table:
            continue
        # An estate's inspection counts for that estate; a company-wide one (or one of an estate
        # the company no longer served in the period) in the total only, under the key None.
        key = estate_id if estate_id in table[company_id] else None
        table[company_id].setdefault(key, Facts()).inspections.append(score)
    return table, contracts, companies_by_id, estates_by_id


def company_scores(district: District, period: Period, *, now: datetime | None = None, companies=None):
    """[CompanyScore] of every company that served an estate of ``district`` in ``period``,
    highest total first: per estate and in total, with their components and band."""
    rules = rules_for(district)
    table, _contracts_read, companies_by_id, estates_by_id = facts_by_company(
        district, period, now=now, companies=companies
    )
    out = []
    for company_id, estates in table.items():
        result = CompanyScore(company=companies_by_id[company_id], district=district, period=period)
        for estate_id, facts in estates.items():
            if estate_id is None:
                continue  # company-wide inspections: in the total only
            parts = scoring.components(facts, rules, per_estate=True)
            result.estates.append(EstateScore(estates_by_id[estate_id], facts, parts, scoring.total(parts)))
        result.facts = scoring.pool(estates.values())
        result.components = scoring.components(result.facts, rules)
        result.total = scoring.total(result.components)
        result.band = scoring.band(result.total, rules)
        out.append(result)
    out.sort(key=lambda s: (-s.total, s.company.name))
    return out


def served_districts(company: PropertyCompany, period: Period):
    """The districts where ``company`` served an estate in ``period``."""
    contracts = ServiceContract.objects.annotate(last=Coalesce("terminated_on", "ends_on")).filter(
        company=company, starts_on__lte=period.end, last__gte=period.start
    )
    return District.objects.filter(pk__in=contracts.values("estate__grid__community__street__district")).select_related(
        "rule_set"
    )


def serves_in(company: PropertyCompany, estates, period: Period) -> bool:
    """Whether ``company`` served one of ``estates`` (a queryset) in ``period``."""
    return (
        ServiceContract.objects.annotate(last=Coalesce("terminated_on", "ends_on"))
        .filter(company=company, estate__in=estates, starts_on__lte=period.end, last__gte=period.start)
        .exists()
    )
