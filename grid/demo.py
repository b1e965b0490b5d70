"""The grid part of the demo: a year of grid cases (收集 → 分派 → 处置 → 核查 → 督办).

Every estate's grid worker reports a handful of problems over the last twelve months, each
walked through ``grid.services`` with explicit times (``now=``), in time order: most are
dispatched within hours, handled within a day or two and checked the next day; a few
overrun a step and are escalated when it happens (the service is run at that moment); a few
fail their check and go back to handling. The last few days' cases are still open at every
step, and a handful are stuck and escalated up to the street or district, so the closure
rate lands near the seed's 99%.

For the walk: 江滨豪园 (E0001), in the ``grid`` login's grid, has one case waiting to be
dispatched (the ``community`` login dispatches it), one being handled (the ``grid`` login
records the handling) and one waiting for its check (the ``community`` login checks it).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from io import BytesIO

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from community.models import Estate

from . import requests_demo, services
from .models import Category, GridCase, HandlingUnit, UnitKind
from .units import company_unit

SEED = 2021_10
PER_ESTATE = (4, 13)  # cases a year per estate, drawn uniformly
LATE_SHARE = 0.03  # a step that overruns its limit
FAILED_CHECK_SHARE = 0.03
STUCK = 3  # open cases long overdue, escalated as far as their age takes them
PROBLEMS = {
    "sanitation": ["楼道堆放杂物、垃圾未及时清运", "垃圾分类投放点满溢", "小区绿化带内建筑垃圾堆积"],
    "building": ["顶楼平台私自搭建彩钢棚", "一楼住户违规圈占绿地搭建院墙"],
    "facility": ["单元门禁损坏无法关闭", "路灯不亮，夜间通行不便", "消防通道指示牌脱落"],
    "obstruction": ["机动车占用消防通道停放", "小区门口流动摊贩占道经营"],
    "service": ["电梯故障停运，物业未及时维修", "保洁频次不足，楼道卫生差"],
    "safety": ["电动车在楼道内充电", "外墙瓷砖松动有坠落风险", "窨井盖破损"],
    "other": ["宠物扰民，多次劝导无效", "楼道小广告乱贴乱画"],
}
COLOURS = {
    "sanitation": (96, 140, 60),
    "building": (150, 110, 70),
    "facility": (70, 110, 170),
    "obstruction": (190, 140, 40),
    "service": (120, 120, 120),
    "safety": (190, 60, 50),
    "other": (110, 80, 150),
}
# The handling units of each demo district besides its property companies' own:
# (name, kind, phone). The company serving an estate is one of its cases' units too.
UNITS = [
    ("城管中队", UnitKind.DEPARTMENT, "0591-83300110"),
    ("环卫所", UnitKind.DEPARTMENT, "0591-83300220"),
    ("供水公司", UnitKind.UTILITY, "0591-96300"),
    ("供电所", UnitKind.UTILITY, "95598"),
]


def _photos() -> dict[str, bytes]:
    """One small JPEG per category (a coloured card), drawn once."""
    photos = {}
    for category, colour in COLOURS.items():
        image = Image.new("RGB", (160, 120), colour)
        ImageDraw.Draw(image).rectangle((20, 20, 140, 100), outline=(255, 255, 255), width=4)
        buffer = BytesIO()
        image.save(buffer, "JPEG", quality=70)
        photos[category] = buffer.getvalue()
    return photos


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=int(rng.uniform(low, high) * 60))


def build(*, today, progress=None, log=print):
    _grid_cases(today=today, progress=progress, log=log)
    requests_demo.build(today=today, progress=progress, log=log)
    return []


def _grid_cases(*, today, progress=None, log=print):
    progress = progress or (lambda iterable, **kw: iterable)
    # The ``grid`` login (community.demo) is E0001's grid worker; it is listed there already.
    if GridCase.objects.exists():
        log("网格案件：已建立，跳过")
        return []
    rng = random.Random(SEED)
    photos = _photos()
    now = timezone.now()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=365), time(8)))
    estates = list(Estate.objects.select_related("grid__community__street__district__rule_set").order_by("code"))
    worker = get_user_model().objects.filter(username="grid").first()
    walk_estate = next((e for e in estates if e.code == "E0001"), estates[0])
    units = _units(estates, today)

    # Every case's report time, in time order; most are walked to their close at once.
    plans = []
    for estate in estates:
        for _n in range(rng.randint(*PER_ESTATE)):
            plans.append(
                (start + timedelta(minutes=rng.randrange(0, int((now - start).total_seconds() // 60))), estate)
            )
    plans.sort(key=lambda p: p[0])
    stuck = set(rng.sample(range(len(plans) // 4, len(plans) * 3 // 4), STUCK))

    for index, (reported, estate) in enumerate(progress(plans, desc="网格案件", unit="件")):
        with transaction.atomic():
            _case(
                estate,
                reported,
                rng,
                photos,
                now,
                stuck=index in stuck,
                actor=worker if estate is walk_estate else None,
                units=units[estate.pk],
            )
    with transaction.atomic():
        _walk(walk_estate, now, rng, photos, worker, units[walk_estate.pk])
        services.escalate_overdue(now=now)
    total = GridCase.objects.count()
    closed = GridCase.objects.filter(status="closed").count()
    log(
        f"网格案件：{total} 件，已结案 {closed} 件（{closed / total:.2%}），督办中 "
        f"{GridCase.objects.exclude(status='closed').exclude(level='grid').count()} 件"
    )
    return []


def _report(estate, reported, rng, photos, actor, category=None):
    category = category or rng.choice(Category.values)
    return services.report_case(
        actor=actor,
        estate=estate,
        category=category,
        description=rng.choice(PROBLEMS[category]),
        location=f"{rng.randint(1, 12)}号楼{rng.choice(['东侧', '西侧', '北侧', '楼道', '门口'])}",
        photos=[ContentFile(photos[category], name=f"{category}.jpg")],
        now=reported,
    )


def _units(estates, today) -> dict[int, list[HandlingUnit]]:
    """{estate id: the units its cases may go to}: the district's departments and utilities, and
    the company serving the estate today (its unit made the first time it is needed)."""
    by_district = {}
    for estate in estates:
        district = estate.grid.community.street.district
        if district.pk not in by_district:
            by_district[district.pk] = [
                HandlingUnit.objects.get_or_create(
                    district=district, name=name, defaults={"kind": kind, "phone": phone}
                )[0]
                for name, kind, phone in UNITS
            ]
    found = {}
    for estate in estates:
        district = estate.grid.community.street.district
        company = services.serving_company(estate, today)
        own = [company_unit(company, district=district)] if company else []
        found[estate.pk] = own + by_district[district.pk]
    return found


def _case(estate, reported, rng, photos, now, *, stuck=False, actor=None, units):
    """One case, walked as far as its age allows (a stuck one stops at a random step)."""
    case = _report(estate, reported, rng, photos, actor)
    moves = [
        ("dispatch", (0.3, 8)),
        ("handle", (2, 36)),
        ("verify", (0.5, 8)),
    ]
    at = reported
    stop = rng.randrange(0, 3) if stuck else None
    for step, (low, high) in moves:
        if stop is not None and moves.index((step, (low, high))) == stop:
            return case
        late = rng.random() < LATE_SHARE
        wait = _hours(rng, low, high)
        if late:
            overrun = services.limit(estate, case.status) + _hours(rng, 1, 30)
            if at + overrun > now:
                return case  # overrunning now: the last run of the time-keeper escalates it
            services.escalate_overdue(now=at + overrun)  # the time-keeper's run catches it
            wait = overrun + _hours(rng, 0.2, 3)
        if at + wait > now:
            return case  # not yet: still open at this step
        at += wait
        if step == "dispatch":
            case = services.dispatch_case(actor=None, case=case, unit=rng.choice(units), now=at)
        elif step == "handle":
            case = services.record_handling(actor=None, case=case, note="已到现场处置完毕，拍照留存。", now=at)
        else:
            if rng.random() < FAILED_CHECK_SHARE and at + timedelta(hours=30) < now:
                case = services.verify_case(actor=None, case=case, passed=False, note="复查发现问题仍存在。", now=at)
                at += _hours(rng, 4, 24)
                case = services.record_handling(actor=None, case=case, note="已再次处置。", now=at)
                at += _hours(rng, 1, 5)
            case = services.verify_case(actor=None, case=case, passed=True, now=at)
    return case


def _walk(estate, now, rng, photos, worker, units):
    """E0001's three open cases for the walk, one at each open step."""
    _report(estate, now - timedelta(hours=3), rng, photos, worker, category="sanitation")
    case = _report(estate, now - timedelta(hours=30), rng, photos, worker, category="facility")
    city = next(u for u in units if u.name == "城管中队")  # a department with no logins: the grid worker records
    services.dispatch_case(actor=None, case=case, unit=city, now=now - timedelta(hours=26))
    case = _report(estate, now - timedelta(hours=50), rng, photos, worker, category="safety")
    case = services.dispatch_case(actor=None, case=case, unit=city, now=now - timedelta(hours=47))
    services.record_handling(
        actor=None, case=case, note="已拆除楼道充电线路，张贴安全提示。", now=now - timedelta(hours=5)
    )
