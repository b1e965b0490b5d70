"""The mediation part of the demo: the seed report's 36 property-dispute mediation rooms.

The rooms are spread over the communities of all seven streets (江滨豪园's community has
one). Each has a committee of three to five members and a hired mediator or two; a few
terms end within the warning window. Over the last year about five cases per room go
through mediation.services with explicit dates and end in every status: refusals,
mediation ended without agreement, oral agreements, written agreements signed and in force,
judicial confirmations applied for and granted, follow-ups and closed files. Each
community publishes the room directory on its site.

For the walk in the README, the ``mediator`` login chairs 江滨豪园's room and has a case
with a session today, an agreement waiting for its signatures, and one in force whose
30-day confirmation window is running.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from community.demo import password_hash
from community.models import Community, Estate, Owner, Ownership, ServiceContract

from . import services
from .models import Case, CaseStatus, PartyKind, Room, Side

S = CaseStatus
SEED = 2021_09
ROOMS = 36
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = [
    "建国",
    "秀英",
    "桂兰",
    "志强",
    "海燕",
    "明华",
    "丽娟",
    "国平",
    "晓东",
    "玉梅",
    "文斌",
    "春花",
    "德胜",
    "淑珍",
    "立新",
]
DISPUTES = {
    "fees": (
        "业主以电梯长期停运、服务不到位为由拒交 {n} 个月物业费，物业企业催缴未果。",
        "减免部分物业费并约定补缴方式",
    ),
    "repairs": ("楼上卫生间防水层老化，渗漏至楼下顶棚，楼下墙面霉变。", "修复防水层并赔偿楼下装修损失"),
    "parking": ("地面车位由物业企业出租，业主认为占用共有部分，要求公开收益。", "公开车位收益并按规定归全体业主"),
    "noise": ("底商夜间经营噪声扰民，多次协商无果。", "限定经营时段并加装隔音设施"),
    "common": ("电梯广告收益多年未公开，业主要求分配。", "公开广告收益并计入公共收益账户"),
    "service": ("小区保洁、绿化明显不达标，业主要求整改。", "限期整改并按服务标准考核"),
    "other": ("装修垃圾长期堆放楼道，影响通行和消防安全。", "限期清运并承担清运费用"),
}
# How the cases of a room end (the walk's room gets one of each, see _walk).
OUTCOMES = [
    "closed_agreed",
    "closed_agreed",
    "closed_confirmed",
    "closed_ended",
    "closed_oral",
    "follow_up",
    "ended",
    "agreed_in_force",
    "agreed_unsigned",
    "refused",
    "mediating",
    "accepted",
    "intake",
    "closed_refused",
]


def _at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def build(*, today, progress=None, log=print):
    progress = progress or (lambda iterable, **kw: iterable)
    if Room.objects.exists():
        log("物业纠纷调解：已建立，跳过")
        return [_mediator_login()]
    rng = random.Random(SEED)
    rooms = _rooms(today, rng)
    walk_room = rooms[0]
    for room in progress(rooms, desc="调解室与案件", unit="个"):
        with transaction.atomic():
            if room is walk_room:
                _walk(room, today, rng)
            else:
                parties = _Parties(room, rng)
                for outcome in rng.sample(OUTCOMES, 5):
                    _case(room, outcome, today, rng, parties)
    for community in progress(
        list(Community.objects.select_related("street").order_by("code")), desc="调解室名录", unit="个"
    ):
        services.publish_directory(actor=None, community=community)
    log(
        f"物业纠纷调解：调解室 {len(rooms)} 个，调解员 {sum(r.posts.count() for r in rooms)} 名，"
        f"案件 {Case.objects.count()} 件"
    )
    return [_mediator_login()]


def _mediator_login():
    room = Room.objects.filter(posts__user__username="mediator").select_related("community").first()
    return ("mediator", "调解员", room.name if room else "")


def _rooms(today: date, rng: random.Random) -> list[Room]:
    """36 rooms, spread round the streets; the first in 江滨豪园's community."""
    walk = Estate.objects.select_related("grid__community").get(code="E0001").grid.community
    by_street: dict[int, list[Community]] = {}
    for community in Community.objects.order_by("code"):
        if community.pk != walk.pk:
            by_street.setdefault(community.street_id, []).append(community)
    chosen, queues = [walk], list(by_street.values())
    while len(chosen) < ROOMS:
        for queue in queues:
            if queue and len(chosen) < ROOMS:
                chosen.append(queue.pop(0))
    User = get_user_model()
    password = password_hash()  # every demo mediator shares it
    rooms = []
    for n, community in enumerate(chosen):
        opened = date(2021, 1, 1) + timedelta(days=rng.randrange(0, 330))  # the seed year
        room = services.open_room(
            actor=None,
            community=community,
            name=f"{community.name}物业纠纷调解室",
            address=f"{community.name}党群服务中心一楼调解室",
            hours="工作日 8:30-17:30；周六 9:00-12:00",
            phone=f"0598-82{n:02d}{rng.randrange(1000, 9999)}",
            opened_on=opened,
        )
        positions = ["chair", "vice_chair"] + ["member"] * rng.randint(1, 3) + ["hired"] * rng.randint(1, 2)
        for k, position in enumerate(positions):
            username = "mediator" if n == 0 and k == 0 else f"tj{n + 1:02d}{k + 1}"
            name = _name(rng)
            # get_or_create: a demo database from before the rooms already has a ``mediator`` login.
            user, _created = User.objects.get_or_create(
                username=username, defaults={"first_name": name, "password": password}
            )
            # The 2021 appointees have been re-appointed since: every current term began within
            # three years, early enough to cover the year of cases; a few end within the warning window.
            three_years_ago = date(today.year - 3, today.month, min(today.day, 28))
            appointed = three_years_ago + timedelta(days=rng.randrange(100, 700))
            if k == 2 and n % 4 == 1:
                appointed = three_years_ago + timedelta(days=rng.randrange(10, 80))
            services.appoint_mediator(
                actor=None,
                room=room,
                user=user,
                name=name,
                position=position,
                mobile=f"139{rng.randrange(10**7, 10**8)}",
                appointed_on=appointed,
            )
        rooms.append(room)
    return rooms


