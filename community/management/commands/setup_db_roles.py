import os

from django.core.management.base import BaseCommand, CommandError

from community import dbroles


class Command(BaseCommand):
    help = (
        "创建或更新应用连接数据库所用的角色（幂等）：只能读写数据行，不拥有任何表，不能清空（TRUNCATE）、"
        "修改表结构或关闭触发器；记账、收款、表决票、公开报表、办理记录、审计记录等只能新增。"
        "请在 migrate 之后，用表的所有者（执行 migrate 的角色）的 DATABASE_URL 运行。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", default=os.environ.get("DATABASE_APP_ROLE", "estate_app"), help="应用角色名")
        parser.add_argument(
            "--password",
            default=os.environ.get("DATABASE_APP_PASSWORD", ""),
            help="应用角色的密码（新建时必填；也可用环境变量 DATABASE_APP_PASSWORD）",
        )

    def handle(self, *args, app_role, password, **options):
        try:
            report = dbroles.setup_app_role(role=app_role, password=password)
        except dbroles.RoleError as refused:
            raise CommandError(str(refused)) from refused
        verb = "已创建" if report.created else "已更新"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb}应用角色 {report.role}（表的所有者：{report.owner}，模式：{report.schema}）："
                f"{report.tables} 张表可读写数据行；"
                f"{len(report.record_tables)} 张只增不改的表不可删除：{'、'.join(report.record_tables)}；"
                f"只读：{'、'.join(report.read_only_tables) or '无'}。"
            )
        )
