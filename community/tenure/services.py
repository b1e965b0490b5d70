"""Tenure changes: who manages an estate, and from when to when.

One function per use case: register a property company, sign, renew or end a service
contract early, start or end self-management (业主自行管理), and mark an estate left without
a manager (无物业). Each is keyword-only and atomic, checks the actor's access on the estate,
validates against the estate's other records, then writes. Contracts of one estate never
overlap, and a self-management period never runs alongside a contract. ``actor=None`` is the
system itself (``seed_demo``, tests); a request always names its user.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import access, identifiers
from ..locks import hold, lock_rows
from ..models import USCC_INVALID, Estate, PropertyCompany, SelfManagementPeriod, ServiceContract
from ..signals import management_changed

CONTRACT_OVERLAP = _("该小区在此期间已有物业服务合同（%(contract)s），合同期不能重叠。")
TERMINATION_OUTSIDE = _("提前终止日期须在合同期内（%(start)s 至 %(end)s）。")
SELF_WHILE_CONTRACT = _("该小区在 %(date)s 有物业服务合同，不能同时登记为自行管理。")
SELF_ALREADY_OPEN = _("该小区已处于自行管理状态。")
SELF_NOT_OPEN = _("该小区当前没有进行中的自行管理期间。")
COMPANY_NAME_MISSING = _("请填写物业服务企业名称。")
COMPANY_USCC_INVALID = USCC_INVALID
COMPANY_DUPLICATE = _("统一社会信用代码 %(uscc)s 已登记为“%(name)s”，请直接选择该企业。")
TERMINATION_LATER = _("该合同已于 %(date)s 提前终止，终止日期不能再推后。")
RENEW_TERMINATED = _("该合同已于 %(date)s 提前终止，不能续签；如重新选聘，请签订新合同。")
RENEW_TOO_LATE = _("该合同已于 %(date)s 期满，期满后不能续签；请以“签订合同”登记新合同。")
RENEW_NOT_LATEST = _("该合同之后已有合同（%(contract)s），只能续签最近的一份合同。")
RENEW_ENDS_TOO_EARLY = _("续签合同自 %(start)s 起，终止日期不能早于该日。")
NOTHING_IN_FORCE = _("该小区在 %(date)s 没有在履行的物业服务合同或自行管理，无需标记为无物业。")
LATER_MANAGEMENT = _("该小区自 %(date)s 起已有后续的物业服务合同或自行管理，不能标记为无物业。")


def _overlapping_contracts(estate: Estate, start: date, last: date):
    qs = ServiceContract.objects.filter(estate=estate)
    return [c for c in qs if c.starts_on <= last and c.last_day >= start]


def check_new_contract(*, estate: Estate, company: PropertyCompany, mode: str, starts_on: date, ends_on: date):
    """The unsaved contract, or ValidationError: it is invalid, overlaps another contract,
    or starts on or before a self-management period that began inside it."""
    contract = ServiceContract(estate=estate, company=company, mode=mode, starts_on=starts_on, ends_on=ends_on)
    contract.full_clean()
    clash = _overlapping_contracts(estate, starts_on, ends_on)
    if clash:
        raise ValidationError(CONTRACT_OVERLAP, params={"contract": clash[0]})
    later_self = SelfManagementPeriod.objects.filter(estate=estate, started_on__gte=starts_on).first()
    if later_self is not None:
        raise ValidationError(SELF_WHILE_CONTRACT, params={"date": later_self.started_on})
    return contract


@transaction.atomic
def sign_contract(
    *, actor, estate: Estate, company: PropertyCompany, mode: str, starts_on: date, ends_on: date
) -> ServiceContract:
    """A company takes on the estate. Contracts of one estate never overlap, and a
    self-management period still running ends the day before the contract starts.

    ``management_changed`` carries ``previous_state``: the estate's state on the day
    before the contract starts (None when it starts on the delivery day), so that cms
    drafts a public notice when an estate without a manager comes under a company."""
    access.require(actor, access.CHANGE, estate)
    hold(estate)
    contract = check_new_contract(estate=estate, company=company, mode=mode, starts_on=starts_on, ends_on=ends_on)
    previous = state_on_eve(estate, starts_on)
    contract.created_by = actor
    SelfManagementPeriod.objects.filter(estate=estate).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=starts_on)
    ).update(ended_on=starts_on - timedelta(days=1))
    contract.save()
    management_changed.send(
        sender=ServiceContract, estate=estate, contract=contract, previous_state=previous, event="signed"
    )
    return contract


@transaction.atomic
def terminate_contract(*, actor, contract: ServiceContract, last_day: date) -> ServiceContract:
    """End a contract early: ``last_day`` is its last day in force, from its first day to its
    agreed last day inclusive. An early end already recorded may be brought forward, never
    pushed back (a later contract may already follow it)."""
    access.require(actor, access.CHANGE, contract.estate)
    hold(contract.estate)
    if not contract.starts_on <= last_day <= contract.ends_on:
        raise ValidationError(TERMINATION_OUTSIDE, params={"start": contract.starts_on, "end": contract.ends_on})
    recorded = ServiceContract.objects.filter(pk=contract.pk).values_list("terminated_on", flat=True).first()
    if recorded is not None and last_day > recorded:
        raise ValidationError(TERMINATION_LATER, params={"date": recorded})
    contract.terminated_on = last_day
    contract.full_clean()
    contract.save(update_fields=["terminated_on"])
    management_changed.send(sender=ServiceContract, estate=contract.estate, contract=contract, event="terminated")
    return contract


@transaction.atomic
def start_self_management(*, actor, estate: Estate, on: date, note: str = "") -> SelfManagementPeriod:
    access.require(actor, access.CHANGE, estate)
    hold(estate)
    if SelfManagementPeriod.objects.filter(estate=estate, ended_on__isnull=True).exists():
        raise ValidationError(SELF_ALREADY_OPEN)
    if ServiceContract.objects.in_force(on).filter(estate=estate).exists():
        raise ValidationError(SELF_WHILE_CONTRACT, params={"date": on})
    period = SelfManagementPeriod(estate=estate, started_on=on, note=note, created_by=actor)
    period.full_clean()
    period.save()
    return period


@transaction.atomic
def end_self_management(*, actor, estate: Estate, last_day: date) -> SelfManagementPeriod:
    access.require(actor, access.CHANGE, estate)
    open_periods = lock_rows(SelfManagementPeriod.objects.filter(estate=estate, ended_on__isnull=True))
    period = min(open_periods, key=lambda p: p.started_on, default=None)
    if period is None:
        raise ValidationError(SELF_NOT_OPEN)
    period.ended_on = last_day
    period.full_clean()
    period.save(update_fields=["ended_on"])
    return period


def state_on_eve(estate: Estate, day: date) -> str | None:
    """The estate's management state on the day before ``day``, as the records say now;
    None when ``day`` is its delivery day or earlier (there was no "before")."""
    eve = day - timedelta(days=1)
    if eve < estate.delivered_on:
        return None
    return (
        Estate.objects.with_management_state(eve).filter(pk=estate.pk).values_list("management_state", flat=True).get()
    )


@transaction.atomic
def register_company(*, actor, name: str, uscc: str, phone: str = "") -> PropertyCompany:
    """Register a property company. Companies serve estates anywhere, so whoever keeps
    the registry somewhere may register one (as ``save_registry_object`` allows)."""
    if actor is not None and not access.holds_anywhere(actor, access.CHANGE):
        raise PermissionDenied(access.NOT_ALLOWED)
    name, uscc, phone = (name or "").strip(), (uscc or "").strip().upper(), (phone or "").strip()
    if not name:
        raise ValidationError(COMPANY_NAME_MISSING)
    if not identifiers.is_valid_uscc(uscc):
        raise ValidationError(COMPANY_USCC_INVALID)
    existing = PropertyCompany.objects.filter(uscc=uscc).first()
    if existing is not None:
        raise ValidationError(COMPANY_DUPLICATE, params={"uscc": uscc, "name": existing.name})
    company = PropertyCompany(name=name, uscc=uscc, phone=phone)
    company.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:  # registered a moment ago by someone else
        raise ValidationError(COMPANY_DUPLICATE, params={"uscc": uscc, "name": name}) from None
    return company


@transaction.atomic
def sign_contract_with_new_company(
    *, actor, estate: Estate, name: str, uscc: str, phone: str = "", mode: str, starts_on: date, ends_on: date
) -> ServiceContract:
    """Register a company and sign its contract in one transaction: the company is kept only
    if the contract is signed."""
    company = register_company(actor=actor, name=name, uscc=uscc, phone=phone)
    return sign_contract(actor=actor, estate=estate, company=company, mode=mode, starts_on=starts_on, ends_on=ends_on)


@transaction.atomic
def renew_contract(
    *, actor, contract: ServiceContract, ends_on: date, mode: str | None = None, today: date | None = None
) -> ServiceContract:
    """Renew a contract: a new contract with the same company from the day after the old
    one's last day to ``ends_on`` (in the old contract's mode unless ``mode`` is given).

    A renewal is a new record rather than a longer ``ends_on``, so every term stays as it
    was signed: the history shows when the company was re-engaged, each term keeps its
    own mode, signer and the owners' vote that decided it (Civil Code art. 278, matter 4).
    It is possible up to and including the old contract's last day; after that the estate
    has been without a manager and a new contract is signed instead.
    """
    access.require(actor, access.CHANGE, contract.estate)
    hold(contract.estate)
    contract = ServiceContract.objects.select_related("estate", "company").get(pk=contract.pk)
    today = today or timezone.localdate()
    if contract.terminated_on is not None:
        raise ValidationError(RENEW_TERMINATED, params={"date": contract.terminated_on})
    if today > contract.ends_on:
        raise ValidationError(RENEW_TOO_LATE, params={"date": contract.ends_on})
    later = ServiceContract.objects.filter(estate=contract.estate, starts_on__gt=contract.starts_on).first()
    if later is not None:
        raise ValidationError(RENEW_NOT_LATEST, params={"contract": later})
    starts_on = contract.ends_on + timedelta(days=1)
    if ends_on < starts_on:
        raise ValidationError(RENEW_ENDS_TOO_EARLY, params={"start": starts_on})
    return sign_contract(
        actor=actor,
        estate=contract.estate,
        company=contract.company,
        mode=mode or contract.mode,
        starts_on=starts_on,
        ends_on=ends_on,
    )


@transaction.atomic
def mark_unmanaged(*, actor, estate: Estate, last_day: date) -> str:
    """The estate is left without a manager (无物业) after ``last_day``: the contract or
    self-management period in force that day ends on it. Refused when nothing is in force
    that day, or when a later contract or period already follows (it would not be unmanaged)."""
    access.require(actor, access.CHANGE, estate)
    hold(estate)
    later_contract = ServiceContract.objects.filter(estate=estate, starts_on__gt=last_day).order_by("starts_on").first()
    later_self = (
        SelfManagementPeriod.objects.filter(estate=estate, started_on__gt=last_day).order_by("started_on").first()
    )
    later = min(
        [d for d in (later_contract and later_contract.starts_on, later_self and later_self.started_on) if d],
        default=None,
    )
    if later is not None:
        raise ValidationError(LATER_MANAGEMENT, params={"date": later})
    contract = ServiceContract.objects.in_force(last_day).filter(estate=estate).first()
    period = SelfManagementPeriod.objects.in_force(last_day).filter(estate=estate).first()
    if contract is None and period is None:
        raise ValidationError(NOTHING_IN_FORCE, params={"date": last_day})
    if contract is not None:
        terminate_contract(actor=actor, contract=contract, last_day=last_day)
    if period is not None:
        period.ended_on = last_day
        period.full_clean()
        period.save(update_fields=["ended_on"])
    return str(
        _("已登记：%(estate)s 自 %(date)s 起无物业管理。")
        % {"estate": estate.name, "date": last_day + timedelta(days=1)}
    )
