"""The residents' part of the demo: a year and a half of requests in the pilot estates that a
company serves (碧水家园 has none).

Owners with accounts report repairs, complaints and suggestions through ``grid.services``
with explicit times, each walked as far as its age allows, so every status is on show: new,
assigned, handled and waiting for the resident, closed with a rating, reopened, escalated to
the community, closed by the time-keeper when the resident never answered. The company that
serves 江滨豪园 (the ``company`` login's) works quickly and is rated well; the other companies
serving pilot estates work slowly, overrun limits and are reopened more often, so their
scores on ``/companies/scores/`` and their estates' public figures differ visibly.

The demo ``owner``'s own unit is left without a request: the README's walk reports one.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from io import BytesIO

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from community import access
from community import services as registry
from community.demo import PILOT_ESTATES
from community.models import Estate, Owner, Ownership, Role, RoleAssignment
from residents import demo as residents_demo

from . import services
from .models import CaseStatus, GridCase, RequestKind, Source
from .units import company_unit

SEED = 2021_23
PER_ESTATE = (22, 30)
REPORTERS = 12  # owners of each pilot estate who report
MONTHS_BACK = 18
TEXTS = {
    RequestKind.UNIT_REPAIR: ["卫生间天花板漏水", "厨房下水道堵塞", "入户门锁芯损坏", "阳台排水管渗水"],
    RequestKind.COMMON_REPAIR: ["单元楼道灯不亮", "电梯按钮失灵", "地下车库顶板渗水", "单元门禁无法刷卡"],
    RequestKind.COMPLAINT: ["保洁不到位，楼道长期未拖", "夜间装修噪音无人制止", "快递柜占用消防通道"],
    RequestKind.SUGGESTION: ["建议增设电动车充电桩", "建议儿童游乐区加装遮阳棚", "建议公示每月保洁安排"],
}
# How each kind of company works: hours to assign, share of the limit used to handle, chance of
# overrunning the limit, chance of a reopen, the ratings residents give.
QUICK = {"assign": (0.3, 3), "handle": (0.1, 0.6), "late": 0.03, "reopen": 0.04, "ratings": (4, 5, 5, 5, 4)}
SLOW = {"assign": (4, 30), "handle": (0.5, 1.0), "late": 0.35, "reopen": 0.25, "ratings": (2, 3, 3, 4, 2)}


def _hours(rng, low, high) -> timedelta:
    return timedelta(minutes=int(rng.uniform(low, high) * 60))


def _photo(rng) -> ContentFile:
    buffer = BytesIO()
    Image.new("RGB", (120, 90), (rng.randrange(60, 200), 120, 160)).save(buffer, "JPEG", quality=60)
    return ContentFile(buffer.getvalue(), name="photo.jpg")


def _staff(company, unit):
    """A staff account of ``company`` to name as handler: the ``company`` login where it works,
    else a repairer made for the demo with an unusable password (it signs in nowhere)."""
    found = access.holders(access.HANDLE_REQUESTS, unit).order_by("pk").first()
    if found is not None:
        return found
    user, _ = get_user_model().objects.get_or_create(
        username=f"staff-{company.uscc}", defaults={"first_name": f"{company.name} 维修员"}
    )
    if user.password == "":
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not RoleAssignment.objects.filter(user=user, role=Role.COMPANY_STAFF).exists():
        registry.assign_role(actor=None, user=user, role=Role.COMPANY_STAFF, scope=company)
    return user


def build(*, today, progress=None, log=print):
    progress = progress or (lambda iterable, **kw: iterable)
    if GridCase.objects.filter(source=Source.RESIDENT).exists():
        log("居民报事：已建立，跳过")
        return []
    rng = random.Random(SEED)
    now = timezone.now()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=MONTHS_BACK * 30), time(8)))
    walk_owner = get_user_model().objects.filter(username="owner").first()
    estates = list(
        Estate.objects.filter(name__in=PILOT_ESTATES)
        .select_related("grid__community__street__district__rule_set")
        .order_by("code")
    )
    walk = residents_demo.walk_unit()  # its co-owners stay unbound for the README's walk
    keep_out = (
        set(Ownership.objects.in_force(today).filter(unit=walk).values_list("owner", flat=True)) if walk else set()
    )
    if walk_owner is not None:
        keep_out |= set(Owner.objects.filter(user=walk_owner).values_list("pk", flat=True))
    quick_company = next((services.serving_company(e, today) for e in estates if e.code == "E0001"), None)
    plans = []
    for estate in estates:
        company = services.serving_company(estate, today)
        if company is None:
            continue
        unit = company_unit(company, district=estate.grid.community.street.district)
        handler = _staff(company, unit)
        residents = _reporters(estate, today, rng, keep_out)
        if not residents:
            continue
        style = QUICK if company == quick_company else SLOW
        for _n in range(rng.randint(*PER_ESTATE)):
            at = start + timedelta(minutes=rng.randrange(0, int((now - start).total_seconds() // 60)))
            plans.append((at, estate, rng.choice(residents), handler, style))
    plans.sort(key=lambda p: p[0])
    for at, estate, (user, home), handler, style in progress(plans, desc="居民报事", unit="件"):
        with transaction.atomic():
            _request(estate, at, user, home, handler, style, rng, now)
    with transaction.atomic():
        _open_now(plans, now)
        services.escalate_overdue(now=now)
    rows = GridCase.objects.filter(source=Source.RESIDENT)
    log(
        f"居民报事：{rows.count()} 件，已办结 {rows.filter(status=CaseStatus.CLOSED).count()} 件，"
        f"转社区督办 {rows.exclude(level='company').count()} 件"
    )
    return []


def _reporters(estate, today, rng, keep_out) -> list:
    """[(account, unit)]: some owners of ``estate`` who report, bound to an account first if they
    have none (the residents' demo, which runs last, binds the rest)."""
    held = list(
        Ownership.objects.in_force(today)
        .filter(unit__building__estate=estate, owner__is_developer=False)
        .exclude(owner__in=keep_out)
        .select_related("owner", "unit")
        .order_by("pk")
    )
    chosen = rng.sample(held, min(REPORTERS, len(held)))
    owners = {o.owner_id: o.owner for o in chosen}
    residents_demo.bind_in_bulk([owner for owner in owners.values() if owner.user_id is None])
    return [(owners[o.owner_id].user, o.unit) for o in chosen]


def _request(estate, at, user, home, handler, style, rng, now):
    kind = rng.choice(RequestKind.values)
    case = services.report_request(
        actor=user,
        estate=estate,
        kind=kind,
        description=rng.choice(TEXTS[kind]),
        location="" if kind == RequestKind.UNIT_REPAIR else f"{rng.randint(1, 6)}号楼",
        unit=home if kind == RequestKind.UNIT_REPAIR else None,
        photos=[_photo(rng)] if rng.random() < 0.3 else [],
        now=at,
    )
    limit = case.limit_at - at
    # 受理派工
    at += _hours(rng, *style["assign"])
    if at > now:
        return
    case = services.assign_case(actor=handler, case=case, handler=handler, now=at)
    for attempt in range(3):
        late = rng.random() < style["late"]
        done = case.limit_at + _hours(rng, 1, 40) if late else at + limit * rng.uniform(*style["handle"]) / 2
        if late and done <= now:
            services.escalate_overdue(now=case.limit_at + timedelta(seconds=1))  # the time-keeper catches it
            case.refresh_from_db()
        if done > now:
            return
        at = max(done, at + timedelta(minutes=30))
        case = services.record_handling(actor=handler, case=case, note="已上门处理完毕。", now=at)
        at += _hours(rng, 1, 48)
        if at > now:
            return  # waiting for the resident
        if case.level != "company":  # escalated: the community checks it, the resident rates it
            case = services.verify_case(actor=None, case=case, passed=True, now=at)
            services.rate_case(actor=user, case=case, rating=rng.choice(style["ratings"]) - 1 or 1, now=at)
            return
        if attempt < 2 and rng.random() < style["reopen"]:
            case = services.reopen_request(actor=user, case=case, reason="问题没有解决，仍然存在。", now=at)
            continue
        if rng.random() < 0.08:
            return  # never answered: the time-keeper closes it after the window
        services.confirm_request(actor=user, case=case, rating=rng.choice(style["ratings"]), now=at)
        return


def _open_now(plans, now):
    """Four requests open today at a slow company's estate, one at each open stage: just
    reported, assigned, handled and waiting for the resident, and one past its limit that the
    time-keeper has sent to the community."""
    slow = [p for p in plans if p[4] is SLOW] or plans
    if not slow:
        return
    _at, estate, (user, home), handler, _style = slow[-1]

    def report(hours_ago, kind):
        return services.report_request(
            actor=user,
            estate=estate,
            kind=kind,
            description=TEXTS[kind][0],
            location="" if kind == RequestKind.UNIT_REPAIR else "2号楼",
            unit=home if kind == RequestKind.UNIT_REPAIR else None,
            now=now - timedelta(hours=hours_ago),
        )

    report(2, RequestKind.COMMON_REPAIR)
    case = report(10, RequestKind.UNIT_REPAIR)
    services.assign_case(actor=handler, case=case, handler=handler, now=now - timedelta(hours=6))
    case = report(30, RequestKind.COMPLAINT)
    case = services.assign_case(actor=handler, case=case, handler=handler, now=now - timedelta(hours=26))
    services.record_handling(
        actor=handler, case=case, note="已与装修户沟通，限定施工时间。", now=now - timedelta(hours=3)
    )
    case = report(80, RequestKind.COMMON_REPAIR)  # its 72 hours are over: escalated below
    services.assign_case(actor=handler, case=case, handler=handler, now=now - timedelta(hours=60))
