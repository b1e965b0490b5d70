"""The property companies' assessment (物业服务企业信用评价): the arithmetic. Plain Python, no ORM.

A company is scored over a period, per district: the calendar year for the yearly assessment,
the last 12 months (today and the 365 days before it, counted as ``last_12_months`` says) for
the running figure. ``supervision.facts`` reads the measured facts per estate the company
served in the period (a service contract of the company overlapping the period); the total pools
the facts of all those estates of the district (sums, not a mean of estate scores).

Each component is a share in 0..1, exact (``Fraction``); the score is

    score = Σ rule weight × component        (the ``credit_weight_*`` rules, which sum to 100)

to one decimal, rounded half up (``round_half_up``). A component without data scores full marks
and is shown as "无数据（按满分计）"; a component that cannot apply scores full marks as
"不适用". The components:

* ``volume``: residents' requests (``GridCase`` with source=resident, whose handling unit is the
  company's: ``handling_unit.company``) reported in the period, per 100 units of the estates
  served (the units registered today): max(0, 1 − per100 / ``credit_volume_ceiling``).
  At the ceiling it is 0. Estates with no registered unit give no data.
* ``in_time``: among those requests whose ``limit_at`` has passed by the end of the period or that
  were handled, the share handled (the last step to HANDLED, ``grid.selectors.handled_at``) at
  or before ``limit_at``. Exactly at the limit is in time (as ``grid.services.escalate_overdue``
  counts it: late is strictly after).
* ``rating``: (mean rating − 1) / 4 over the rated requests: a mean of 1 is 0, of 5 is 1.
* ``reopened``: 1 − the share of the requests reopened at least once.
* ``fee_disclosure``: the share of the fee statements (收支公布) that fell due in the period and
  were published on time. The due dates are those of ``fees.duties.fee_statements`` replayed over
  time (``fee_statement_dues``): an estate whose books the company keeps apart (a 酬金制 contract;
  a 包干制 contract owes no statement) publishes every ``fee_disclosure_months``, counted with
  ``community.legaltime.last_day_after_months`` from the end of the last fee statement published,
  or from the contract's start before the first; a statement is on time when published on or
  before that last day (``legaltime.in_time``). Only dues while the company's contract runs count;
  a statement overdue from an earlier period and still not published counts as a missed due.
* ``fund_disclosure``: 不适用. The maintenance fund's statement is owed by whoever keeps the fund
  (``fees.fund.services.authority``): the housing department (``review_fund``) before the hand-over
  to the owners' assembly, the committee (``approve_spending``) after. A property company never
  keeps the fund, so the component always scores full marks, shown as "不适用（维修资金不由物业企业保管）".
* ``mediation``: the mediation cases opened in the period in which the company is a party
  (``CaseParty`` of kind company), weighted by their outcome as the mediation app records it
  (``CaseStep`` statuses): 1 for a case that ended without agreement or that a party refused
  (ENDED or REFUSED), ``credit_mediation_agreement_weight`` (½) for an agreement (AGREED). The
  mediation app has no time limit for a case (no rule names one), so a case still without outcome
  weighs ``credit_mediation_open_weight`` (½): the dispute was brought, its outcome is not known.
  Component: max(0, 1 − weighted / ``credit_mediation_ceiling``).
* ``no_manager``: 0 if an estate the company left in the period (its contract's last day in the
  period) had no manager the next day (the management history of ``community.tenure.history``),
  else 1. In the total only; per estate it is "不适用" (full marks).
* ``inspection``: the mean of the street's and the district's inspection scores (0–100) recorded
  for the company in the period, / 100. Per estate: the inspections of that estate; in the total:
  all of the company's in the district, company-wide ones included.

Bands (the district's rules): red list when the total ≥ ``credit_red_list_min``; black list when
the total < ``credit_black_list_below``; otherwise none. An upheld objection's revised total
replaces the total for the band and the ranking (``effective_ranking``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from community.legaltime import in_time, last_day_after_months

COMPONENTS = (
    "volume",
    "in_time",
    "rating",
    "reopened",
    "fee_disclosure",
    "fund_disclosure",
    "mediation",
    "no_manager",
    "inspection",
)
LABELS = {
    "volume": _("每百户报事量"),
    "in_time": _("按时办结率"),
    "rating": _("居民评分"),
    "reopened": _("重新打开比例"),
    "fee_disclosure": _("物业费收支按时公布"),
    "fund_disclosure": _("维修资金按时公布"),
    "mediation": _("针对企业的调解案件"),
    "no_manager": _("退出后小区失管"),
    "inspection": _("街道、区检查评分"),
}
SCORED, NO_DATA, NOT_APPLICABLE = "scored", "no_data", "n/a"
STATUS_LABELS = {SCORED: "", NO_DATA: _("无数据（按满分计）"), NOT_APPLICABLE: _("不适用（按满分计）")}
RED, BLACK, NONE = "red", "black", ""
ONE = Fraction(1)
MEDIATION_NO_AGREEMENT, MEDIATION_AGREEMENT, MEDIATION_OPEN = "no_agreement", "agreement", "open"


def mediation_weights(rules) -> dict[str, Fraction]:
    """What a case against the company weighs by its outcome: a case without agreement counts
    whole, an agreement and a case with no outcome yet by the district's rules."""
    return {
        MEDIATION_NO_AGREEMENT: ONE,
        MEDIATION_AGREEMENT: rules.credit_mediation_agreement_weight,
        MEDIATION_OPEN: rules.credit_mediation_open_weight,
    }


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} — {self.end:%Y-%m-%d}"


