from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from committees.exams import bank_import, services


class Command(BaseCommand):
    help = "从 .xlsx 或 .csv 导入试题（表头见 committees/exams/bank_import.py）。有任何错误则一题都不导入。"

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        entries, errors = bank_import.parse(path.name, path.read_bytes())
        if errors:
            raise CommandError("未导入任何试题：\n" + "\n".join(str(e) for e in errors))
        added = services.load_question_bank(entries, filename=path.name)
        self.stdout.write(self.style.SUCCESS(f"导入完成：新增 {added} 道，跳过已存在的 {len(entries) - added} 道。"))
