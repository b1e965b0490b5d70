import importlib
import sys
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import timezone
from tqdm import tqdm

from community import demo, identity


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
        with (
            override_settings(SMS_BACKEND="notifications.channels.DemoSmsBackend"),
            deferred_indexing(self.stdout.write),
        ):
            logins = self._build(progress)
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {demo.DEMO_PASSWORD}）："))
        for username, label, where in logins:
            self.stdout.write(f"  {username:<11} {label}（{where}）")
        # The second factor of the demo's staff logins: known codes, set only under DEBUG (make
        # demo), and refused by the sign-in whenever DEBUG is off.
        if not settings.DEBUG:
            self.stdout.write("未设置演示两步验证码：只在 DEBUG=1 的演示环境中设置。工作人员首次登录时自行绑定验证器。")
            return
        codes = identity.install_demo_devices([username for username, _label, _where in logins])
        self.stdout.write(
            self.style.SUCCESS("演示两步验证（仅演示环境有效；验证器应用密钥，或任选一个一次性验证码）：")
        )
        for username, (secret, static) in codes.items():
            self.stdout.write(f"  {username:<11} 密钥 {secret}  验证码 {' '.join(static)}")

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


# Wagtail keeps its search index and its reference index by a task on every save of a page, a
# document or an image, run at once by default: a notice drafted, revised and published is indexed
# three times, and the district's pages make thousands of such runs. During the seed the tasks
# are collected instead (django-tasks' dummy backend) and each distinct one is run once at the
# end, in the order first asked: the same index entries, written once.
COLLECTING = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@contextmanager
def deferred_indexing(log):
    from django_tasks import default_task_backend

    collecting = override_settings(TASKS=COLLECTING)
    collecting.enable()
    try:
        yield
    finally:
        collected = list(default_task_backend.results)
        collecting.disable()
        # Also after a failure: what was written and kept gets indexed, so a resumed run (which
        # skips what exists) leaves nothing out of the indexes.
        _run_once(collected, log)


def _run_once(collected, log) -> None:
    done, gone = set(), 0
    for result in collected:
        key = (result.task.module_path, tuple(result.args), tuple(sorted(result.kwargs.items())))
        if key in done:
            continue
        done.add(key)
        try:
            result.task.call(*result.args, **result.kwargs)
        except ObjectDoesNotExist:
            gone += 1  # saved, then deleted (or rolled back) later in the seed: nothing to index
    log(f"搜索与引用索引：{len(collected)} 次更新合并为 {len(done) - gone} 次")