def calendar_year(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31))


def last_12_months(today: date) -> Period:
    """Today and the days back to the day after the same date a year ago (29 Feb → 28 Feb)."""
    year = today.year - 1
    day = min(today.day, calendar.monthrange(year, today.month)[1])
    return Period(date(year, today.month, day) + timedelta(days=1), today)


# --------------------------------------------------------------------------- facts


@dataclass
class Facts:
    """What was measured for one company at one estate (or pooled over its estates)."""

    units: int = 0
    requests: int = 0
    judged: int = 0  # requests past their limit by the period's end, or handled
    in_time: int = 0  # of those, handled at or before the limit
    rated: int = 0
    rating_sum: int = 0
    reopened: int = 0
    dues: int = 0  # fee statements due in the period
    dues_in_time: int = 0
    mediation: dict = field(default_factory=dict)  # {outcome: count}
    left: int = 0  # contracts that ended in the period
    left_unmanaged: int = 0  # of those, the estate had no manager the next day
    inspections: list = field(default_factory=list)  # scores, Decimal 0..100

    def __add__(self, other: Facts) -> Facts:
        pooled = Facts()
        for f in fields(Facts):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, dict):
                merged = dict(a)
                for k, v in b.items():
                    merged[k] = merged.get(k, 0) + v
                setattr(pooled, f.name, merged)
            else:
                setattr(pooled, f.name, a + b)
        return pooled

    @property
    def mediation_cases(self) -> int:
        return sum(self.mediation.values())

    def mediation_weighted(self, rules) -> Fraction:
        weights = mediation_weights(rules)
        return sum((weights[k] * n for k, n in self.mediation.items()), Fraction(0))

    def as_dict(self) -> dict:
        return {
            "units": self.units,
            "requests": self.requests,
            "judged": self.judged,
            "in_time": self.in_time,
            "rated": self.rated,
            "rating_sum": self.rating_sum,
            "reopened": self.reopened,
            "dues": self.dues,
            "dues_in_time": self.dues_in_time,
            "mediation": dict(self.mediation),
            "left": self.left,
            "left_unmanaged": self.left_unmanaged,
            "inspections": [str(s) for s in self.inspections],
        }


def pool(facts: Iterable[Facts]) -> Facts:
    total = Facts()
    for f in facts:
        total = total + f
    return total


# --------------------------------------------------------------------------- components


