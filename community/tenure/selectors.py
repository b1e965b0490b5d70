"""Reads about who manages an estate: its contracts (with the notes other apps attach) and
self-management periods, its management history as a timeline, and the list of estates
without a manager (无物业小区) with how long each has waited."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import BooleanField, Case, F, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .. import access
from ..models import Estate, ManagementState, SelfManagementPeriod, ServiceContract
from ..templatetags.punct import bracketed
from .history import COMPANY, SELF, Period, Segment, timeline

# Apps built on the registry add notes to the contracts on the estate page (committees: the
# owners' vote that decided a contract) without community importing them. Each provider is
# ``fn(user, contracts) -> {contract pk: [(text, url or None), ...]}`` and runs one query.
_CONTRACT_NOTES = []


def register_contract_notes(provider) -> None:
    """Called from an app's AppConfig.ready()."""
    if provider not in _CONTRACT_NOTES:
        _CONTRACT_NOTES.append(provider)


@dataclass
class ContractRow:
    contract: ServiceContract
    notes: list
    in_force: bool


def estate_contracts(user, estate: Estate, *, today: date | None = None) -> list[ContractRow]:
    """The estate's contracts, latest first, each with the notes other apps attach."""
    today = today or timezone.localdate()
    contracts = list(
        ServiceContract.objects.filter(estate=estate).select_related("company").order_by("-starts_on", "-pk")
    )
    notes = defaultdict(list)
    for provider in _CONTRACT_NOTES:
        for pk, items in provider(user, contracts).items():
            notes[pk] += items
    return [ContractRow(c, notes[c.pk], c.starts_on <= today <= c.last_day) for c in contracts]


def contract_in_force(estate: Estate, on: date | None = None) -> ServiceContract | None:
    """The service contract in force on ``on`` (today by default), with its company; None when
    no company serves the estate that day. One query."""
    on = on or timezone.localdate()
    return ServiceContract.objects.in_force(on).filter(estate=estate).select_related("company").first()


def self_management_periods(estate: Estate):
    return SelfManagementPeriod.objects.filter(estate=estate).order_by("-started_on")


def management_history(estate: Estate, *, today=None, contracts=None, self_periods=None) -> list[Segment]:
    """The estate's timeline; ``contracts`` (with their company) and ``self_periods`` may be
    passed when the page has already read them."""
    today = today or timezone.localdate()
    if contracts is None:
        contracts = ServiceContract.objects.filter(estate=estate).select_related("company")
    if self_periods is None:
        self_periods = SelfManagementPeriod.objects.filter(estate=estate)
    periods = [
        Period(c.starts_on, c.last_day, COMPANY, bracketed(c.company.name, c.get_mode_display())) for c in contracts
    ]
    periods += [Period(p.started_on, p.ended_on, SELF, "") for p in self_periods]
    return timeline(periods, since=estate.delivered_on, today=today)


def estate_contract(estate: Estate, pk) -> ServiceContract | None:
    """One of the estate's contracts, with its estate and company, or None."""
    return ServiceContract.objects.filter(pk=pk, estate=estate).select_related("estate", "company").first()


def unmanaged_estates(user, *, today: date | None = None):
    """Estates the user may view that are without a manager today, longest wait first.

    ``last_record_end`` is the last day of the last contract or self-management period that
    began by today (they have all ended: the estate is unmanaged). It became unmanaged on
    its delivery day, or the day after that record ended, whichever is later
    (``unmanaged_since`` on each row, in Python, so that no database date arithmetic is
    needed). The order is exact: by the later of the two dates, and on a tie the delivery
    day first (the day after a record ended is one day later).
    """
    today = today or timezone.localdate()
    last_contract = (
        ServiceContract.objects.filter(estate=OuterRef("pk"), starts_on__lte=today)
        .order_by()
        .values("estate")
        .annotate(last=Max(Coalesce("terminated_on", "ends_on")))
        .values("last")
    )
    last_self = (
        SelfManagementPeriod.objects.filter(estate=OuterRef("pk"), started_on__lte=today)
        .order_by()
        .values("estate")
        .annotate(last=Max("ended_on"))
        .values("last")
    )
    qs = access.visible(user, access.VIEW, Estate.objects.with_management_state(today))
    qs = qs.filter(management_state=ManagementState.NONE, delivered_on__lte=today)
    qs = (
        qs.annotate(last_contract_day=Subquery(last_contract), last_self_day=Subquery(last_self))
        .annotate(
            # NULLs are replaced by the delivery day: SQLite's two-argument MAX is NULL when either is.
            last_record_end=Greatest(
                Coalesce("last_contract_day", "last_self_day", "delivered_on"),
                Coalesce("last_self_day", "last_contract_day", "delivered_on"),
            ),
        )
        .annotate(
            wait_key=Greatest("delivered_on", "last_record_end"),
            ended_by_record=Case(
                When(
                    Q(last_record_end__gte=F("delivered_on"))
                    & (Q(last_contract_day__isnull=False) | Q(last_self_day__isnull=False)),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
    )
    return qs.select_related("grid__community__street").order_by("wait_key", "ended_by_record", "code")


def unmanaged_since(estate: Estate) -> date:
    """The day an estate annotated by ``unmanaged_estates`` became unmanaged."""
    if estate.ended_by_record:
        return estate.last_record_end + timedelta(days=1)
    return estate.delivered_on
