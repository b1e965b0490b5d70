"""The demo's public notices: every pilot estate and 20 others carry several, with invented data.

Written through cms.services (draft_notice, publish_notice), so the masking a
real notice gets is what the demo shows. Idempotent: an estate that already
has its demo notices is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from community.demo import PILOT_ESTATES, SEED
from community.models import Estate, Owner, ServiceContract
from community.rules import rules_for

from . import permissions, services
from .models import NoticeCategory, NoticePage

OTHER_ESTATES = 20
SOURCE = "demo"


def _published(notice: NoticePage, when: datetime) -> None:
    notice.first_published_at = when
    services.publish_notice(actor=None, notice=notice)


def _notices_for(estate: Estate, rng: random.Random, today) -> None:
    contract = ServiceContract.objects.in_force(today).filter(estate=estate).select_related("company").first()
    company = contract.company if contract else None
    hotline = rules_for(estate).price_hotline
    candidates = list(
        Owner.objects.filter(
            ownerships__unit__building__estate=estate, kind="person", ownerships__ended_on__isnull=True
        )
        .order_by("pk")
        .values_list("name", "mobile")[:7]
    )
    tz = timezone.get_current_timezone()
    past = datetime.combine(today - timedelta(days=rng.randrange(60, 200)), time(9, 30), tz)

    # An expired publicity: it moves to the archive but stays readable.
    old = services.draft_notice(
        estate=estate,
        category=NoticeCategory.GENERAL,
        title=f"{estate.name}二次供水水箱清洗停水公示",
        body=(
            f"因二次供水水箱年度清洗消毒，{estate.name}各楼栋将分时段停水约 4 小时。\n"
            "清洗完成后由第三方检测机构取样检测，检测报告将张贴于各单元公告栏。\n"
            "请各位业主提前储水。给您带来不便，敬请谅解。"
        ),
        publicity_days=7,
        issuer=company.name if company else f"{estate.name}业主委员会",
        source=f"{SOURCE}:water",
    )
    old.publicity_start = past.date()
    old.publicity_end = past.date() + timedelta(days=6)
    old.save_revision()
    _published(old, past)

    if company:
        price = services.draft_notice(
            estate=estate,
            category=NoticeCategory.FINANCE,
            title=f"{estate.name}物业服务收费明码标价公示",
            body=(
                f"物业服务企业：{company.name}\n"
                f"收费方式：{contract.get_mode_display()}，自 {contract.starts_on:%Y年%m月%d日} 起计费。\n"
                "服务内容与标准：公共区域保洁每日两次，秩序维护 24 小时值守，"
                "绿化养护每月不少于两次，共用设施设备日常维护。\n"
                f"收费项目与标准：住宅物业服务费 {rng.choice(['1.20', '1.35', '1.50', '1.80'])} 元/平方米·月；"
                f"地面停车位管理费 {rng.choice(['60', '80', '100'])} 元/个·月。\n"
                "价格管理形式：政府指导价（前期物业）/ 市场调节价。\n"
                "收费依据：《物业服务收费管理办法》《物业服务收费明码标价规定》及物业服务合同。\n"
                f"价格举报电话：{hotline}。"
            ),
            publicity_days=30,
            issuer=company.name,
            source=f"{SOURCE}:price",
        )
        _published(price, timezone.now())

    cleaning = services.draft_notice(
        estate=estate,
        category=NoticeCategory.GENERAL,
        title=f"{estate.name}公共区域保洁作业安排",
        body=(
            "楼道及电梯轿厢：每日 7:00—9:00 清扫，每周二、周五湿拖。\n"
            "垃圾分类投放点：每日 8:00、18:00 两次清运，厨余垃圾桶每日清洗。\n"
            "地下车库：每周一全面清扫。\n"
            "对保洁质量有意见，请拨打物业服务中心电话 0598-8200100。"
        ),
        issuer=company.name if company else f"{estate.name}业主自管会",
        source=f"{SOURCE}:cleaning",
    )
    _published(cleaning, datetime.combine(today - timedelta(days=rng.randrange(1, 40)), time(8, 0), tz))

    if len(candidates) >= 5:
        lines = "\n".join(f"候选人：{name}，联系电话 {mobile}" for name, mobile in candidates[:5])
        election = services.draft_notice(
            estate=estate,
            category=NoticeCategory.COMMITTEE,
            title=f"{estate.name}业主大会关于选举第二届业主委员会的公告",
            body=(
                f"经{estate.name}业主大会筹备组审查，下列业主为第二届业主委员会委员候选人：\n{lines}\n"
                "投票方式：书面表决或登录本系统在线表决。表决结果按专有部分面积和业主人数分别统计。\n"
                "对候选人资格有异议的，请于公示期内向筹备组书面提出。"
            ),
            publicity_days=15,
            issuer=f"{estate.name}业主大会筹备组",
            source=f"{SOURCE}:election",
        )
        _published(election, timezone.now())


def build(*, today, progress=None, log=print):
    progress = progress or (lambda iterable, **kw: iterable)
    services.sync_site_tree()
    rng = random.Random(SEED)
    others = list(Estate.objects.exclude(name__in=PILOT_ESTATES).order_by("code").values_list("pk", flat=True))
    chosen = list(Estate.objects.filter(name__in=PILOT_ESTATES).order_by("code")) + list(
        Estate.objects.filter(pk__in=rng.sample(others, OTHER_ESTATES)).order_by("code")
    )
    done = set(NoticePage.objects.filter(source__startswith=f"{SOURCE}:").values_list("path", flat=True))
    made = 0
    for estate in progress(chosen, desc="公告", unit="个小区"):
        page = services.ensure_page(estate)
        if any(path.startswith(page.path) for path in done):
            continue
        with transaction.atomic():
            _notices_for(estate, random.Random(SEED * 7 + estate.pk), today)
        made += 1
    users = permissions.sync_everyone()
    log(f"公告：{len(chosen)} 个小区有演示公告（本次新建 {made} 个），{users} 个账号的公告编辑权限已同步")
