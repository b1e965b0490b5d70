import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from community import audit
from community import backup as drill
from community.models import AuditResult

STEPS = 6


class Command(BaseCommand):
    help = (
        "恢复演练：先核对备份清单中的 SHA-256，再把数据库恢复到临时数据库 <库名>_restore_check_<时间>，"
        "在其中核对迁移状态和各表行数，按恢复的数据重算每份已发布收支公示、维修资金公布、考试合格证书和"
        "调解协议的数字指纹，并核对记录引用的文件。任何不一致都以非零状态退出。临时数据库用后删除，除非加 --keep。"
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="backup 命令写出的备份目录（或其中的 manifest.json）")
        parser.add_argument("--keep", action="store_true", help="演练后保留临时数据库")
        parser.add_argument("--restored", metavar="DBNAME", help="不再恢复，直接核对以前用 --keep 保留的临时数据库")
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, backup: str, keep=False, restored=None, quiet_progress=False, **options):
        folder = Path(backup)
        with tqdm(total=STEPS, disable=quiet_progress, file=sys.stderr, unit="步") as bar:

            def progress(label):
                bar.set_description(label)
                bar.update(1)

            try:
                result = drill.restore_check(folder, keep=keep, restored=restored, progress=progress)
            except drill.BackupError as error:
                audit.record(
                    "restore_check",
                    obj=("backup", folder.name, str(folder)),
                    result=AuditResult.FAILURE,
                    detail={"error": str(error)},
                    username="manage.py",
                )
                raise CommandError(str(error)) from error
        out = self.stdout
        for tally in result.tallies:
            out.write(tally.line() if tally.ok else self.style.ERROR(tally.line()))
            for problem in tally.problems:
                out.write(f"  {problem}")
        audit.record(
            "restore_check",
            obj=("backup", folder.name, str(folder)),
            result=AuditResult.SUCCESS if result.ok else AuditResult.FAILURE,
            detail={"database": result.database, "tallies": [t.line() for t in result.tallies]},
            username="manage.py",
        )
        if result.kept:
            out.write(f"临时数据库已保留：{result.database}（用完请 dropdb {result.database}）")
        if not result.ok:
            raise CommandError("恢复演练发现不一致，见上。")
        out.write(self.style.SUCCESS("恢复演练通过：备份可以完整恢复，所有数字指纹一致。"))