@dataclass(frozen=True)
class Component:
    name: str
    weight: int
    value: Fraction  # 0..1; 1 when there is no data or it does not apply
    status: str  # SCORED, NO_DATA, NOT_APPLICABLE
    facts: str  # the facts behind it, in words

    @property
    def points(self) -> Fraction:
        return self.weight * self.value

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def weights(rules) -> dict[str, int]:
    return {name: int(getattr(rules, f"credit_weight_{name}")) for name in COMPONENTS}


def _clip(x: Fraction) -> Fraction:
    return max(Fraction(0), min(ONE, x))


def _share(part: int, whole: int) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def components(facts: Facts, rules, *, per_estate: bool = False) -> list[Component]:
    """The nine components of ``facts`` under ``rules``; ``per_estate`` marks no_manager n/a."""
    w = weights(rules)
    out = []

    def add(name, value, text, status=None):
        if status is None:
            status = NO_DATA if value is None else SCORED
        out.append(Component(name, w[name], ONE if value is None else _clip(value), status, text))

    if facts.units:
        per100 = Fraction(facts.requests * 100, facts.units)
        ceiling = Fraction(int(rules.credit_volume_ceiling))
        add(
            "volume",
            ONE - per100 / ceiling if ceiling else None,
            _("%(n)s 件 / %(units)s 户") % {"n": facts.requests, "units": facts.units},
        )
    else:
        add("volume", None, _("%(n)s 件 / 0 户") % {"n": facts.requests})
    add(
        "in_time",
        _share(facts.in_time, facts.judged),
        _("%(a)s / %(b)s 件按时") % {"a": facts.in_time, "b": facts.judged},
    )
    mean = _share(facts.rating_sum, facts.rated)
    add(
        "rating",
        None if mean is None else (mean - 1) / 4,
        _("%(n)s 件评分，合计 %(sum)s") % {"n": facts.rated, "sum": facts.rating_sum},
    )
    reopened = _share(facts.reopened, facts.requests)
    add(
        "reopened",
        None if reopened is None else ONE - reopened,
        _("%(a)s / %(b)s 件重新打开") % {"a": facts.reopened, "b": facts.requests},
    )
    add(
        "fee_disclosure",
        _share(facts.dues_in_time, facts.dues),
        _("%(a)s / %(b)s 期按时公布") % {"a": facts.dues_in_time, "b": facts.dues},
    )
    add("fund_disclosure", ONE, _("维修资金不由物业企业保管"), NOT_APPLICABLE)
    ceiling = Fraction(int(rules.credit_mediation_ceiling))
    weighted = facts.mediation_weighted(rules)
    mediation_text = _("%(n)s 件（未达成协议 %(failed)s，达成协议 %(agreed)s，未结 %(open)s），加权 %(w)s") % {
        "n": facts.mediation_cases,
        "failed": facts.mediation.get(MEDIATION_NO_AGREEMENT, 0),
        "agreed": facts.mediation.get(MEDIATION_AGREEMENT, 0),
        "open": facts.mediation.get(MEDIATION_OPEN, 0),
        "w": _decimal(weighted, 1),
    }
    if facts.mediation_cases:
        add("mediation", ONE - weighted / ceiling if ceiling else Fraction(0), mediation_text)
    else:
        add("mediation", None, mediation_text)
    if per_estate:
        add("no_manager", ONE, _("仅计入总分"), NOT_APPLICABLE)
    elif facts.left:
        add(
            "no_manager",
            Fraction(0 if facts.left_unmanaged else 1),
            _("退出 %(n)s 个，次日无物业 %(none)s 个") % {"n": facts.left, "none": facts.left_unmanaged},
        )
    else:
        add("no_manager", None, _("期间内未退出小区"))
    if facts.inspections:
        mean_score = sum((Fraction(Decimal(s)) for s in facts.inspections), Fraction(0)) / len(facts.inspections)
        add(
            "inspection",
            mean_score / 100,
            _("%(n)s 次检查，平均 %(mean)s 分") % {"n": len(facts.inspections), "mean": _decimal(mean_score, 1)},
        )
    else:
        add("inspection", None, _("期间内无检查评分"))
    return out