class _Parties:
    """Owners and companies of the estates a room serves (its street), read once per room."""

    def __init__(self, room: Room, rng: random.Random):
        self.rng = rng
        self.owners = {}
        for where in ({"grid__community": room.community}, {"grid__community__street_id": room.community.street_id}):
            for estate in Estate.objects.filter(**where).order_by("code")[:6]:
                held = list(
                    Ownership.objects.filter(
                        unit__building__estate=estate,
                        ended_on__isnull=True,
                        owner__kind="person",
                        owner__is_developer=False,
                    )
                    .select_related("owner", "unit__building")
                    .order_by("pk")[:40]
                )
                if len(held) > 1:
                    self.owners[estate] = held
            if self.owners:
                break
        estates = self.estates = list(self.owners)
        self.companies = {
            c.estate_id: c.company
            for c in ServiceContract.objects.in_force(timezone.localdate())
            .filter(estate__in=estates)
            .select_related("company")
        }

    def pick(self, category: str):
        estate = self.rng.choice(self.estates)
        holdings = self.owners[estate]
        holding = self.rng.choice(holdings)
        unit = holding.unit
        applicant = services.PartySpec(
            side=Side.APPLICANT,
            kind=PartyKind.OWNER,
            owner=holding.owner,
            address=f"{estate.name}{unit.building.name}{unit.room}",
            mobile=holding.owner.mobile or "",
        )
        company = self.companies.get(estate.pk)
        if category in ("repairs", "noise", "other") or company is None:
            other = self.rng.choice([h for h in holdings if h.owner_id != holding.owner_id] or holdings)
            respondent = services.PartySpec(
                side=Side.RESPONDENT,
                kind=PartyKind.OWNER,
                owner=other.owner,
                address=f"{estate.name}{other.unit.building.name}{other.unit.room}",
            )
        else:
            respondent = services.PartySpec(
                side=Side.RESPONDENT, kind=PartyKind.COMPANY, company=company, representative=_name(self.rng)
            )
        return estate, unit, [applicant, respondent]


