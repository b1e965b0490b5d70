import sys

from django.core.management.base import BaseCommand
from tqdm import tqdm

from cms import permissions, services


class Command(BaseCommand):
    help = (
        "修复公共网站页面树：为每个区、社区、小区建立或更正页面（名称、位置），并按角色同步公告编辑权限。"
        "建议每日运行一次，使到期合同的物业企业人员失去对应小区的起草权限。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, quiet_progress=False, **options):
        def progress(iterable, **kwargs):
            return tqdm(iterable, disable=quiet_progress, file=sys.stderr, dynamic_ncols=True, **kwargs)

        created = services.sync_site_tree(progress=progress)
        users = permissions.sync_everyone()
        self.stdout.write(
            self.style.SUCCESS(
                f"新建页面：区 {created['DistrictPage']}，社区 {created['CommunityPage']}，"
                f"小区 {created['EstatePage']}；"
                f"已同步 {users} 个账号的公告编辑权限。"
            )
        )
