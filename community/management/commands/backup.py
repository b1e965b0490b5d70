import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from community import audit, backup
from community.models import AuditResult

STEPS = 5


def size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


class Command(BaseCommand):
    help = (
        "备份 PostgreSQL 数据库（pg_dump -Fc）和媒体文件，并写出含 SHA-256 校验和、迁移状态、各表行数和"
        "数字指纹的 manifest.json。用 restore_check 做恢复演练。SQLite 演示库请停止服务后直接复制 "
        "db.sqlite3 和 media 目录。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=str(getattr(settings, "BACKUP_ROOT", settings.BASE_DIR / "backups")),
            help="备份写入的目录（在其中新建一个 backup-<数据库>-<时间> 子目录），默认 ./backups",
        )
        parser.add_argument("--quiet-progress", action="store_true", help="不显示进度条")

    def handle(self, *args, output, quiet_progress=False, **options):
        with tqdm(total=STEPS, disable=quiet_progress, file=sys.stderr, unit="步") as bar:

            def progress(label):
                bar.set_description(label)
                bar.update(1)

            try:
                made = backup.make_backup(output=Path(output), progress=progress)
            except backup.BackupError as error:
                audit.record("backup", result=AuditResult.FAILURE, detail={"error": str(error)}, username="manage.py")
                raise CommandError(str(error)) from error
        manifest = made.manifest
        audit.record(
            "backup",
            obj=("backup", made.path.name, str(made.path)),
            detail={"manifest_sha256": made.manifest_sha256, "database": manifest["database"]["name"]},
            username="manage.py",
        )
        out = self.stdout
        out.write(f"备份目录：{made.path}")
        for name, facts in manifest["files"].items():
            out.write(f"  {name}  {size(facts['size'])}  SHA-256 {facts['sha256']}")
        counts = manifest["counts"]
        out.write(f"  媒体文件 {len(manifest['media'])} 个；数据表 {len(counts)} 张，共 {sum(counts.values())} 行")
        for kind in manifest["fingerprints"].values():
            out.write(f"  {kind['label']} {len(kind['records'])} 份已记录数字指纹")
            if kind["stale"]:
                out.write(
                    self.style.WARNING(
                        f"    其中 {len(kind['stale'])} 份在备份时已与保存的指纹不符：{'、'.join(kind['stale'])}"
                    )
                )
        out.write(f"manifest.json 的 SHA-256：{made.manifest_sha256}（请另行记录，用于核对清单本身未被改动）")
        out.write(self.style.SUCCESS("备份完成。"))