def _case(
    room: Room,
    outcome: str,
    today: date,
    rng: random.Random,
    parties: _Parties,
    opened: date | None = None,
    who=None,
    mediator=None,
) -> Case:
    """One case walked through the services to ``outcome``, with plausible dates."""
    category = "fees" if who else rng.choice(list(DISPUTES))
    facts, claims = DISPUTES[category]
    estate, unit, specs = who or parties.pick(category)
    young = outcome in ("intake", "accepted", "mediating", "agreed_unsigned", "agreed_in_force")
    opened = opened or today - timedelta(days=rng.randrange(2, 20) if young else rng.randrange(60, 330))
    mediators = [p for p in room.posts.all() if p.serving_on(opened) and p.serving_on(today)]
    mediator = mediator or rng.choice(mediators)
    wish = rng.choice(["none", "none", "private", "public"])
    case = services.open_case(
        actor=None,
        room=room,
        estate=estate,
        unit=unit,
        category=category,
        facts=facts.format(n=rng.randint(3, 18)),
        claims=claims,
        parties=specs,
        session_wish=wish,
        opened_on=opened,
        now=_at(opened),
    )
    if outcome == "intake":
        return case
    if outcome in ("refused", "closed_refused"):
        party = case.parties.get(side=Side.RESPONDENT)
        services.record_refusal(
            actor=None, case=case, party=party, reason="被申请人书面表示不同意调解", now=_at(opened + timedelta(days=1))
        )
        if outcome == "closed_refused":
            services.close_case(
                actor=None, case=case, closed_on=opened + timedelta(days=3), now=_at(opened + timedelta(days=3))
            )
        return case
    accepted_on = opened + timedelta(days=1)
    case = services.accept_case(actor=None, case=case, mediator=mediator, now=_at(accepted_on))
    if outcome == "accepted":
        return case
    # Sessions: one or two held, on working days after acceptance; a young case has one to come.
    held_day = accepted_on + timedelta(days=rng.randint(2, 6))
    if outcome == "mediating":
        when = _at(today + timedelta(days=rng.randint(1, 9)), rng.choice([9, 10, 14, 15]))
        services.book_session(
            actor=None, case=case, starts_at=when, ends_at=when + timedelta(hours=1), now=_at(accepted_on)
        )
        return case
    held_day = min(held_day, today - timedelta(days=1))
    start = _at(held_day, rng.choice([9, 10, 14, 15, 16]))
    session = _book(case, start, accepted_on)
    services.record_session(
        actor=None,
        session=session,
        attendees="申请人、被申请人及其代理人",
        record="双方陈述事实和理由，调解员释明相关法律规定，双方"
        + ("分歧较大。" if "ended" in outcome else "同意按调解方案处理。"),
        now=session.ends_at + timedelta(minutes=10),
    )
    if outcome in ("ended", "closed_ended"):
        ended_on = held_day + timedelta(days=1)
        services.end_case(
            actor=None, case=case, reason="经两次调解，双方对责任认定分歧较大，无法达成协议。", now=_at(ended_on)
        )
        if outcome == "closed_ended":
            services.record_follow_up(
                actor=None,
                case=case,
                visited_on=ended_on + timedelta(days=20),
                performance="other_route",
                notes="申请人已向人民法院起诉。",
                now=_at(ended_on + timedelta(days=20)),
            )
            services.close_case(
                actor=None, case=case, closed_on=ended_on + timedelta(days=21), now=_at(ended_on + timedelta(days=21))
            )
        return case
    reached = held_day
    oral = outcome == "closed_oral"
    agreement = services.record_agreement(
        actor=None,
        case=case,
        form="oral" if oral else "written",
        facts=case.facts,
        issues=claims,
        responsibility="双方各自承担相应责任。",
        terms=f"双方同意{claims}。",
        performance="分期履行，物业服务中心出具书面确认。",
        perform_by=reached + timedelta(days=30),
        reached_on=reached,
        now=_at(reached, 17),
    )
    if outcome == "agreed_unsigned":
        first = case.parties.order_by("pk").first()
        services.sign_agreement(
            actor=None, agreement=agreement, party=first, method="sign", signed_on=reached, now=_at(reached, 17)
        )
        return case
    if not oral:
        signed = reached + timedelta(days=rng.randint(0, 2))
        signed = min(signed, today)
        for party in case.parties.all():
            services.sign_agreement(
                actor=None,
                agreement=agreement,
                party=party,
                method=rng.choice(["sign", "sign", "fingerprint"]),
                signed_on=signed,
                now=_at(signed, 17),
            )
        services.mediator_signs(actor=None, agreement=agreement, signed_on=signed, now=_at(signed, 17))
        services.apply_seal(actor=None, agreement=agreement, sealed_on=signed, now=_at(signed, 17))
        agreement.refresh_from_db()
    if outcome == "agreed_in_force":
        return case
    effective = agreement.effective_on
    if outcome == "closed_confirmed":
        applied = effective + timedelta(days=rng.randint(3, 20))
        services.apply_for_confirmation(
            actor=None, agreement=agreement, applied_on=applied, court="三元区人民法院", joint=True, now=_at(applied)
        )
        decided = applied + timedelta(days=rng.randint(5, 14))
        if decided <= today:
            services.record_court_decision(
                actor=None, agreement=agreement, decided_on=decided, decision="confirmed", now=_at(decided)
            )
    visit = effective + timedelta(days=rng.randint(20, 40))
    if visit > today:
        return case
    services.record_follow_up(
        actor=None,
        case=case,
        visited_on=visit,
        performance="full" if outcome != "follow_up" else "partial",
        notes="回访双方，协议履行情况良好。",
        now=_at(visit),
    )
    if outcome == "follow_up":
        return case
    closed = min(visit + timedelta(days=1), today)
    services.close_case(actor=None, case=case, closed_on=closed, now=_at(closed))
    return case


