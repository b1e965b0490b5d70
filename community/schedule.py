"""The schedule of background work: one table, for every app.

Celery beat reads the schedule from the database (django-celery-beat), so it is edited in
the admin (定时任务). After every ``migrate`` the rows below are created when missing, looked
up by name: a row an administrator changed (its times, switched off) is never overwritten,
and one deleted there comes back at the next ``migrate``, as written here.

A row is created once its task exists (an app's ``tasks.py`` declares it), so the table may
name work an app adds later. Names stay as they are once released: they are the rows' keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from celery import current_app
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    name: str  # the row's name in the admin, and its key
    task: str  # the Celery task's name
    description: str
    every_minutes: int | None = None  # either an interval…
    crontab: dict = field(default_factory=dict)  # …or crontab fields (minute, hour, day_of_month), Asia/Shanghai


SCHEDULE = (
    Entry(
        "关闭超时答卷",
        "committees.close_expired_attempts",
        "每分钟：已过截止时间仍未交卷的考试答卷，按截止时刻自动交卷并评分。",
        every_minutes=1,
    ),
    Entry(
        "网格案件督办升级",
        "grid.escalate_grid_cases",
        "每 5 分钟：当前环节超过规则集时限的网格案件逐级升级（网格 → 社区 → 街道 → 区）。",
        every_minutes=5,
    ),
    Entry(
        "同步公共网站页面树",
        "cms.sync_site_tree",
        "每日 03:00：按登记信息修复区、社区、小区页面，并同步各账号的公告编辑权限。",
        crontab={"minute": "0", "hour": "3"},
    ),
    Entry(
        "每月自动出账",
        "fees.bill_automatically",
        "每月 1 日 02:00：为收费标准勾选了“每月自动出账”的小区生成当月账单；已生成的账单不会重复。",
        crontab={"minute": "0", "hour": "2", "day_of_month": "1"},
    ),
    Entry(
        "删除未确认的导入文件",
        "community.delete_import_previews",
        "每 10 分钟：删除上传后超过 1 小时仍未确认导入的登记文件（其中有完整的证件号码和手机号码）。",
        every_minutes=10,
    ),
    Entry(
        "重新提交积压的后台任务",
        "community.requeue_jobs",
        "每分钟：任务队列（Redis）中断期间提交的后台任务，在队列恢复后重新交给队列。",
        every_minutes=1,
    ),
    Entry(
        "发送到期通知",
        "notifications.send_due",
        "每分钟：发送已到时间的短信和邮件——失败后按退避时间重试的、夜间暂缓到 8:00 的、队列中断期间积压的。",
        every_minutes=1,
    ),
    Entry(
        "接口推送重试",
        "api.send_due_webhooks",
        "每分钟：推送给接口客户端的案件变化，失败后按退避时间（1、2、4、8… 分钟）重试的、队列中断期间积压的。",
        every_minutes=1,
    ),
    Entry(
        "维修资金续交提醒",
        "fees.alert_topups",
        "每日 09:00：分户账余额低于续交线的业主收到续交提醒（同一专户 30 日内只提醒一次）。",
        crontab={"minute": "0", "hour": "9"},
    ),
    Entry(
        "法定期限逾期提醒",
        "notifications.watch_duties",
        "每日 08:30：决定公告、备案、首次会议、委员提议的会议、收支公布、维修资金年度报表、任期届满等法定期限，"
        "逾期的通知负责人（每项只通知一次），工作台显示逾期数。",
        crontab={"minute": "30", "hour": "8"},
    ),
    Entry(
        "表决截止提醒",
        "committees.remind_closing_votes",
        "每日 09:00：三日内截止的表决，提醒尚未表决的业主（每次表决只提醒一次）。",
        crontab={"minute": "0", "hour": "9"},
    ),
)


def install(using: str = DEFAULT_DB_ALIAS, **_signal) -> int:
    """Create the schedule's missing rows (the ``post_migrate`` handler). Returns how many."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connections[using].introspection.table_names():
        return 0  # django_celery_beat is not migrated yet (a partial migrate)
    current_app.loader.import_default_modules()  # every app's tasks.py
    have = set(PeriodicTask.objects.using(using).values_list("name", flat=True))
    created = 0
    for entry in SCHEDULE:
        if entry.name in have:
            continue
        if entry.task not in current_app.tasks:
            logger.info("schedule row %r waits for its task %s", entry.name, entry.task)
            continue
        if entry.every_minutes:
            when = {
                "interval": IntervalSchedule.objects.using(using).get_or_create(
                    every=entry.every_minutes, period=IntervalSchedule.MINUTES
                )[0]
            }
        else:
            fields = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
            fields.update(entry.crontab)
            when = {
                "crontab": CrontabSchedule.objects.using(using).get_or_create(**fields, timezone=settings.TIME_ZONE)[0]
            }
        PeriodicTask.objects.using(using).create(
            name=entry.name, task=entry.task, description=entry.description, **when
        )
        created += 1
    return created
