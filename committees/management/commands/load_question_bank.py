from django.core.management.base import BaseCommand

from committees.exams import services
from committees.exams.question_bank import QUESTIONS


class Command(BaseCommand):
    help = "载入备案前考试起始题库（60 道，按题干去重，可重复运行）。"

    def handle(self, *args, **options):
        added = services.load_question_bank(QUESTIONS)
        self.stdout.write(self.style.SUCCESS(f"题库：新增 {added} 道，共 {len(QUESTIONS)} 道起始题。"))
