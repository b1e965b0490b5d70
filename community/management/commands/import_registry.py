import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from community import hc_import, import_services
from community.models import Estate


def summary(plan) -> str:
    """One line of what an import did (or would do); for an HC workbook, what its rows became."""
    text = (
        f"新增楼栋 {len(plan.new_buildings)}，新增房屋 {len(plan.new_units)}，修改房屋 {len(plan.changed_units)}，"
        f"未变化房屋 {plan.unchanged_units}；新增业主 {len(plan.new_owners)}，修改业主 {len(plan.changed_owners)}，"
        f"未变化业主 {plan.unchanged_owners}；新增产权 {len(plan.new_holdings)}，终止产权 {len(plan.ended_holdings)}。"
    )
    if plan.members:
        m = plan.member_plan
        text += f"家庭成员/租户：新邀请 {len(m.new)}，修改 {len(m.changed)}，不变 {m.unchanged}。"
    if plan.report is not None:
        text += (
            "\nHC小区格式："
            + "，".join(f"{label} {n}" for label, n in plan.report.lines())
            + f"；建筑面积导入为{hc_import.area_label(plan.report.area_source)}"
            + f"；未导入的列：{'、'.join(plan.report.not_imported) or '—'}。"
        )
    return text


class Command(BaseCommand):
    help = (
        "从 .xlsx 或 .csv 导入一个小区的房屋和业主（表头见 community/registry_import.py，或网页上的模板）。"
        "任何一行有错则全部不导入；重新导入修改后的文件按小区+楼栋+房号、证件号码或手机号码更新，不会重复。"
    )

    def add_arguments(self, parser):
        parser.add_argument("estate", help="小区编码，如 E0001")
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="只预览，不写入")
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")
        parser.add_argument("--developer", default="", help="HC小区格式：未销售（2002）房屋所属的开发建设单位名称")
        parser.add_argument(
            "--area-source",
            default=hc_import.SURVEYED,
            choices=[value for value, _label in hc_import.AREA_SOURCES],
            help="HC小区格式：建筑面积导入为哪种面积（默认 surveyed_area 实测面积）",
        )

    def handle(self, *args, estate, file, dry_run=False, quiet_progress=False, developer="", area_source="", **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        target = Estate.objects.filter(code=estate).first()
        if target is None:
            raise CommandError(f"没有编码为 {estate} 的小区。")
        content = path.read_bytes()
        if dry_run:
            plan = import_services.preview_import(
                actor=None, estate=target, name=path.name, content=content, developer=developer, area_source=area_source
            )
            if plan.errors:
                raise CommandError("文件有错误：\n" + "\n".join(str(e) for e in plan.errors))
            self.stdout.write("预览（未写入）：" + summary(plan))
            return
        with tqdm(total=import_services.STEPS, disable=quiet_progress, file=sys.stderr, unit="步") as bar:

            def progress(label):
                bar.set_description(label)
                bar.update(1)

            try:
                plan = import_services.import_registry(
                    actor=None,
                    estate=target,
                    name=path.name,
                    content=content,
                    progress=progress,
                    developer=developer,
                    area_source=area_source,
                )
            except import_services.ImportRefused as refused:
                raise CommandError("未导入任何内容：\n" + "\n".join(str(e) for e in refused.rows)) from refused
        self.stdout.write(self.style.SUCCESS(f"{target.name} 导入完成：" + summary(plan)))
