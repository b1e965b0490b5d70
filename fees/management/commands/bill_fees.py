import sys
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from community.models import Estate
from fees import services
from fees.models import FeeSchedule


class Command(BaseCommand):
    help = (
        "为收费小区按执行中的收费标准生成某月账单（默认本月）。可重复运行：已生成的账单不会重复。"
        " Bills every estate with a price list (or --estate CODE) for one month."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="账期，格式 2026-03；默认本月")
        parser.add_argument(
            "--estate", action="append", default=[], help="小区编码，可多次指定；默认所有已公示收费标准的小区"
        )
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, period=None, estate=(), quiet_progress=False, **options):
        try:
            month = date.fromisoformat(f"{period}-01") if period else timezone.localdate().replace(day=1)
        except ValueError:
            raise CommandError(f"账期格式应为 2026-03，而不是 {period!r}") from None
        estates = Estate.objects.filter(pk__in=FeeSchedule.objects.values("estate")).order_by("code")
        if estate:
            estates = Estate.objects.filter(code__in=estate).order_by("code")
            missing = set(estate) - set(estates.values_list("code", flat=True))
            if missing:
                raise CommandError(f"没有这些小区：{'、'.join(sorted(missing))}")

        def progress(rows, **kwargs):
            return tqdm(rows, disable=quiet_progress, file=sys.stderr, dynamic_ncols=True, leave=False, **kwargs)

        created = failed = 0
        for item in estates:
            try:
                run = services.run_billing(actor=None, estate=item, period=month, progress=progress)
            except ValidationError as exc:
                failed += 1
                self.stderr.write(f"{item.name}：{'；'.join(exc.messages)}")
                continue
            if run is None:
                self.stdout.write(f"{item.name}：{month:%Y-%m} 的账单已全部生成，没有新增。")
            else:
                created += run.bills_created
                self.stdout.write(f"{item.name}：新出账单 {run.bills_created} 笔，合计 {run.amount} 元。")
        self.stdout.write(self.style.SUCCESS(f"完成：{month:%Y-%m} 新出账单 {created} 笔。"))
        if failed:
            raise CommandError(f"{failed} 个小区未能出账，原因见上。")