# --------------------------------------------------------------------------- the total, bands, ranks


def round_half_up(x: Fraction, places: int = 1) -> Decimal:
    """``x`` to ``places`` decimals, halves away from zero (x ≥ 0 here); exact."""
    scale = 10**places
    scaled = x * scale
    n = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    if x < 0:
        n = -((-scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator))
    return Decimal(n).scaleb(-places)


def _decimal(x: Fraction, places: int) -> Decimal:
    return round_half_up(x, places)


def total(parts: Iterable[Component]) -> Decimal:
    return round_half_up(sum((c.points for c in parts), Fraction(0)), 1)


def band(score: Decimal, rules) -> str:
    if score >= Decimal(int(rules.credit_red_list_min)):
        return RED
    if score < Decimal(int(rules.credit_black_list_below)):
        return BLACK
    return NONE


def ranks(totals: list[Decimal]) -> list[int]:
    """Competition ranking (1, 2, 2, 4) of ``totals`` in the order given."""
    return [1 + sum(1 for other in totals if other > t) for t in totals]


def frozen(parts: list[Component]) -> list[dict]:
    """Components as stored at publication (JSON)."""
    return [
        {
            "name": c.name,
            "label": str(c.label),
            "weight": c.weight,
            "value": str(round_half_up(c.value, 4)),
            "points": str(round_half_up(c.points, 2)),
            "status": c.status,
            "status_label": str(c.status_label),
            "facts": str(c.facts),
        }
        for c in parts
    ]


# --------------------------------------------------------------------------- fee statements


def fee_statement_dues(
    *,
    books_start: date,
    books_last: date,
    statements: Iterable[tuple[date, date]],
    months: int,
    period: Period,
    as_of: date,
) -> tuple[int, int]:
    """(dues in the period, of them published on time) for one run of separated books.

    ``statements`` are the estate's fee statements as (published on, ends on). The due dates are
    those ``fees.duties.fee_statements`` gives on each day, replayed: the clock starts at the
    books' start, or at the end of the last statement published when that is later; the last day
    is ``last_day_after_months(since, months)``; a statement whose period ends after ``since``
    discharges the duty on the day it is published and restarts the clock at the latest end
    published by then. A due counts when it falls in the period and while the books run
    (``books_last``, the contract's last day), once discharged or once its last day has passed by
    ``as_of``. A due whose last day passed before the period and that was still owed when the
    period began counts too, as not on time: a statement never published is missed every year,
    not only in the year it first fell due."""
    ordered = sorted(statements)
    since, i, dues, on_time = books_start, 0, 0, 0
    while True:
        due = last_day_after_months(since, months)
        if due > period.end or due > books_last:
            break
        j = next((k for k in range(i, len(ordered)) if ordered[k][1] > since), None)
        discharged = ordered[j][0] if j is not None else None
        if due >= period.start:
            counted = discharged is not None or due < as_of
        else:  # fell due earlier and was still owed when the period began: missed in the period too
            counted = discharged is None or discharged >= period.start
        if counted:
            dues += 1
            if discharged is not None and in_time(discharged, due):
                on_time += 1
        if j is None:
            break
        published = ordered[j][0]
        since = max([since] + [ends for pub, ends in ordered if pub <= published])
        i = j + 1
    return dues, on_time


@dataclass
class Row:
    """One company's line of a ranking: its total (revised by an upheld objection)."""

    key: object
    total: Decimal
    revised: Decimal | None = None

    @property
    def effective(self) -> Decimal:
        return self.revised if self.revised is not None else self.total


def effective_ranking(rows: list[Row]) -> list[tuple[int, Row]]:
    """Rows ordered by their effective total (highest first) with their competition rank."""
    ordered = sorted(rows, key=lambda r: -r.effective)
    return list(zip(ranks([r.effective for r in ordered]), ordered, strict=True))
