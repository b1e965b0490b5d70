import importlib
import sys
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from tqdm import tqdm

from community import demo, duties, identity


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
            unsynced_sqlite(),
            unlogged_queries(),
            deferred_indexing(self.stdout.write),
            # The duty list's copy (the bar's overdue count) is refreshed once at the end, not
            # after every commit of the thousands that change a duty.
            duties.refreshed_once(),
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


@contextmanager
def unsynced_sqlite():
    """On SQLite, the seed's thousands of small transactions commit without waiting for the disk
    (``PRAGMA synchronous=OFF``, this connection only, for this command): a crash of the program
    loses nothing committed, only a power cut could, and the demo is built again by re-running.
    Other databases, and a seed inside a caller's transaction (SQLite refuses the change there),
    are left as they are."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        before = cursor.execute("PRAGMA synchronous").fetchone()[0]
        cursor.execute("PRAGMA synchronous=OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(before)}")


@contextmanager
def unlogged_queries():
    """Under DEBUG=1 Django keeps every query in ``connection.queries`` (for a developer looking at
    one request), and on SQLite quotes each query's parameters with another query to do it: for
    the seed's hundred thousand queries, a log nobody reads. The seed's connection makes plain
    cursors meanwhile; someone counting queries (``force_debug_cursor``) still gets them all."""
    if connection.force_debug_cursor or not connection.queries_logged:
        yield
        return
    connection.make_debug_cursor = connection.make_cursor
    try:
        yield
    finally:
        del connection.make_debug_cursor


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
    """Each distinct task once, in the order first asked; the search index's in one bulk write
    per model (what Wagtail's ``update_index`` does), the rest (reference index) as they are."""
    from modelsearch.tasks import insert_or_update_object_task

    done, searched, gone = set(), {}, 0
    for result in collected:
        key = (result.task.module_path, tuple(result.args), tuple(sorted(result.kwargs.items())))
        if key in done:
            continue
        done.add(key)
        if result.task.func is insert_or_update_object_task.func:
            app_label, model_name, pk = result.args
            searched.setdefault((app_label, model_name), []).append(pk)
            continue
        try:
            result.task.call(*result.args, **result.kwargs)
        except ObjectDoesNotExist:
            gone += 1  # saved, then deleted (or rolled back) later in the seed: nothing to index
    for (app_label, model_name), pks in searched.items():
        gone += len(pks) - _index_in_bulk(apps.get_model(app_label, model_name), pks)
    log(f"搜索与引用索引：{len(collected)} 次更新合并为 {len(done) - gone} 次")


def _index_in_bulk(model, pks) -> int:
    """The search index entries of ``model``'s rows ``pks``, as the per-save task writes them (the
    most specific instance, if it is among its class's indexed objects), one bulk add per class."""
    from modelsearch import index
    from modelsearch.backends import get_search_backends

    by_class = {}
    for obj in model.objects.filter(pk__in=pks):
        indexed = index.get_indexed_instance(obj, check_exists=False)
        if indexed is not None:
            by_class.setdefault(type(indexed), []).append(indexed)
    written = 0
    for cls, objs in by_class.items():
        kept = set(cls.get_indexed_objects().filter(pk__in=[o.pk for o in objs]).values_list("pk", flat=True))
        objs = [o for o in objs if o.pk in kept]
        for backend in get_search_backends(with_auto_update=True):
            backend.add_bulk(cls, objs)
        written += len(objs)
    return written
