import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from community.import_services import ImportRefused
from community.models import Estate
from fees import history_import
from fees.tasks import history_summary


class Command(BaseCommand):
    help = (
        "把 HC小区 导出的“房屋缴费历史”表导入一个小区的收费账目：历史账单和收款（收据、凭证连续编号，标记为导入）。"
        "全部写入或全部不写；重复导入同一文件不会重复入账。"
        " Imports HC's payment history (sheet 房屋缴费历史) into one estate's fee ledger."
    )

    def add_arguments(self, parser):
        parser.add_argument("--estate", required=True, help="小区编码")
        parser.add_argument("file", help="HC 导出的 .xlsx 或 .csv 文件")
        parser.add_argument("--dry-run", action="store_true", help="只预览：列出错误或将写入的内容，不写入")
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, estate, file, dry_run=False, quiet_progress=False, **options):
        target = Estate.objects.filter(code=estate).first()
        if target is None:
            raise CommandError(f"没有编码为 {estate!r} 的小区。")
        try:
            content = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {file}：{exc}") from None
        name = Path(file).name
        if dry_run:
            plan = history_import.preview_history(actor=None, estate=target, name=name, content=content)
            if plan.errors:
                self._errors(plan.errors)
            for count in plan.item_counts:
                self.stdout.write(
                    f"{count.name}：账单 {count.bills} 笔 {count.due} 元，收款 {count.payments} 笔 {count.paid} 元"
                )
            self.stdout.write(
                f"预览：数据 {plan.rows} 行，将新增账单 {len(plan.new_bills)} 笔、收款 {len(plan.new_payments)} 笔，"
                f"已导入过未变化 {plan.unchanged} 行；"
                f"其中 {plan.left_open} 笔未缴清，差额 {plan.open_amount} 元记为欠费。"
                "未写入任何内容（--dry-run）。"
            )
            return
        bar = tqdm(total=100, disable=quiet_progress, file=sys.stderr, dynamic_ncols=True, leave=False, unit="%")

        def progress(done, total, step=""):
            bar.set_description(str(step))
            bar.update(max(0, done * 100 // max(total, 1) - bar.n))

        try:
            plan = history_import.import_history(
                actor=None, estate=target, name=name, content=content, progress=progress
            )
        except ImportRefused as refused:
            bar.close()
            self._errors(refused.rows)
        except ValidationError as exc:
            bar.close()
            raise CommandError("；".join(exc.messages)) from None
        bar.close()
        self.stdout.write(self.style.SUCCESS(history_summary(plan)))

    def _errors(self, rows):
        for error in rows:
            self.stderr.write(str(error))
        raise CommandError(f"发现 {len(rows)} 处错误，未写入任何内容。请修改后重新导入。")
