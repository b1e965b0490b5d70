"""The maintenance-fund part of the demo (called from fees/demo.py).

Every estate gets a special account and a sub-account per unit with its first deposit;
last year's interest is shared by balance. Over the last year some 90 use requests go
through fees.fund.services with explicit dates, ending in every status: failed votes,
emergencies (two overdue for publication), returns with comments, payouts split to the
cent. A lift repair leaves one building of 江滨豪园 below the top-up line, and a few of
its owners have topped up. The six pilots publish last year's fund statement.

For the walk in the README, 江滨豪园's 3号楼 (where the `owner` login lives) has a roof
repair whose owners' vote is open today, and a pipe repair cleared for payout.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cms import services as cms
from committees import steward
from committees.models import Matter, PartyBranch
from committees.selectors import least_to_meet
from committees.votes import demo as votes_demo
from committees.votes import selectors as vote_selectors
from committees.votes import services as vote_services
from community import access
from community.demo import PILOT_ESTATES
from community.models import Building, Estate
from community.rules import rules_for

from ..models import FundAccount, FundUse, FundUseStatus
from ..selectors import committee_of, seats
from . import selectors, services

S = FundUseStatus
SEED = 2021_08
BASE_URL = getattr(settings, "DEMO_BASE_URL", "http://127.0.0.1:8000")
CUSTODIAN = "三元区住房专项维修资金管理中心"
CONTRACTORS = [
    "三元防水工程有限公司",
    "闽中建设集团有限公司",
    "安达电梯维保有限公司",
    "清源管道工程有限公司",
    "明城消防设备有限公司",
]
# name, and the cost per m² of the charged floor area (low, high) in yuan
PROJECTS = {
    "roof": ("屋面防水翻新", 18, 40),
    "lift": ("电梯主机及控制柜更换", 35, 70),
    "pipes": ("雨污水管道更换", 8, 25),
    "facade": ("外墙空鼓脱落修缮", 20, 45),
    "fire": ("消防管网及喷淋头更换", 10, 30),
}
EMERGENCIES = [
    ("lift", "电梯困人故障，主板烧毁", "电梯运行中困人，维保单位检测主板烧毁，需立即更换"),
    ("roof", "暴雨后屋面渗漏进户", "连续暴雨后顶层多户室内漏水，需立即抢修"),
    ("pipes", "主供水管爆裂", "地下主供水管爆裂，整栋停水，需立即抢修"),
]
# (target status, how many) outside the walk: at least 80 requests, every status.
PLAN = [
    (S.SETTLED, 30),
    (S.PAID, 5),
    (S.CLEARED, 4),
    (S.APPLIED, 6),
    (S.RETURNED, 3),
    (S.WORKS_DONE, 5),
    (S.PUBLICIZED, 6),
    (S.APPROVED, 3),
    (S.VOTING, 5),
    (S.FAILED, 6),
    (S.PLANNED, 5),
]
EMERGENCY_PLAN = [(S.SETTLED, 5), (S.PAID, 3), (S.APPLIED, 1), (S.PLANNED, 1)]


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def build(*, today: date, progress=None, log=print) -> None:
    progress = progress or (lambda iterable, **kw: iterable)
    if FundAccount.objects.exists():
        log("维修资金：已建立，跳过")
        return
    rng = random.Random(SEED)
    estates = list(Estate.objects.order_by("code"))
    opened_on = date(today.year - 8, 3, 1)
    last_year_end = date(today.year - 1, 12, 21)
    for estate in progress(estates, desc="维修资金专户", unit="个"):
        _account(estate, rng, opened_on, last_year_end)
    pilots = [e for e in estates if e.name in PILOT_ESTATES]
    others = [e for e in estates if e.name not in PILOT_ESTATES][:24]
    pool = pilots * 3 + others
    jobs = [(status, False) for status, n in PLAN for _i in range(n)] + [
        (status, True) for status, n in EMERGENCY_PLAN for _i in range(n)
    ]
    for index, (status, emergency) in enumerate(progress(jobs, desc="维修资金使用申请", unit="项")):
        _request(pool[index % len(pool)], status, rng, today, emergency=emergency)
    jiangbin = next(e for e in estates if e.name == PILOT_ESTATES[0])
    _jiangbin(jiangbin, rng, today)
    for estate in pilots:
        statement = services.publish_fund_statement(actor=None, estate=estate, year=today.year - 1, base_url=BASE_URL)
        cms.publish_notice(actor=None, notice=statement.notice)
    # The daily round of top-up alerts, as the schedule runs it (the payouts above told theirs already).
    told = services.alert_topups()
    log(
        f"维修资金：专户 {len(estates)} 个，使用申请 {FundUse.objects.count()} 项，"
        f"{len(pilots)} 个试点已公布 {today.year - 1} 年度分户账，续交提醒另发 {told} 位业主"
    )


@transaction.atomic
def _account(estate: Estate, rng: random.Random, opened_on: date, interest_on: date) -> None:
    # Handed to the owners' assembly only where a committee is in office to keep it: the committee
    # reviews every payout after the hand-over, its members each agreeing for themselves.
    handed_over = (estate.name in PILOT_ESTATES[4:] or rng.random() < 0.1) and committee_of(estate) is not None
    account = services.open_account(
        actor=None,
        estate=estate,
        bank="中国建设银行三元支行",
        account_number=f"3505 0160 {estate.pk:04d} 0000 {rng.randrange(1000, 9999)}",
        construction_cost=Decimal(rng.randrange(1800, 2600)),
        deposit_pct=Decimal(rng.choice(["5", "6", "6.5", "7", "8"])),
        custodian=CUSTODIAN,
        opened_on=opened_on,
        now=_at(opened_on),
    )
    if handed_over:
        services.hand_over(actor=None, account=account, on=opened_on + timedelta(days=900))
    if not services.open_subaccounts(actor=None, account=account, on=opened_on, now=_at(opened_on)):
        return
    balance = selectors.estate_totals(account)["balance"]
    services.post_interest(
        actor=None,
        account=account,
        amount=(balance * Decimal("0.0135")).quantize(Decimal("0.01")),
        on=interest_on,
        now=_at(interest_on),
    )


def _review(estate: Estate, day: date, question: str):
    branch = PartyBranch.objects.filter(estate=estate).first()
    if branch is None:
        return None
    return steward.record_review(
        actor=None,
        branch=branch,
        matter=Matter.FUND_USE,
        question=question[:200],
        reviewed_on=day,
        opinion="支部审议同意提交业主表决，请业委会做好解释和公示工作。",
    )


def _in_favour(use: FundUse, day: date) -> list:
    """When the committee keeps the fund, the fewest seated members its approval needs, as the
    system records agreements already signed; nobody when the housing department reviews."""
    account = selectors.find_account(use.estate)
    if services.authority(account, day) != access.APPROVE_SPENDING:
        return []
    members = list(seats(committee_of(use.estate)).order_by("pk"))
    needed = least_to_meet(rules_for(use.estate).expenditure_approval, len(members))
    return members[: needed or 0]


def _request(
    estate: Estate,
    target: str,
    rng: random.Random,
    today: date,
    *,
    emergency: bool = False,
    building=None,
    kind: str | None = None,
    title: str | None = None,
    budget: Decimal | None = None,
    created: date | None = None,
):
    """One request walked from its plan to ``target``, each step dated a little after the last."""
    building = building or rng.choice(list(Building.objects.filter(estate=estate)))
    if emergency:
        kind, short, reason = rng.choice(EMERGENCIES)
        title = title or f"{building.name}{short}"
    else:
        kind = kind or rng.choice(list(PROJECTS))
        reason = ""
        title = title or f"{building.name}{PROJECTS[kind][0]}"
    if budget is None:
        low, high = PROJECTS[kind][1:]
        area = sum(building.units.with_effective_area().values_list("effective_area_db", flat=True), 0)
        budget = (Decimal(str(area)) * rng.randrange(low, high) / 100).quantize(Decimal("1")) * 100
    if created is None:
        latest = {S.PLANNED: 20, S.VOTING: 0}.get(target, 120)
        created = (
            today - timedelta(days=rng.randrange(latest + 1, latest + 230))
            if target != S.VOTING
            else today - timedelta(days=16)
        )
    day = created
    with transaction.atomic():
        use = services.plan_use(
            actor=None,
            estate=estate,
            title=title,
            kind=kind,
            budget=budget,
            contractor=rng.choice(CONTRACTORS),
            plan=f"{title}：现场勘查后按设计方案施工，质保期五年。",
            quotes=f"{rng.choice(CONTRACTORS)} {budget}\n{rng.choice(CONTRACTORS)} {budget * Decimal('1.08'):.2f}",
            buildings=[building],
            emergency=emergency,
            emergency_reason=reason,
            now=_at(day),
        )
        if target == S.PLANNED:
            return use
        if not emergency:
            opens, closes = _at(day + timedelta(days=16), 8), _at(day + timedelta(days=23), 20)
            use = services.put_to_vote(
                actor=None,
                use=use,
                opens_at=opens,
                closes_at=closes,
                now=_at(day),
                branch_review=_review(estate, day, title),
            )
            holders = list(vote_selectors.holders_of(use.vote))
            if target == S.VOTING:
                if closes > timezone.now() > opens:
                    share = holders[: len(holders) // 2]
                    vote_services.enter_paper_ballots(
                        actor=None, vote=use.vote, ballots={h: "yes" for h in share}, now=opens + timedelta(hours=2)
                    )
                return use
            yes = target != S.FAILED
            voters = holders if yes else holders[: max(1, len(holders) * 3 // 4)]
            vote_services.enter_paper_ballots(
                actor=None,
                vote=use.vote,
                now=opens + timedelta(hours=2),
                ballots={h: ("yes" if yes or i % 4 == 0 else "no") for i, h in enumerate(voters)},
            )
            vote_services.close_vote(actor=None, vote=use.vote, now=closes + timedelta(hours=1))
            votes_demo.post_result(use.vote)
            use = services.settle_vote(actor=None, use=use, now=closes + timedelta(hours=2))
            day = closes.date() + timedelta(days=1)
            if target in (S.FAILED, S.APPROVED):
                return use
            use = services.publish_plan(actor=None, use=use, now=_at(day))
            if target == S.PUBLICIZED:
                return use
        day += timedelta(days=rng.randrange(3, 30) if not emergency else 1)
        use = services.record_works_done(
            actor=None, use=use, done_on=day, acceptance="业委会、物业、施工单位三方验收合格", now=_at(day)
        )
        if target == S.WORKS_DONE:
            return use
        settlement = min(
            use.budget, (use.budget * Decimal(rng.choice(["0.92", "0.96", "0.985", "1"]))).quantize(Decimal("0.01"))
        )
        day += timedelta(days=3)
        use = services.apply_payout(actor=None, use=use, settlement=settlement, now=_at(day))
        if target == S.APPLIED:
            return use
        day += timedelta(days=4)
        if target == S.RETURNED or rng.random() < 0.15:
            use = services.review_payout(
                actor=None, use=use, approve=False, comments="结算单缺少监理签字，请补充后重新申请。", now=_at(day)
            )
            if target == S.RETURNED:
                return use
            day += timedelta(days=3)
            use = services.apply_payout(actor=None, use=use, settlement=settlement, note="已补充监理签字", now=_at(day))
            day += timedelta(days=2)
        use = services.review_payout(actor=None, use=use, approve=True, in_favour=_in_favour(use, day), now=_at(day))
        if target == S.CLEARED:
            return use
        day += timedelta(days=2)
        services.pay_out(actor=None, use=use, paid_on=day, now=_at(day))
        if target == S.PAID:
            return use
        day += timedelta(days=rng.randrange(2, 10))
        return services.publish_settlement(actor=None, use=use, now=_at(min(day, today)))


def _jiangbin(estate: Estate, rng: random.Random, today: date) -> None:
    """The README's walk, and a building below the top-up line."""
    third = Building.objects.get(estate=estate, name="3号楼")
    _request(
        estate, S.VOTING, rng, today, building=third, kind="roof", title="3号楼屋面防水翻新", budget=Decimal("52800.00")
    )
    _request(
        estate,
        S.CLEARED,
        rng,
        today,
        building=third,
        kind="pipes",
        title="3号楼雨污水立管更换",
        budget=Decimal("48600.00"),
        created=today - timedelta(days=80),
    )
    seventh = Building.objects.get(estate=estate, name="7号楼")
    account = services.account_of(estate)
    area = sum(s.area for s in account.subaccounts.filter(unit__building=seventh))
    cost = (area * account.rate * Decimal("0.74")).quantize(Decimal("100"))  # leaves ~26% of the first deposits
    _request(
        estate,
        S.SETTLED,
        rng,
        today,
        building=seventh,
        kind="lift",
        title="7号楼电梯主机及控制柜更换",
        budget=cost,
        created=today - timedelta(days=150),
    )
    for sub in list(selectors.alerts(account))[:4]:
        services.top_up(
            actor=None,
            unit=sub.unit,
            amount=(sub.first_deposit * Decimal("0.1")).quantize(Decimal("0.01")),
            on=today - timedelta(days=5),
            note="收到续交通知后缴纳",
            now=_at(today - timedelta(days=5)),
        )