def _book(case: Case, start: datetime, booked_on: date):
    """Book ``start`` for an hour, or the next free hour that day in the room."""
    for shift in range(0, 8):
        when = start + timedelta(hours=shift)
        try:
            return services.book_session(
                actor=None, case=case, starts_at=when, ends_at=when + timedelta(hours=1), now=_at(booked_on)
            )
        except ValidationError:
            continue
    raise RuntimeError("no free hour for a demo session")


def _walk(room: Room, today: date, rng: random.Random) -> None:
    """江滨豪园's room, where the ``mediator`` login works: one case of every kind, plus the
    walk's three (a session today, an agreement waiting for signatures, one in force)."""
    parties = _Parties(room, rng)
    chair = room.posts.get(user__username="mediator")  # the walk's login works every case of this room
    for outcome in OUTCOMES:
        _case(room, outcome, today, rng, parties, mediator=chair)
    # A session at 15:00 today, so the mediator can record it (or see the room taken when booking again).
    case = _case(room, "accepted", today, rng, parties, mediator=chair)
    when = _at(today, 15)
    services.book_session(
        actor=None, case=case, starts_at=when, ends_at=when + timedelta(hours=1), now=_at(today - timedelta(days=1))
    )
    # Confirmation window running: in force some ten days ago, between the ``owner`` login and
    # 江滨豪园's company, so that login sees its own case, sessions and agreement.
    owner = Owner.objects.filter(user__username="owner").first()
    holding = owner and owner.ownerships.in_force().select_related("unit__building__estate").order_by("pk").first()
    company = holding and ServiceContract.objects.in_force(today).filter(estate=holding.unit.building.estate).first()
    who = None
    if company:
        unit = holding.unit
        who = (
            unit.building.estate,
            unit,
            [
                services.PartySpec(
                    side=Side.APPLICANT,
                    kind=PartyKind.OWNER,
                    owner=owner,
                    address=f"{unit.building.estate.name}{unit.building.name}{unit.room}",
                ),
                services.PartySpec(
                    side=Side.RESPONDENT, kind=PartyKind.COMPANY, company=company.company, representative=_name(rng)
                ),
            ],
        )
    _case(room, "agreed_in_force", today, rng, parties, opened=today - timedelta(days=15), who=who, mediator=chair)
