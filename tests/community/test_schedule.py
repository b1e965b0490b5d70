"""The schedule of background work: its rows are in the database after migrate (beat reads them
there), and what an administrator changed survives the next migrate."""

import pytest
from celery import current_app
from django.core.management.sql import emit_post_migrate_signal
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from community.schedule import SCHEDULE

pytestmark = pytest.mark.django_db


def _migrated():
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


def test_every_scheduled_task_whose_app_declares_it_has_its_row():
    current_app.loader.import_default_modules()
    rows = {t.name: t for t in PeriodicTask.objects.all()}
    for entry in SCHEDULE:
        assert (entry.name in rows) == (entry.task in current_app.tasks), entry.name
    for name in ("关闭超时答卷", "网格案件督办升级", "同步公共网站页面树", "每月自动出账", "重新提交积压的后台任务"):
        assert rows[name].enabled and rows[name].description
    assert rows["网格案件督办升级"].interval.every == 5
    monthly = rows["每月自动出账"].crontab
    assert (monthly.day_of_month, monthly.hour, monthly.minute) == ("1", "2", "0")


def test_an_admin_edit_survives_the_next_migrate_and_a_deleted_row_comes_back():
    escalate = PeriodicTask.objects.get(name="网格案件督办升级")
    escalate.interval = IntervalSchedule.objects.create(every=15, period=IntervalSchedule.MINUTES)
    escalate.enabled = False
    escalate.save()
    PeriodicTask.objects.filter(name="同步公共网站页面树").delete()
    _migrated()
    escalate.refresh_from_db()
    assert escalate.interval.every == 15 and not escalate.enabled
    assert PeriodicTask.objects.filter(name="同步公共网站页面树", task="cms.sync_site_tree").count() == 1
    assert PeriodicTask.objects.filter(name="网格案件督办升级").count() == 1
