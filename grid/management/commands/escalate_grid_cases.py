import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from grid import services


class Command(BaseCommand):
    help = "网格案件督办：当前环节超过规则集时限的案件逐级升级（网格 → 社区 → 街道 → 区）。可重复运行，结果相同。"

    def add_arguments(self, parser):
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, quiet_progress=False, **options):
        def progress(iterable, **kwargs):
            return tqdm(iterable, disable=quiet_progress, file=sys.stderr, dynamic_ncols=True, **kwargs)

        raised = services.escalate_overdue(progress=progress)
        self.stdout.write(self.style.SUCCESS(f"已升级 {raised} 级次。"))
