import importlib
import sys

from django.apps import apps
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import timezone
from tqdm import tqdm

from community import demo


class Command(BaseCommand):
    help = (
        "建立演示区：7 个街道、66 个社区、349 个网格、160 个小区、3 万余套房屋、公告和各角色演示账号。可重复运行。"
        " Each installed app with a demo.py adds its part, in INSTALLED_APPS order."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, quiet_progress=False, **options):
        def progress(iterable, **kwargs):
            return tqdm(iterable, disable=quiet_progress, file=sys.stderr, dynamic_ncols=True, **kwargs)

        # The demo's texts go through the demo gateway: to a file, not this terminal, with some
        # numbers refused so the delivery records show failures (named, not imported: the
        # notifications app sits above the registry).
        with override_settings(SMS_BACKEND="notifications.channels.DemoSmsBackend"):
            logins = self._build(progress)
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）："))
        for username, label, where in logins:
            self.stdout.write(f"  {username:<11} {label}（{where}）")

    def _build(self, progress):
        logins = []
        for config in apps.get_app_configs():
            try:
                part = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            logins += part.build(today=timezone.localdate(), progress=progress, log=self.stdout.write) or []
        return logins
