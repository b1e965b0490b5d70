"""The demo district: invented names built on the seed report's figures.

Deterministic: every estate draws from its own ``random.Random`` seeded with
its index, so a half-finished run resumes where it stopped and produces the
same rows as an uninterrupted one. Idempotent: what exists is left alone.
Everything is written through ``community.services`` and ``community.tenure.services``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from . import services
from .identifiers import resident_id_check_digit, uscc_check_char
from .import_services import import_registry
from .legaltime import last_day_after_months
from .models import (
    Community,
    ContractMode,
    District,
    Estate,
    Grid,
    Owner,
    OwnerKind,
    Ownership,
    PropertyCompany,
    Role,
    RoleAssignment,
    RuleSet,
    Street,
    Unit,
)
from .registry_import import template_workbook
from .tenure import services as tenure

SEED = 2021
DISTRICT_CODE = "DEMO"
STREETS = 7
COMMUNITIES = 66
GRIDS = 349
ESTATES = 160
MIN_UNITS = 30_000
NO_MANAGER_TO_COMPANY = 16  # the seed's 16 estates brought under a company in 2021
SELF_MANAGED = 8
STILL_NO_MANAGER = 12
DEMO_PASSWORD = "demo2021"

STREET_NAMES = ["澄江街道", "翠湖街道", "云岭街道", "沙溪街道", "麟山街道", "东霞街道", "荆岭街道"]
COMMUNITY_WORDS = (
    "新村 和平 建设 光明 幸福 长安 文昌 锦绣 福源 青山 龙泉 安康 朝阳 紫云 凤岗 红星 育才 梅园 桃源 金沙 富民 永兴"
).split()
ESTATE_FIRST = (
    "江滨 水榭 翠园 金桥 碧水 锦江 丽景 书香 阳光 沁园 名城 御景 东方 盛世 华庭 海棠 枫林 兰亭 滨江 香榭 新华 明珠"
).split()
ESTATE_LAST = "花园 小区 新城 家园 苑 豪园 雅居 公寓 嘉园 名邸".split()
PILOT_ESTATES = ["江滨豪园", "水榭新城", "翠园雅居", "金桥花园", "碧水家园", "锦江名邸"]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏"
    "苏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚"
    "邵万钱严覃武戴莫孔汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅"
    "春燕志文斌宇浩凯欣怡佳琪晨阳婷雪琳子涵思远俊峰海波丹丹晓东立新淑珍秀兰"
)
COMPANY_NAMES = [
    "三江物业服务有限公司",
    "翠城物业管理有限公司",
    "安居物业服务有限公司",
    "恒信物业服务有限公司",
    "绿洲物业管理有限公司",
    "嘉和物业服务有限公司",
    "瑞丰物业管理有限公司",
    "万和物业服务有限公司",
    "华安物业服务有限公司",
    "鑫源物业管理有限公司",
    "融侨物业服务有限公司",
    "清风物业服务有限公司",
]
REGION = "350404"


def password_hash() -> str:
    """The demo password, hashed once per run: a hash costs a third of a second on purpose, and
    every demo login shares the password (each account still checks it the ordinary way). Kept
    per hasher setting, so a hash made under one set of hashers is never handed out under
    another that cannot read it (the tests swap PBKDF2 for a fast hasher)."""
    return _hashed(tuple(settings.PASSWORD_HASHERS))


@cache
def _hashed(hashers: tuple[str, ...]) -> str:
    return make_password(DEMO_PASSWORD)


def _uscc(prefix: str, index: int) -> str:
    body = f"91{REGION}{prefix}{index:07d}"
    return body + uscc_check_char(body)


def _resident_id(estate_index: int, owner_index: int) -> str:
    # Unique by construction: each estate owns a 60-day block of birth dates.
    born = date(1950, 1, 1) + timedelta(days=estate_index * 60 + owner_index // 999)
    body = f"{REGION}{born:%Y%m%d}{owner_index % 999 + 1:03d}"
    return body + resident_id_check_digit(body)


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _area(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


@dataclass
class EstatePlan:
    index: int
    name: str
    grid_index: int
    history: str  # "company", "no_manager_to_company", "self", "none"


def plan_estates() -> list[EstatePlan]:
    rng = random.Random(SEED)
    names = list(PILOT_ESTATES)
    while len(names) < ESTATES:
        name = rng.choice(ESTATE_FIRST) + rng.choice(ESTATE_LAST)
        if name not in names:
            names.append(name)
        elif len(names) < ESTATES:
            name = f"{name}{rng.choice('一二三四五')}期"
            if name not in names:
                names.append(name)
    grids = rng.sample(range(GRIDS), ESTATES)
    grids[0] = 0  # 江滨豪园 sits in the first grid, where the demo logins work
    histories = (
        ["company"] * 1
        + ["no_manager_to_company"] * NO_MANAGER_TO_COMPANY
        + ["self"] * SELF_MANAGED
        + ["none"] * STILL_NO_MANAGER
    )
    histories += ["company"] * (ESTATES - len(histories))
    rest = histories[1:]
    rng.shuffle(rest)
    histories = histories[:1] + rest
    # A pilot of 收支分离 needs someone keeping its books: a pilot drawn as never managed
    # trades places with a self-managed estate (the counts of each history stay the same).
    for index in range(1, len(PILOT_ESTATES)):
        if histories[index] == "none":
            swap = next(k for k in range(len(PILOT_ESTATES), ESTATES) if histories[k] == "self")
            histories[index], histories[swap] = histories[swap], histories[index]
    return [EstatePlan(i, names[i], grids[i], histories[i]) for i in range(ESTATES)]


class DemoBuilder:
    def __init__(self, *, today: date, progress=None):
        self.today = today
        self.progress = progress or (lambda iterable, **kw: iterable)

    # ---------------------------------------------------------------- territory
    @transaction.atomic
    def territory(self) -> list[Grid]:
        rule_set, _ = RuleSet.objects.get_or_create(
            name="三明市三元区试点",
            defaults={
                "note": "演示区规则：备案前须通过培训考试，并附每位委员培训记录。",
                "filing_requires_exam": True,
                "filing_requires_training_record": True,
            },
        )
        district, _ = District.objects.get_or_create(
            code=DISTRICT_CODE, defaults={"name": "三元区（演示）", "rule_set": rule_set}
        )
        per_street = [COMMUNITIES // STREETS + (1 if i < COMMUNITIES % STREETS else 0) for i in range(STREETS)]
        per_community = [GRIDS // COMMUNITIES + (1 if i < GRIDS % COMMUNITIES else 0) for i in range(COMMUNITIES)]
        c_index = g_index = 0
        for s_index, s_name in enumerate(STREET_NAMES):
            street, _ = Street.objects.get_or_create(
                code=f"S{s_index + 1:02d}", defaults={"district": district, "name": s_name}
            )
            for _k in range(per_street[s_index]):
                word = COMMUNITY_WORDS[c_index % len(COMMUNITY_WORDS)]
                suffix = "" if c_index < len(COMMUNITY_WORDS) else "一二三"[c_index // len(COMMUNITY_WORDS) - 1]
                community, _ = Community.objects.get_or_create(
                    code=f"C{c_index + 1:03d}", defaults={"street": street, "name": f"{word}{suffix}社区"}
                )
                for g in range(per_community[c_index]):
                    Grid.objects.get_or_create(
                        code=f"G{g_index + 1:03d}", defaults={"community": community, "name": f"第{g + 1}网格"}
                    )
                    g_index += 1
                c_index += 1
        return list(
            Grid.objects.filter(community__street__district=district)
            .select_related("community__street")
            .order_by("code")
        )

    @transaction.atomic
    def companies(self) -> list[PropertyCompany]:
        for i, name in enumerate(COMPANY_NAMES):
            if not PropertyCompany.objects.filter(uscc=_uscc("PM", i + 1)).exists():
                services.save_registry_object(
                    actor=None,
                    obj=PropertyCompany(name=name, uscc=_uscc("PM", i + 1), phone=f"0598-8{i + 1:06d}"),
                )
        return list(PropertyCompany.objects.order_by("uscc"))

    # ---------------------------------------------------------------- estates
    def estates(self, grids: list[Grid], companies: list[PropertyCompany]) -> int:
        plans = plan_estates()
        done = set(
            Estate.objects.filter(code__in=[f"E{p.index + 1:04d}" for p in plans]).values_list("code", flat=True)
        )
        total = Unit.objects.filter(building__estate__code__in=done).count()
        for plan in self.progress(plans, desc="小区", unit="个"):
            code = f"E{plan.index + 1:04d}"
            if code in done:
                continue
            remaining = len(plans) - plan.index
            total += self.estate(plan, code, grids[plan.grid_index], companies, need=(MIN_UNITS - total) / remaining)
        return total

    @transaction.atomic
    def estate(self, plan: EstatePlan, code: str, grid: Grid, companies, *, need: float) -> int:
        rng = random.Random(SEED * 1000 + plan.index)
        delivered_on = date(rng.randrange(2000, 2019), rng.randrange(1, 13), rng.randrange(1, 29))
        target = max(60, min(420, int(need * rng.uniform(0.8, 1.4)) + 1))
        floors = rng.randrange(6, 19)
        per_floor = rng.choice((2, 2, 3, 4))
        per_building = floors * per_floor
        n_buildings = max(1, -(-target // per_building))
        specs = []
        for b in range(n_buildings):
            units = []
            for floor in range(1, floors + 1):
                for door in range(1, per_floor + 1):
                    area = _area(rng, 55, 160)
                    pick = rng.random()
                    units.append(
                        services.UnitSpec(
                            room=f"{floor}{door:02d}",
                            floor=floor,
                            registered_area=area if pick < 0.85 else None,
                            surveyed_area=area if 0.85 <= pick < 0.95 else None,
                            contract_area=area + Decimal("1.20") if pick >= 0.9 else None,
                        )
                    )
            specs.append(services.BuildingSpec(name=f"{b + 1}号楼", units=units))
        estate = services.register_estate(
            actor=None,
            grid=grid,
            name=plan.name,
            code=code,
            delivered_on=delivered_on,
            address=f"{grid.community.street.name}{rng.choice(ESTATE_FIRST)}路{rng.randrange(1, 300)}号",
            buildings=specs,
        )
        units = list(Unit.objects.filter(building__estate=estate).order_by("building_id", "pk"))
        self._owners(plan, estate, units, rng, delivered_on)
        self._management(plan, estate, companies, rng, delivered_on)
        return len(units)

    def _owners(self, plan, estate, units, rng, delivered_on):
        developer = services.register_owners(
            actor=None,
            owners=[
                Owner(
                    kind=OwnerKind.ORGANISATION,
                    name=f"{plan.name[:2]}置业有限公司",
                    uscc=_uscc("DW", plan.index + 1),
                    is_developer=True,
                    mobile="",
                )
            ],
        )[0]
        people: list[Owner] = []
        holdings: list[tuple[int, list[int], date]] = []  # (unit index, [person indexes], since)
        i = 0
        unsold = set(rng.sample(range(len(units)), max(1, len(units) // 20)))
        multi_holder = None
        for u_index in range(len(units)):
            if u_index in unsold:
                continue
            since = delivered_on + timedelta(days=rng.randrange(0, 900))
            if multi_holder is not None and rng.random() < 0.06:
                holdings.append((u_index, [multi_holder], since))  # one owner, several units
                continue
            co_owned = rng.random() < 0.1
            members = []
            for _k in range(2 if co_owned else 1):
                people.append(
                    Owner(
                        name=_person_name(rng),
                        mobile=_mobile(rng),
                        id_number=_resident_id(plan.index, i) if rng.random() < 0.25 else "",
                    )
                )
                members.append(i)
                i += 1
            holdings.append((u_index, members, since))
            if rng.random() < 0.1:
                multi_holder = members[0]
        people = services.register_owners(actor=None, owners=people)
        ownerships = [Ownership(unit=units[u], owner=developer, started_on=delivered_on) for u in sorted(unsold)]
        sold_undelivered = set(rng.sample(sorted(set(range(len(units))) - unsold), max(1, len(units) // 50)))
        earlier = []
        for u_index, members, since in holdings:
            if rng.random() < 0.03 and since < self.today - timedelta(days=400):
                # An earlier owner sold the unit: dated history (the earlier owners are registered
                # together below, before their holdings are recorded).
                previous = Owner(name=_person_name(rng), mobile=_mobile(rng))
                earlier.append(previous)
                ownerships.append(
                    Ownership(
                        unit=units[u_index], owner=previous, started_on=since, ended_on=since + timedelta(days=364)
                    )
                )
                since = since + timedelta(days=365)
            ownerships += [Ownership(unit=units[u_index], owner=people[m], started_on=since) for m in members]
        if earlier:
            services.register_owners(actor=None, owners=earlier)
        services.record_ownerships(actor=None, estate=estate, ownerships=ownerships)
        Unit.objects.filter(pk__in=[units[u].pk for u in sold_undelivered]).update(delivered=False)

    def _management(self, plan, estate, companies, rng, delivered_on):
        today = self.today

        def contracts(start: date, until: date | None, first_company: int):
            company_index = first_company
            while until is None or start <= until:
                end = last_day_after_months(start, 36) - timedelta(days=1)
                if until is not None and end > until:
                    end = until
                # The pilots of 收支分离 are 酬金制 (RULES.md §4); the draw is made either way
                # so that every other estate keeps the same history.
                remuneration = rng.random() < 0.3 or plan.name in PILOT_ESTATES
                tenure.sign_contract(
                    actor=None,
                    estate=estate,
                    company=companies[company_index % len(companies)],
                    mode=ContractMode.REMUNERATION if remuneration else ContractMode.LUMP_SUM,
                    starts_on=start,
                    ends_on=end,
                )
                if until is None and end >= today:
                    break
                start = end + timedelta(days=1)
                if rng.random() < 0.3:
                    company_index += 1

        first = rng.randrange(len(companies))
        if plan.index == 0:
            first = 0
        if plan.history == "company":
            contracts(delivered_on, None, first)
        elif plan.history == "no_manager_to_company":
            start = date(2021, rng.randrange(3, 13), 1)
            contracts(start, None, first)
        elif plan.history == "self":
            handover = date(rng.randrange(2019, 2022), rng.randrange(1, 13), 1)
            contracts(delivered_on, handover - timedelta(days=1), first)
            tenure.start_self_management(actor=None, estate=estate, on=handover, note="业主自管会成立")
        # "none": never managed; the history shows it as 无物业 since delivery.

    # ---------------------------------------------------------------- logins
    @transaction.atomic
    def logins(self) -> list[tuple[str, str, str]]:
        User = get_user_model()
        estate = Estate.objects.select_related("grid__community__street__district").get(code="E0001")
        company = estate.contracts.order_by("-starts_on").first().company
        owner = (
            # in 3号楼, where the maintenance-fund walk of the README takes place
            Owner.objects.filter(
                ownerships__unit__building__estate=estate,
                ownerships__unit__building__name="3号楼",
                ownerships__ended_on__isnull=True,
                is_developer=False,
                kind="person",
                user__isnull=True,
            )
            .order_by("pk")
            .first()
        )
        other = Estate.objects.get(code="E0002")
        accounts = [
            ("admin", "系统管理员", None, None, "全部（超级用户）"),
            ("district", "区城管局 管理员", Role.DISTRICT_ADMIN, estate.district, estate.district.name),
            ("street", "街道 工作人员", Role.STREET_STAFF, estate.street, estate.street.name),
            ("community", "社区 工作人员", Role.COMMUNITY_STAFF, estate.community, estate.community.name),
            ("grid", "网格员", Role.GRID_WORKER, estate.grid, f"{estate.community.name}{estate.grid.name}"),
            ("committee", "业委会委员", Role.COMMITTEE_MEMBER, estate, estate.name),
            ("company", "物业企业工作人员", Role.COMPANY_STAFF, company, company.name),
            ("committee2", "业委会委员（另一小区）", Role.COMMITTEE_MEMBER, other, other.name),
        ]
        printed = []
        for username, label, role, scope, where in accounts:
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": label})
            if created:
                user.password = password_hash()
                if role is None:
                    user.is_superuser = user.is_staff = True
                user.save()
            if role is not None and not RoleAssignment.objects.filter(user=user, role=role).exists():
                services.assign_role(actor=None, user=user, role=role, scope=scope)
            printed.append((username, label, where))
        user, created = User.objects.get_or_create(username="owner", defaults={"first_name": "业主"})
        if created:
            user.password = password_hash()
            user.save()
            owner.user = user
            services.save_registry_object(actor=None, obj=owner)
        linked = Owner.objects.get(user=user)
        held = "、".join(
            str(o.unit)
            for o in linked.ownerships.in_force().select_related("unit__building").order_by("unit__building__name")
        )
        printed.append(("owner", "业主", f"{estate.name}，{held}"))
        return printed


# ---------------------------------------------------------------- spreadsheet import
# One estate of the demo arrives the way a community office brings its registry in:
# as a spreadsheet. The same file is the example offered for download on the import page.
SAMPLE_ESTATE = ("E0161", "翠湖苑")
SAMPLE_INDEX = ESTATES  # the ID-number block after the 160 planned estates


def sample_rows() -> list[list[str]]:
    """Two buildings of 6 floors × 4 doors: every third unit has a co-owner, the last floor
    of 2号楼 is unsold (the developer's, not delivered), one shop belongs to a company."""
    rng = random.Random(SEED * 1000 + SAMPLE_INDEX)
    rows, person = [], 0
    for b in (1, 2):
        for floor in range(1, 7):
            for door in range(1, 5):
                area = _area(rng, 62, 138)
                unit = [f"{b}号楼", f"{floor}{door:02d}", str(floor), str(area), "", "", "是"]
                since = date(2019, rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()
                if b == 2 and floor == 6:
                    rows.append(
                        unit[:6] + ["否", "组织", "翠湖置业有限公司", _uscc("DE", SAMPLE_INDEX + 1), "", "2018-12-01"]
                    )
                    continue
                if b == 1 and floor == 1 and door == 4:
                    rows.append(unit + ["组织", "翠湖苑商贸有限公司", _uscc("CM", 1), "", since])
                    continue
                person += 1
                mobile = "13959261234" if person == 1 else _mobile(rng)
                with_id = rng.random() < 0.7
                rows.append(
                    unit
                    + [
                        "自然人",
                        _person_name(rng),
                        _resident_id(SAMPLE_INDEX, person) if with_id else "",
                        mobile,
                        since,
                    ]
                )
                if person % 3 == 0:
                    person += 1
                    rows.append(
                        [
                            f"{b}号楼",
                            f"{floor}{door:02d}",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "自然人",
                            _person_name(rng),
                            _resident_id(SAMPLE_INDEX, person),
                            "",
                            since,
                        ]
                    )
    return rows


def sample_workbook() -> bytes:
    return template_workbook(sample_rows())


def import_sample(grids: list[Grid], companies: list[PropertyCompany], *, today: date) -> str:
    """Register 翠湖苑 empty in 江滨豪园's grid, then import the sample file into it (again on a
    re-run, which finds everything in place and changes nothing)."""
    code, name = SAMPLE_ESTATE
    estate = Estate.objects.filter(code=code).first()
    if estate is None:
        estate = services.register_estate(
            actor=None,
            grid=grids[0],
            name=name,
            code=code,
            delivered_on=date(2018, 12, 1),
            address=f"{grids[0].community.street.name}翠湖路 8 号",
        )
        tenure.sign_contract(
            actor=None,
            estate=estate,
            company=companies[1],
            mode=ContractMode.LUMP_SUM,
            starts_on=date(2018, 12, 1),
            ends_on=last_day_after_months(date(2018, 12, 1), 120),
        )
    plan = import_registry(
        actor=None, estate=estate, name="registry-sample.xlsx", content=sample_workbook(), today=today
    )
    return (
        f"{name}：导入示例表格，新增房屋 {len(plan.new_units)}、业主 {len(plan.new_owners)}，"
        f"未变化房屋 {plan.unchanged_units}"
    )


def build(*, today: date, progress=None, log=print) -> list[tuple[str, str, str]]:
    """The registry part of the demo; returns the demo logins (username, role, scope)."""
    builder = DemoBuilder(today=today, progress=progress)
    grids = builder.territory()
    companies = builder.companies()
    units = builder.estates(grids, companies)
    log(f"区 1，街道 {STREETS}，社区 {COMMUNITIES}，网格 {len(grids)}，小区 {ESTATES}，房屋 {units}")
    log(import_sample(grids, companies, today=today))
    return builder.logins()
