"""The maintenance fund (公共维修资金, RULES.md §3): accounts, deposits, interest, use requests.

Money moves only through ``fees.ledger``: every movement is an entry of the ``fund``
ledger on one unit's sub-account, signed (in positive, out negative), numbered without
gaps, never updated. A sub-account's balance is the sum of its unit's entries, so it
moves with the unit when the unit is sold.

Who does what:
* the fund's keeper (``authority``): the housing department (``review_fund``, district
  and street staff) until the fund is handed to the owners' assembly, the committee
  (``approve_spending``) after. The keeper opens sub-accounts, takes deposits, posts
  interest and income, reviews payout applications and pays out;
* a committee member, community staff or the managing company (``PROPOSERS``) plans a
  use, and reports the work done and the settlement;
* the owners of the charged units vote (art. 278 matter 5, through the vote engine).

A use request walks ``TRANSITIONS``; an emergency (art. 24) skips the vote and must be
published afterwards, within the rule set's days of the payout.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms import services as cms
from committees import consents
from committees.models import Matter, VoteStatus
from committees.selectors import least_to_meet, seated
from committees.votes import services as vote_services
from community import access, audit, duties, uploads
from community.legaltime import last_day_after_days
from community.locks import hold, lock_one
from community.models import Building, Estate, Unit
from community.rules import rules_for
from community.workflow import Workflow
from notifications import selectors as told
from notifications.models import Event
from notifications.services import notify

from .. import apportion, ledger
from ..models import (
    Category,
    ChargedUnit,
    FundAccount,
    FundUse,
    FundUseStatus,
    FundUseStep,
    Ledger,
    LedgerEntry,
    PeriodKind,
    Statement,
    SubAccount,
    Subject,
)
from ..selectors import committee_of
from ..services import Disclosure, parse_money, publish_disclosure, today_of
from . import pdf, selectors

S = FundUseStatus
TRANSITIONS = {
    S.PLANNED: {S.VOTING, S.WORKS_DONE},  # to WORKS_DONE only in an emergency
    S.VOTING: {S.APPROVED, S.FAILED},
    S.FAILED: set(),
    S.APPROVED: {S.PUBLICIZED},
    S.PUBLICIZED: {S.WORKS_DONE},
    S.WORKS_DONE: {S.APPLIED},
    S.APPLIED: {S.CLEARED, S.RETURNED},
    S.RETURNED: {S.APPLIED},
    S.CLEARED: {S.PAID},
    S.PAID: {S.SETTLED},
    S.SETTLED: set(),
}
FLOW = Workflow(S, TRANSITIONS)
OPEN = FLOW.open_statuses
PROPOSERS = (access.CONVENE_VOTES, access.KEEP_ACCOUNTS)

NO_ACCOUNT = _("本小区尚未建立维修资金专户。")
ACCOUNT_EXISTS = _("本小区已有维修资金专户。")
RATE_OUT_OF_RANGE = _("首期交存比例须在建安造价的 %(low)s%% 至 %(high)s%% 之间，填写的是 %(pct)s%%。")
MISSING = _("请填写“%(field)s”。")
NO_SUBACCOUNT = _("房屋 %(unit)s 还没有分户账。")
NO_UNITS = _("分摊范围内没有房屋。")
WITHOUT_SUBACCOUNT = _("分摊范围内有 %(n)s 户尚未建立分户账（如 %(unit)s），请先建账。")
FOREIGN_UNIT = _("所选房屋或楼栋不属于本小区。")
NOT_EMERGENCY = _("只有应急使用可以不经表决直接施工。")
EMERGENCY_NO_VOTE = _("应急使用不经业主表决。")
EMERGENCY_NEEDS_REASON = _("应急使用须说明危及房屋安全的紧急情况。")
VOTE_NOT_CLOSED = _("业主表决尚未结束计票。")
OVER_BUDGET = _("结算金额 %(amount)s 元超过业主表决通过的预算 %(budget)s 元，须重新表决。")
RETURN_NEEDS_COMMENTS = _("退回须写明审核意见。")
NO_COMMITTEE = _("本小区没有在任的业主委员会，维修资金移交后的拨付无法审核。")
NOT_MEMBERS = _("同意的须是本届在任委员。")
NO_CONSENTS_HERE = _("只有业主委员会审核通过拨付时才登记委员同意。")
TOO_FEW_MEMBERS = _("同意的委员未达到全体委员的 %(share)s（%(n)s / %(total)s 人），不能审核通过；可退回并写明意见。")
STILL_WAITING = _("已登记委员同意，须待其本人登录确认后生效（已确认 %(n)s / 需 %(m)s，全体委员 %(total)s 人）。")
FUTURE_DATE = _("日期不能晚于今天。")
BEFORE_ACCOUNT = _("日期不能早于专户开户日期 %(day)s。")
OVERDRAWN = _("退还金额 %(amount)s 元超过分户账余额 %(balance)s 元。")
NO_BALANCE = _("没有余额为正的分户账，利息无从分配。")
NOTICE_NOT_PUBLISHED = _("公示尚未发布。")
ALREADY_HANDED_OVER = _("维修资金已于 %(day)s 移交业主大会。")
YEAR_NOT_OVER = _("%(label)s 尚未结束，不能公布。")
FUND_STATEMENT_EXISTS = _("%(label)s 的维修资金公布表已经发布。")


def _required(value: str, field) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(MISSING, params={"field": field})
    return value


def _filled(value: str, model, name: str) -> str:
    """A required text of ``model``'s field ``name``, refused under that field's label."""
    return _required(value, model._meta.get_field(name).verbose_name)


# --------------------------------------------------------------------------- who keeps the fund


def authority(account: FundAccount, on: date) -> str:
    """The permission that keeps the fund on ``on``: the housing department's before the
    hand-over to the owners' assembly, the committee's after (order 165, review step)."""
    return access.APPROVE_SPENDING if account.handed_over(on) else access.REVIEW_FUND


@transaction.atomic
def hand_over(*, actor, account: FundAccount, on: date, now: datetime | None = None) -> FundAccount:
    """The housing department hands the fund to the owners' assembly: from ``on`` the committee
    keeps it and reviews its payouts."""
    access.require(actor, access.REVIEW_FUND, account.estate)
    if on < account.opened_on:
        raise ValidationError(BEFORE_ACCOUNT, params={"day": account.opened_on})
    if account.handed_over_on is not None:
        raise ValidationError(ALREADY_HANDED_OVER, params={"day": account.handed_over_on})
    account.handed_over_on = on
    account.save(update_fields=["handed_over_on"])
    return account


def _require_keeper(actor, account: FundAccount, now: datetime | None) -> None:
    access.require(actor, authority(account, today_of(now)), account.estate)


def _require_proposer(actor, estate: Estate) -> None:
    if actor is not None and not any(access.can(actor, perm, estate) for perm in PROPOSERS):
        raise PermissionDenied(access.NOT_ALLOWED)


def account_of(estate: Estate) -> FundAccount:
    account = FundAccount.objects.filter(estate=estate).select_related("estate").first()
    if account is None:
        raise ValidationError(NO_ACCOUNT)
    return account


# --------------------------------------------------------------------------- accounts and deposits


@transaction.atomic
def open_account(
    *,
    actor,
    estate: Estate,
    bank: str,
    account_number: str,
    construction_cost,
    deposit_pct,
    custodian: str,
    opened_on: date,
    now: datetime | None = None,
) -> FundAccount:
    """Open the estate's special account. The first-deposit rate per m² is the local construction
    cost per m² times a percentage the rule set bounds (5%–8% by default), to the cent."""
    access.require(actor, access.REVIEW_FUND, estate)
    hold(estate)
    if FundAccount.objects.filter(estate=estate).exists():
        raise ValidationError(ACCOUNT_EXISTS)
    cost = parse_money(construction_cost)
    pct = parse_money(deposit_pct)
    rules = rules_for(estate)
    low, high = rules.fund_deposit_rate_min_pct, rules.fund_deposit_rate_max_pct
    if not low <= pct <= high:
        raise ValidationError(RATE_OUT_OF_RANGE, params={"low": low, "high": high, "pct": pct})
    if opened_on > today_of(now):
        raise ValidationError(FUTURE_DATE)
    rate = (cost * pct / 100).quantize(apportion.CENT, rounding=ROUND_HALF_UP)
    duties.changed()  # the fund statement falls due from the opening
    return FundAccount.objects.create(
        estate=estate,
        bank=_filled(bank, FundAccount, "bank"),
        account_number=_filled(account_number, FundAccount, "account_number"),
        construction_cost=cost,
        deposit_pct=pct,
        rate=rate,
        custodian=_filled(custodian, FundAccount, "custodian"),
        opened_on=opened_on,
    )


@transaction.atomic
def open_subaccounts(*, actor, account: FundAccount, on: date, progress=None, now: datetime | None = None) -> int:
    """A sub-account for every unit of the estate that has none, each with its first deposit
    (effective area × the account's rate, rounded half up to the cent), posted in one batch.
    Idempotent: returns how many were opened (0 when every unit has one)."""
    _require_keeper(actor, account, now)
    _dated(on, account, now)
    hold(account)
    units = (
        Unit.objects.filter(building__estate=account.estate, fund_subaccount__isnull=True)
        .with_effective_area()
        .select_related("building")
        .order_by("building__name", "room")
    )
    rate = apportion.cents(account.rate)
    opened, lines = [], []
    for unit in (progress or (lambda rows, **kw: rows))(list(units), desc=f"{account.estate.name} 建账", unit="户"):
        area = Decimal(str(unit.effective_area_db)).quantize(apportion.CENT)
        if area <= 0:
            continue
        deposit = apportion.yuan(apportion.monthly_cents(rate, apportion.cents(area)))
        opened.append(SubAccount(account=account, unit=unit, area=area, first_deposit=deposit, opened_on=on))
        lines.append(
            dict(
                category=Category.FUND_DEPOSIT,
                amount=deposit,
                unit=unit,
                description=f"首期交存 {area}㎡ × {account.rate} 元/㎡",
            )
        )
    if not opened:
        return 0
    SubAccount.objects.bulk_create(opened, batch_size=2000)
    ledger.post_many(
        actor=actor,
        estate=account.estate,
        ledger=Ledger.FUND,
        entry_date=on,
        keeper=account.keeper_name(on),
        lines=lines,
        now=now,
    )
    return len(opened)


def _subaccount(unit: Unit) -> SubAccount:
    sub = SubAccount.objects.filter(unit=unit).select_related("account__estate", "unit__building").first()
    if sub is None:
        raise ValidationError(NO_SUBACCOUNT, params={"unit": unit})
    return sub


def _dated(on: date, account: FundAccount, now) -> None:
    """An entry's date: not in the future, not before the account was opened."""
    if on > today_of(now):
        raise ValidationError(FUTURE_DATE)
    if on < account.opened_on:
        raise ValidationError(BEFORE_ACCOUNT, params={"day": account.opened_on})


@transaction.atomic
def top_up(*, actor, unit: Unit, amount, on: date, note: str = "", now: datetime | None = None) -> LedgerEntry:
    """A top-up deposit (续交) into the unit's sub-account; it clears a top-up alert once the
    balance is back at the rule set's share of the first deposit."""
    sub = _subaccount(unit)
    _require_keeper(actor, sub.account, now)
    amount = parse_money(amount)
    _dated(on, sub.account, now)
    return ledger.post(
        actor=actor,
        estate=sub.account.estate,
        ledger=Ledger.FUND,
        entry_date=on,
        keeper=sub.account.keeper_name(on),
        now=now,
        category=Category.FUND_TOPUP,
        amount=amount,
        unit=unit,
        description=("续交 " + note.strip()).strip()[:200],
    )


@transaction.atomic
def refund(*, actor, unit: Unit, amount, on: date, reason: str, now: datetime | None = None) -> LedgerEntry:
    """Pay part or all of a sub-account back (the house is demolished, say): never more than its balance."""
    sub = _subaccount(unit)
    _require_keeper(actor, sub.account, now)
    amount = parse_money(amount)
    _dated(on, sub.account, now)
    reason = _required(reason, _("退还原因"))
    hold(sub)
    balance = selectors.balance_of(unit)
    if amount > balance:
        raise ValidationError(OVERDRAWN, params={"amount": amount, "balance": balance})
    return ledger.post(
        actor=actor,
        estate=sub.account.estate,
        ledger=Ledger.FUND,
        entry_date=on,
        keeper=sub.account.keeper_name(on),
        now=now,
        category=Category.FUND_REFUND,
        amount=-amount,
        unit=unit,
        description=f"退还：{reason}"[:200],
    )


def _spread(
    *,
    actor,
    account: FundAccount,
    total: Decimal,
    weights: dict[int, Decimal],
    category: str,
    on: date,
    description: str,
    counterparty: str = "",
    now=None,
    fund_use=None,
    sign: int = 1,
) -> ledger.Batch:
    """Post ``total`` over sub-accounts in proportion to ``weights`` ({unit id: weight}),
    to the cent (apportion); a unit whose share rounds to nothing gets no entry."""
    parts = apportion.apportion(apportion.cents(total), weights)
    lines = [
        dict(
            category=category,
            amount=sign * apportion.yuan(part),
            unit_id=unit_id,
            fund_use=fund_use,
            description=description[:200],
            counterparty=counterparty,
        )
        for unit_id, part in parts.items()
        if part
    ]
    return ledger.post_many(
        actor=actor,
        estate=account.estate,
        ledger=Ledger.FUND,
        entry_date=on,
        keeper=account.keeper_name(on),
        lines=lines,
        now=now,
    )


@transaction.atomic
def post_interest(
    *, actor, account: FundAccount, amount, on: date, description: str = "", now: datetime | None = None
) -> ledger.Batch:
    """The bank's interest for the account, shared among sub-accounts by their balances on
    ``on`` (entries dated up to that day); a sub-account at or below zero earns nothing."""
    _require_keeper(actor, account, now)
    amount = parse_money(amount)
    _dated(on, account, now)
    hold(account)
    weights = {unit_id: balance for unit_id, balance in selectors.balances_on(account, on).items() if balance > 0}
    if not weights:
        raise ValidationError(NO_BALANCE)
    return _spread(
        actor=actor,
        account=account,
        total=amount,
        weights=weights,
        category=Category.FUND_INTEREST,
        on=on,
        description=description.strip() or f"{on.year}年度专户利息（按分户余额分配）",
        now=now,
    )


@transaction.atomic
def post_income(
    *,
    actor,
    account: FundAccount,
    amount,
    on: date,
    description: str,
    counterparty: str = "",
    now: datetime | None = None,
) -> ledger.Batch:
    """Income that joins the fund (bond returns, common-part income the assembly adds to it),
    shared among all sub-accounts by area."""
    _require_keeper(actor, account, now)
    amount = parse_money(amount)
    _dated(on, account, now)
    description = _required(description, _("摘要"))
    weights = dict(SubAccount.objects.filter(account=account).values_list("unit_id", "area"))
    if not weights:
        raise ValidationError(NO_UNITS)
    return _spread(
        actor=actor,
        account=account,
        total=amount,
        weights=weights,
        category=Category.FUND_INCOME,
        on=on,
        description=description,
        counterparty=counterparty.strip(),
        now=now,
    )


@transaction.atomic
def reverse_fund_entry(*, actor, entry: LedgerEntry, reason: str, now: datetime | None = None) -> LedgerEntry:
    """Undo one fund entry with its negation, dated today. A payout is one project's entries:
    those are part of a settled use and are not reversed one by one."""
    account = account_of(entry.estate)
    _require_keeper(actor, account, now)
    entry = lock_one(LedgerEntry, pk=entry.pk, ledger=Ledger.FUND)
    today = today_of(now)
    reversal = ledger.post(
        actor=actor,
        estate=entry.estate,
        ledger=Ledger.FUND,
        entry_date=today,
        keeper=account.keeper_name(today),
        now=now,
        **ledger.reversal(entry, reason),
    )
    audit.record("reversal", user=actor, obj=reversal, detail={"reverses": entry.pk, "amount": str(entry.amount)})
    return reversal


# --------------------------------------------------------------------------- use requests


def _step(use: FundUse, to: str, *, actor, now: datetime, note: str = "") -> None:
    FLOW.move(use, to)
    use.save()
    FundUseStep.objects.create(use=use, status=to, at=now, by=actor, note=note)


def _locked(use: FundUse) -> FundUse:
    return lock_one(FundUse.objects.select_related("estate", "vote"), pk=use.pk)


def _locked_for_keeper(actor, use: FundUse, now: datetime | None) -> tuple[FundUse, FundAccount]:
    """The use, locked, and its estate's account, for a step only the fund's keeper takes."""
    use = _locked(use)
    account = account_of(use.estate)
    _require_keeper(actor, account, now)
    return use, account


@transaction.atomic
def plan_use(
    *,
    actor,
    estate: Estate,
    title: str,
    kind: str,
    plan: str,
    budget,
    contractor: str,
    quotes: str = "",
    buildings=(),
    units=(),
    emergency: bool = False,
    emergency_reason: str = "",
    now: datetime | None = None,
) -> FundUse:
    """A plan: project, budget, contractor and quotes, and the charged scope (units, else the
    units of ``buildings``, else the whole estate). Every charged unit needs a sub-account."""
    _require_proposer(actor, estate)
    now = now or timezone.now()
    account_of(estate)
    budget = parse_money(budget)
    title, plan, contractor = (
        _filled(title, FundUse, "title"),
        _filled(plan, FundUse, "plan"),
        _filled(contractor, FundUse, "contractor"),
    )
    if emergency and not (emergency_reason or "").strip():
        raise ValidationError(EMERGENCY_NEEDS_REASON)
    buildings, units = list(buildings), list(units)
    if (
        any(b.estate_id != estate.pk for b in buildings)
        or Unit.objects.filter(pk__in=[u.pk for u in units]).exclude(building__estate=estate).exists()
    ):
        raise ValidationError(FOREIGN_UNIT)
    if units:
        charged = Unit.objects.filter(pk__in=[u.pk for u in units])
    elif buildings:
        charged = Unit.objects.filter(building__in=buildings)
    else:
        charged = Unit.objects.filter(building__estate=estate)
    if not charged.exists():
        raise ValidationError(NO_UNITS)
    missing = charged.filter(fund_subaccount__isnull=True).select_related("building")
    count = missing.count()
    if count:
        raise ValidationError(WITHOUT_SUBACCOUNT, params={"n": count, "unit": missing.first()})
    use = FundUse.objects.create(
        estate=estate,
        title=title,
        kind=kind,
        plan=plan,
        budget=budget,
        contractor=contractor,
        quotes=quotes.strip(),
        emergency=emergency,
        emergency_reason=(emergency_reason or "").strip(),
        created_at=now,
        created_by=actor,
    )
    use.buildings.set(buildings if not units else Building.objects.filter(units__in=units).distinct())
    areas = dict(SubAccount.objects.filter(unit__in=charged).values_list("unit_id", "area"))
    shares = apportion.apportion(apportion.cents(budget), areas)
    ChargedUnit.objects.bulk_create(
        [
            ChargedUnit(use=use, unit_id=pk, area=areas[pk], planned_share=apportion.yuan(shares[pk]))
            for pk in sorted(areas)
        ],
        batch_size=2000,
    )
    FundUseStep.objects.create(
        use=use,
        status=S.PLANNED,
        at=now,
        by=actor,
        note=str(_("应急使用：%(reason)s") % {"reason": use.emergency_reason}) if emergency else "",
    )
    return use


@transaction.atomic
def put_to_vote(
    *, actor, use: FundUse, opens_at: datetime, closes_at: datetime, branch_review=None, now: datetime | None = None
) -> FundUse:
    """The owners of the charged units vote (art. 278 matter 5): the vote's scope is exactly them."""
    use = _locked(use)
    if use.emergency:
        raise ValidationError(EMERGENCY_NO_VOTE)
    if use.status != S.PLANNED:
        raise FLOW.refusal(use.status, S.VOTING)
    now = now or timezone.now()
    use.vote = vote_services.convene_vote(
        actor=actor,
        estate=use.estate,
        matter=Matter.FUND_USE,
        opens_at=opens_at,
        closes_at=closes_at,
        now=now,
        buildings=list(use.buildings.all()),
        units=list(use.units.all()),
        branch_review=branch_review,
        question=(
            f"使用维修资金：{use.title}，预算 {use.budget} 元，"
            f"由分摊范围内业主按建筑面积分摊（施工单位：{use.contractor}）"
        )[:300],
    )
    _step(
        use,
        S.VOTING,
        actor=actor,
        now=now,
        note=str(
            _("表决期 %(open)s 至 %(close)s")
            % {
                "open": f"{timezone.localtime(opens_at):%Y-%m-%d %H:%M}",
                "close": f"{timezone.localtime(closes_at):%Y-%m-%d %H:%M}",
            }
        ),
    )
    _tell_charged(use, opens_at=opens_at, closes_at=closes_at, now=now)
    return use


def _tell_charged(use: FundUse, *, opens_at: datetime, closes_at: datetime, now: datetime) -> None:
    """Tell the owners of the charged units what the use would cost them. The vote's own notice
    (convene_vote) tells every voter that a vote is open; this message is the charge. One
    message for the whole scope (units rarely share an area to the cent, so a message per amount
    would be a message per unit): the rate per square metre, and each unit's own share on the
    owner's fund page."""
    count, area = selectors.scope_size(use)
    rate = (use.budget / area).quantize(apportion.CENT) if area else use.budget
    window = f"{timezone.localtime(opens_at):%Y年%m月%d日 %H:%M} 至 {timezone.localtime(closes_at):%Y年%m月%d日 %H:%M}"
    notify(
        event=Event.FUND_USE_VOTE,
        recipients=selectors.charged_owners(use, today_of(now)),
        title=f"维修资金使用表决：{use.title}，您的房屋按建筑面积每平方米分摊约 {rate} 元",
        body=(
            f"{use.estate.name}拟使用维修资金：{use.title}（{use.get_kind_display()}），预算 {use.budget} 元，"
            f"施工单位：{use.contractor}，由分摊范围内 {count} 户按建筑面积分摊，每平方米约 {rate} 元。"
            "您房屋按预算应分摊的金额见“我的维修资金”，最终以竣工结算为准。\n"
            f"业主表决期：{window}。"
        ),
        link=reverse("fees:my_fund"),
        subject=use,
    )


@transaction.atomic
def settle_vote(*, actor, use: FundUse, now: datetime | None = None) -> FundUse:
    """After the count: a passed plan gets its public notice of plan and result drafted; a failed
    one stops here, with the reason."""
    _require_proposer(actor, use.estate)
    use = _locked(use)
    now = now or timezone.now()
    if use.status != S.VOTING or use.vote is None:
        raise FLOW.refusal(use.status, S.APPROVED)
    if use.vote.status != VoteStatus.CLOSED:
        raise ValidationError(VOTE_NOT_CLOSED)
    result = use.vote.result or {}
    if not result.get("decided"):
        use.comments = str(
            _("未达到参与表决的法定比例。") if not result.get("quorum_met") else _("同意未达到法定比例。")
        )
        _step(use, S.FAILED, actor=actor, now=now, note=use.comments)
        return use
    count, area = selectors.scope_size(use)
    use.plan_notice = cms.draft_notice(
        estate=use.estate,
        category="fund",
        title=f"{use.estate.name}维修资金使用方案及表决结果公示：{use.title}",
        body=(
            f"维修项目：{use.title}（{use.get_kind_display()}）。\n维修方案：{use.plan}\n"
            f"预算 {use.budget} 元，施工单位：{use.contractor}。\n"
            f"分摊范围：{selectors.scope_text(use)}，共 {count} 户、{area} 平方米，按建筑面积分摊，每平方米约 "
            f"{(use.budget / area).quantize(apportion.CENT)} 元。\n"
            f"业主表决：参与面积 {result['participating']['area']} 平方米、{result['participating']['heads']} 人；"
            f"同意面积 {result['by_choice']['yes']['area']} 平方米、"
            f"{result['by_choice']['yes']['heads']} 人。表决通过。\n"
            "各户分摊以竣工结算金额为准，拨付后另行公示。"
        ),
        publicity_days=rules_for(use.estate).decision_publicity_days,
        source=f"fees.FundUse:{use.pk}:plan",
    )
    _step(use, S.APPROVED, actor=actor, now=now, note=str(_("表决通过")))
    return use


@transaction.atomic
def _publish(*, actor, use: FundUse, ready: str, to: str, notice: str, now: datetime | None) -> FundUse:
    """Publish the use's drafted notice (its field ``notice``) and move it from ``ready`` to ``to``."""
    access.require(actor, access.PUBLISH_NOTICES, use.estate)
    use = _locked(use)
    if use.status != ready:
        raise FLOW.refusal(use.status, to)
    page = getattr(use, notice)
    if page is None:
        raise ValidationError(NOTICE_NOT_PUBLISHED)
    if not page.live:
        cms.publish_notice(actor=actor, notice=page)
    _step(use, to, actor=actor, now=now or timezone.now())
    return use


@transaction.atomic
def publish_plan(*, actor, use: FundUse, now: datetime | None = None) -> FundUse:
    """Publish the notice of the plan and the vote's result; the works may then start."""
    return _publish(actor=actor, use=use, ready=S.APPROVED, to=S.PUBLICIZED, notice="plan_notice", now=now)


@transaction.atomic
def record_works_done(*, actor, use: FundUse, done_on: date, acceptance: str, now: datetime | None = None) -> FundUse:
    """The works are finished and accepted. An emergency comes here straight from its plan."""
    _require_proposer(actor, use.estate)
    use = _locked(use)
    now = now or timezone.now()
    if use.status == S.PLANNED and not use.emergency:
        raise ValidationError(NOT_EMERGENCY)
    if done_on > today_of(now):
        raise ValidationError(FUTURE_DATE)
    use.works_done_on = done_on
    use.acceptance = _filled(acceptance, FundUse, "acceptance")
    _step(use, S.WORKS_DONE, actor=actor, now=now, note=use.acceptance)
    return use


@transaction.atomic
def apply_payout(
    *, actor, use: FundUse, settlement, invoice=None, note: str = "", now: datetime | None = None
) -> FundUse:
    """Apply for payout with the settled cost. Without a fresh vote it cannot exceed the budget
    the owners approved; an emergency had no vote, so its settlement stands on the review."""
    _require_proposer(actor, use.estate)
    use = _locked(use)
    now = now or timezone.now()
    amount = parse_money(settlement)
    if not use.emergency and amount > use.budget:
        raise ValidationError(OVER_BUDGET, params={"amount": amount, "budget": use.budget})
    use.settlement = amount
    if invoice is not None:
        uploads.store(use.invoice, invoice, uploads.ATTACHMENT)  # a PDF, JPEG or PNG, under a random name
    _step(
        use, S.APPLIED, actor=actor, now=now, note=note.strip() or str(_("结算金额 %(amount)s 元") % {"amount": amount})
    )
    return use


@transaction.atomic
def review_payout(
    *,
    actor,
    use: FundUse,
    approve: bool,
    comments: str = "",
    in_favour=(),
    now: datetime | None = None,
) -> FundUse:
    """The keeper's review: cleared for payout, or returned with comments to apply again.

    When the committee keeps the fund (after the hand-over), clearing is a committee decision
    like an expenditure approval: the members in favour (``in_favour``) are recorded as consents
    (committees.consents), and it is cleared only when the confirmed ones reach the rule set's
    ``expenditure_approval`` share of all seated members, here or on the confirmation that
    completes them. A return with comments needs none, and the housing department reviews alone."""
    use, account = _locked_for_keeper(actor, use, now)
    now = now or timezone.now()
    if not approve and not comments.strip():
        raise ValidationError(RETURN_NEEDS_COMMENTS)
    in_favour = list(in_favour)
    by_committee = authority(account, today_of(now)) == access.APPROVE_SPENDING
    if in_favour and not (approve and by_committee):
        raise ValidationError(NO_CONSENTS_HERE)
    if approve and by_committee:
        return _committee_clears(actor=actor, use=use, comments=comments, in_favour=in_favour, now=now)
    use.comments = comments.strip()
    _step(use, S.CLEARED if approve else S.RETURNED, actor=actor, now=now, note=use.comments)
    audit.record("fund_payout_review", user=actor, obj=use, detail={"approved": approve, "status": use.status})
    return use


def _committee_clears(*, actor, use: FundUse, comments: str, in_favour: list, now: datetime) -> FundUse:
    if use.status != S.APPLIED:
        raise FLOW.refusal(use.status, S.CLEARED)
    committee = committee_of(use.estate)
    if committee is None:
        raise ValidationError(NO_COMMITTEE)
    members = {m.pk: m for m in seated(committee).select_related("owner")}
    if any(m.pk not in members for m in in_favour):
        raise ValidationError(NOT_MEMBERS)
    threshold = rules_for(use.estate).expenditure_approval
    recorded = set(use.consents.values_list("member_id", flat=True))
    listed = recorded | {m.pk for m in in_favour}
    new = [members[pk] for pk in dict.fromkeys(m.pk for m in in_favour) if pk not in recorded]
    if not threshold.met(len(listed), len(members)):
        raise ValidationError(TOO_FEW_MEMBERS, params={"share": threshold, "n": len(listed), "total": len(members)})
    if comments.strip():
        use.comments = comments.strip()
        use.save(update_fields=["comments"])
    consents.record(actor=actor, subject=use, members=new, now=now)
    use = settle_payout_review(use, actor=actor, now=now)
    if use.status == S.APPLIED and not new:
        agreed = use.consents.exclude(confirmed_at=None).count()
        raise ValidationError(
            STILL_WAITING,
            params={"n": agreed, "m": least_to_meet(threshold, len(members)), "total": len(members)},
        )
    audit.record(
        "fund_payout_review",
        user=actor,
        obj=use,
        detail={"approved": True, "status": use.status, "in_favour": len(listed), "members": len(members)},
    )
    return use


def settle_payout_review(use: FundUse, *, actor, now: datetime | None = None) -> FundUse:
    """Clear a payout the committee approved once the confirmed consents reach the rule set's
    ``expenditure_approval`` share of all seated members. Runs in the caller's transaction (the
    review, or a member's confirmation); anything else stays as it is."""
    now = now or timezone.now()
    use = _locked(use)
    if use.status != S.APPLIED:
        return use
    committee = committee_of(use.estate)
    if committee is None:
        return use
    total = seated(committee).count()
    agreed = use.consents.exclude(confirmed_at=None).count()
    if not rules_for(use.estate).expenditure_approval.met(agreed, total):
        return use
    note = use.comments or str(_("业主委员会审核同意（已确认 %(n)s / %(total)s 人）") % {"n": agreed, "total": total})
    _step(use, S.CLEARED, actor=actor, now=now, note=note)
    audit.record("fund_payout_cleared", user=actor, obj=use, detail={"confirmed": agreed, "members": total})
    return use


def payouts_waiting(ids) -> dict:
    """Of the fund uses ``ids``, those whose payout the committee approved, waiting for its members'
    confirmations or already cleared; a member may still confirm them (a returned one waits for nobody)."""
    return {
        u.pk: u
        for u in FundUse.objects.filter(
            pk__in=list(ids), status__in=(S.APPLIED, S.CLEARED, S.PAID, S.SETTLED), consents__isnull=False
        )
        .select_related("estate")
        .distinct()
    }


def describe_payout(use: FundUse) -> str:
    return str(
        _("维修资金拨付审核：%(title)s，施工单位 %(contractor)s，结算金额 %(amount)s 元")
        % {"title": use.title, "contractor": use.contractor, "amount": use.settlement}
    )


@transaction.atomic
def pay_out(*, actor, use: FundUse, paid_on: date, now: datetime | None = None) -> ledger.Batch:
    """The transfer to the contractor: the settlement apportioned by area over every charged
    sub-account, posted as one batch of entries in this transaction, and the settlement notice
    drafted (rooms and amounts, no names). An emergency must publish it within the rule set's days."""
    use, account = _locked_for_keeper(actor, use, now)
    now = now or timezone.now()
    if use.status != S.CLEARED:
        raise FLOW.refusal(use.status, S.PAID)
    _dated(paid_on, account, now)
    weights = dict(ChargedUnit.objects.filter(use=use).values_list("unit_id", "area"))
    entries = _spread(
        actor=actor,
        account=account,
        total=use.settlement,
        weights=weights,
        category=Category.FUND_USE,
        on=paid_on,
        description=f"维修使用：{use.title}（按建筑面积分摊）",
        counterparty=use.contractor,
        now=now,
        fund_use=use,
        sign=-1,
    )
    use.paid_on = paid_on
    if use.emergency:
        use.publish_by = last_day_after_days(paid_on, rules_for(use.estate).fund_emergency_publication_days)
    rows = selectors.split_rows(use)
    document = pdf.fund_split_pdf(use, rows)
    lines = "\n".join(f"{r.unit}：{r.area}㎡，分摊 {r.amount} 元" for r in rows[:30])
    more = "\n……" if len(rows) > 30 else ""
    use.settlement_notice = cms.draft_notice(
        estate=use.estate,
        category="fund",
        title=f"{use.estate.name}维修资金{'应急使用' if use.emergency else '使用'}结算公示：{use.title}",
        body=(
            (f"应急使用（不经业主表决先行维修）：{use.emergency_reason}\n" if use.emergency else "")
            + f"维修项目：{use.title}，施工单位：{use.contractor}，{use.works_done_on:%Y年%m月%d日}竣工。\n"
            f"结算金额 {use.settlement} 元，已于 {paid_on:%Y年%m月%d日} 拨付，由 {len(rows)} 户按建筑面积分摊。\n"
            f"{lines}{more}\n各户分摊明细见附件。"
        ),
        attachments=[(f"fund-use-{use.pk}.pdf", document)],
        source=f"fees.FundUse:{use.pk}:settlement",
    )
    _step(
        use,
        S.PAID,
        actor=actor,
        now=now,
        note=str(_("拨付 %(amount)s 元，%(n)s 户分摊") % {"amount": use.settlement, "n": entries.count}),
    )
    audit.record(
        "fund_payout",
        user=actor,
        obj=use,
        detail={"amount": str(use.settlement), "paid_on": paid_on.isoformat(), "units": entries.count},
    )
    _tell_top_ups(account, now=now)  # the charge may have taken sub-accounts below the line
    return entries


@transaction.atomic
def publish_settlement(*, actor, use: FundUse, now: datetime | None = None) -> FundUse:
    """Publish the settlement (for an emergency, the after-the-fact publication art. 24 requires)."""
    return _publish(actor=actor, use=use, ready=S.PAID, to=S.SETTLED, notice="settlement_notice", now=now)


def publication_overdue(use: FundUse, today: date | None = None) -> bool:
    """An emergency paid out but not published by its deadline."""
    today = today or timezone.localdate()
    return use.status == S.PAID and use.publish_by is not None and today > use.publish_by


# --------------------------------------------------------------------------- annual statement


@transaction.atomic
def publish_fund_statement(
    *, actor, estate: Estate, year: int, base_url: str, now: datetime | None = None
) -> Statement:
    """Freeze a year's fund statement (art. 30): its PDF and fingerprint are stored, the year is
    closed to new fund entries, and a notice is drafted with the PDF attached: rooms and amounts,
    never names."""
    account = account_of(estate)
    _require_keeper(actor, account, now)
    start, end = date(year, 1, 1), date(year, 12, 31)
    label = f"{year}年度"

    def build() -> Disclosure:
        data = selectors.fund_statement(estate, start, end, label=label)
        link = selectors.verify_link(base_url, data)
        t = data.totals
        projects = "\n".join(
            f"{p.title}：{p.cost} 元，{p.units} 户按面积分摊（每平方米约 {p.per_m2} 元）" for p in data.projects
        )
        return Disclosure(
            fingerprint=data.fingerprint,
            document=pdf.fund_statement_pdf(data, verify=link),
            filename=f"{estate.code}-{year}-fund.pdf",
            category="fund",
            title=f"{estate.name}{label}住宅专项维修资金公布",
            body=(
                f"管理主体：{data.keeper}；专户：{data.account}。\n"
                f"期初余额 {t['opening']} 元，本年交存 {t['deposits']} 元，收益 {t['income']} 元，使用 {t['uses']} 元，"
                f"退还 {t['refunds']} 元，期末余额 {t['closing']} 元。\n"
                f"本年使用维修资金的项目 {len(data.projects)} 项：\n{projects or '无'}\n"
                f"每户（按房号）的交存、使用、收益和余额见附件，共 {len(data.units)} 户。"
                f"业主可登录本系统随时查询本户分户账。附件的数字指纹可在 {link.address} 核验。"
            ),
            source=f"fees.Statement:{estate.pk}:fund:{year}",
            issuer=data.keeper,
        )

    return publish_disclosure(
        actor=actor,
        estate=estate,
        subject=Subject.FUND,
        kind=PeriodKind.YEAR,
        start=start,
        end=end,
        label=label,
        not_over=YEAR_NOT_OVER,
        exists=FUND_STATEMENT_EXISTS,
        build=build,
        now=now,
    )


# --------------------------------------------------------------------------- top-up alerts

# An owner whose sub-account stays below the line is reminded again after this many days.
TOPUP_REMINDER_DAYS = 30


def _tell_top_ups(account: FundAccount, *, now: datetime) -> int:
    """Tell the owners of the account's sub-accounts below the rule set's share of their first
    deposit (art. 17) that they should top up: those not told about this account within
    ``TOPUP_REMINDER_DAYS`` and reachable at all (an account or a mobile). Returns how many
    owners were told. The account's row is held, so two runs never tell one owner twice."""
    account = lock_one(FundAccount.objects.select_related("estate"), pk=account.pk)
    recently = told.deliveries_about(account, Event.FUND_TOPUP).filter(
        message__created_at__gt=now - timedelta(days=TOPUP_REMINDER_DAYS), owner__isnull=False
    )
    owners = list(
        selectors.owners_needing_top_up(account, today_of(now))
        .filter(Q(user__isnull=False) | ~Q(mobile=""))
        .exclude(pk__in=recently.values("owner"))
    )
    if not owners:
        return 0
    estate, share = account.estate, rules_for(account.estate).fund_topup_below
    percent = f"{share.numerator * 100 / share.denominator:g}%"
    notify(
        event=Event.FUND_TOPUP,
        recipients=owners,
        title=f"{estate.name}维修资金续交提醒",
        body=(
            f"您在{estate.name}的房屋，维修资金分户账余额已低于首期交存额的 {percent}，"
            "按《住宅专项维修资金管理办法》第十七条应当续交。"
            "请在“我的维修资金”查看余额，并按规定办理续交。"
        ),
        link=reverse("fees:my_fund"),
        subject=account,
        key=f"{Event.FUND_TOPUP}:{account.pk}:{now.isoformat()}",
    )
    return len(owners)


def alert_topups(*, now: datetime | None = None, progress=None) -> int:
    """The daily round of top-up alerts over every estate's fund account (each in its own
    transaction); safe to run as often as wished. Returns how many owners were told."""
    now = now or timezone.now()
    accounts = list(FundAccount.objects.order_by("pk"))
    total = 0
    for account in (progress or (lambda rows, **kw: rows))(accounts, desc="维修资金续交提醒", unit="个专户"):
        with transaction.atomic():
            total += _tell_top_ups(account, now=now)
    return total
