from django.core.management.base import BaseCommand

from committees.exams import services


class Command(BaseCommand):
    help = "将已到截止时间仍未交卷的答卷按截止时刻自动交卷并评分（建议每分钟运行）。"

    def handle(self, *args, **options):
        count = services.close_expired_attempts()
        self.stdout.write(self.style.SUCCESS(f"自动交卷 {count} 份。"))
