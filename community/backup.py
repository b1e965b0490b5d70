"""Backup and the restore drill (数据备份恢复, GB/T 22239-2019 level 3).

``make_backup`` writes one new directory: ``database.dump`` (``pg_dump -Fc`` of the configured
database), ``media.tar`` (everything under MEDIA_ROOT) and ``manifest.json`` with the SHA-256 of
both, the database's name, encoding and collation, the latest applied migration of every app,
the row count of every table and the fingerprint of every record that carries one. The dump, the
counts and the fingerprints are read from one exported snapshot, so they describe the same
instant even while the system keeps working.

``restore_check`` is the drill: it checks the manifest's sums first (a tampered file stops it),
restores the dump into a scratch database ``<name>_restore_check_<timestamp>``, and, connected to
that database, compares the migration state and the row counts with the manifest, recomputes
every fingerprint from the restored rows and compares each record's file with the hash the
manifest kept for it. The scratch database is dropped at the end unless it is asked to be kept.

This module is on the ground floor and imports no app above it: the apps whose records carry a
fingerprint (published statements, certificates, agreements) register a check in their
``AppConfig.ready()`` with ``register_fingerprint_check(label, fn)``; ``fn()`` yields one
``Fingerprint`` per record, recomputed the same way the verify page recomputes it.

Only PostgreSQL is backed up here. The SQLite demo is backed up by copying ``db.sqlite3`` and the
media folder while the server is stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media.tar"
FORMAT = 1
CHUNK = 1 << 20
SCRATCH_MARK = "_restore_check_"

NOT_POSTGRES = (
    "备份与恢复演练只支持 PostgreSQL（当前数据库是 {vendor}）。"
    "SQLite 演示库的备份方法：停止服务后复制 db.sqlite3 文件和 media 目录。"
)


class BackupError(Exception):
    """A backup or a drill that cannot go on; the message says why, in Chinese."""


# --------------------------------------------------------------------------- the hook


@dataclass(frozen=True)
class Fingerprint:
    """One record's fingerprint: ``key`` names the record across a restore (its table and primary
    key), ``name`` is how a person knows it, ``live`` is recomputed from the rows now, and
    ``stored`` is the fingerprint the record keeps itself (a published statement), or ""."""

    key: str
    name: str
    live: str
    stored: str = ""


@dataclass(frozen=True)
class _Check:
    label: object  # a (lazy) Chinese string
    fn: Callable[[], Iterable[Fingerprint]]


_CHECKS: dict[str, _Check] = {}


def register_fingerprint_check(label, fn: Callable[[], Iterable[Fingerprint]]) -> None:
    """Let an app have its fingerprinted records kept in every manifest and re-verified on every
    drill. ``label`` names the kind in the report ("已发布物业费收支公示"); ``fn()`` reads every
    such record of the whole database. Registering the same function again replaces it."""
    _CHECKS[f"{fn.__module__}.{fn.__qualname__}"] = _Check(label, fn)


def registered_checks() -> dict[str, _Check]:
    return dict(_CHECKS)


# --------------------------------------------------------------------------- PostgreSQL tools


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise BackupError(NOT_POSTGRES.format(vendor=connection.vendor))


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program: from PG_BIN_DIR if set, else the one matching the
    server's major version under /usr/lib/postgresql, else the one on PATH."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(os.environ["PG_BIN_DIR"]) / name)
    major = connection.pg_version // 10000 if connection.vendor == "postgresql" else 0
    candidates.append(Path(f"/usr/lib/postgresql/{major}/bin") / name)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        f"找不到 PostgreSQL 客户端程序 {name}：请安装 postgresql-client，或设置 PG_BIN_DIR 指向它所在的目录。"
    )


def pg_env(dbname: str | None = None) -> dict[str, str]:
    """The connection for the client programs, through the environment only (never a password on
    the command line, where any user of the host could read it in the process list)."""
    params = connection.settings_dict
    # What the settings leave out, libpq takes from the same PG* variables the application's own
    # connection inherits, so the client programs reach the same server.
    env = dict(os.environ)
    env["PGDATABASE"] = dbname or params["NAME"]
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if params.get(key):
            env[var] = str(params[key])
    for option, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
    ):
        if params.get("OPTIONS", {}).get(option):
            env[var] = str(params["OPTIONS"][option])
    env.setdefault("PGAPPNAME", "estate-backup")
    return env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what}失败（{Path(args[0]).name} 退出码 {done.returncode}）：{done.stderr.strip()[-2000:]}")


# --------------------------------------------------------------------------- what a manifest records


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _tables() -> list[type[models.Model]]:
    return sorted(
        (m for m in apps.get_models() if m._meta.managed and not m._meta.proxy),
        key=lambda m: m._meta.label_lower,
    )


def table_counts(*, tolerant: bool = False) -> dict[str, int | None]:
    """The number of rows of every table the project's models keep. ``tolerant`` (a restored
    database, in autocommit) gives None for a table that cannot be read instead of failing."""
    counts: dict[str, int | None] = {}
    for model in _tables():
        try:
            counts[model._meta.label_lower] = model._base_manager.count()
        except DatabaseError:
            if not tolerant:
                raise
            counts[model._meta.label_lower] = None
    return counts


def migration_state() -> dict[str, str]:
    """The latest applied migration of every app (by name: migrations are numbered)."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def fingerprints() -> dict[str, dict]:
    """Every registered kind with the live fingerprint of each of its records."""
    kinds = {}
    for key, check in _CHECKS.items():
        items = list(check.fn())
        kinds[key] = {
            "label": str(check.label),
            "records": {item.key: item.live for item in items},
            "stale": sorted(item.key for item in items if item.stored and item.stored != item.live),
        }
    return kinds


def file_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with file fields, and their names."""
    found = []
    for model in _tables():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if names:
            found.append((model, names))
    return found


def referenced_files() -> list[tuple[str, str]]:
    """(record key, file name under MEDIA_ROOT) for every record that points at a file."""
    found = []
    for model, names in file_fields():
        for row in model._base_manager.order_by("pk").values_list("pk", *names):
            pk, *files = row
            for name, value in zip(names, files, strict=True):
                if value:
                    found.append((f"{model._meta.label_lower}:{pk}:{name}", str(value)))
    return found


# --------------------------------------------------------------------------- backup


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    manifest_sha256: str


def _database_facts() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_database(), pg_encoding_to_char(encoding), datcollate, datctype "
            "FROM pg_database WHERE datname = current_database()"
        )
        name, encoding, collate, ctype = cursor.fetchone()
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {
        "vendor": "postgresql",
        "name": name,
        "encoding": encoding,
        "collate": collate,
        "ctype": ctype,
        "server_version": version,
    }


def _tar_media(target: Path) -> dict[str, str]:
    """Write MEDIA_ROOT into ``target``; return each file's SHA-256 by its name under MEDIA_ROOT,
    read back from the archive (so a file changed while it was packed cannot disagree)."""
    root = Path(settings.MEDIA_ROOT)
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
                tar.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
    return media_hashes(target)


def make_backup(*, output: Path, progress=None, now: datetime | None = None) -> BackupResult:
    """Write a new backup directory under ``output`` and return it with its manifest.

    The dump is taken from a snapshot exported by a read-only, repeatable-read transaction, and
    the migration state, counts and fingerprints are read inside that same transaction, so the
    manifest describes exactly the rows in the dump. ``progress(step)`` is told each step."""
    require_postgres()
    if connection.in_atomic_block:
        raise BackupError("备份不能在一个已打开的事务中进行。")
    step = progress or (lambda label: None)
    now = now or timezone.now()
    pg_dump = pg_tool("pg_dump")
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    target = output / f"backup-{connection.settings_dict['NAME']}-{stamp}"
    try:
        target.mkdir(mode=0o700)
    except FileExistsError:
        raise BackupError(f"备份目录已存在：{target}，请稍后再试或换一个输出目录。") from None
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            step("导出数据库")
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", "--file", str(target / DUMP)],
                pg_env(),
                "导出数据库",
            )
            step("记录迁移状态和行数")
            database = _database_facts()
            migrations = migration_state()
            counts = table_counts()
            files = referenced_files()
            step("计算数字指纹")
            kinds = fingerprints()
        step("打包媒体文件")
        media = _tar_media(target / MEDIA)
        step("计算校验和")
        manifest = {
            "format": FORMAT,
            "created_at": timezone.localtime(now).isoformat(),
            "database": database,
            "migrations": migrations,
            "counts": counts,
            "files": {
                name: {"sha256": sha256_file(target / name), "size": (target / name).stat().st_size}
                for name in (DUMP, MEDIA)
            },
            "media": media,
            "referenced_files": dict(files),
            "fingerprints": kinds,
        }
        body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        (target / MANIFEST).write_bytes(body)
        for name in (DUMP, MEDIA, MANIFEST):
            os.chmod(target / name, 0o600)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return BackupResult(target, manifest, hashlib.sha256(body).hexdigest())


# --------------------------------------------------------------------------- the restore drill


@dataclass
class Tally:
    """How one kind of record fared in the drill."""

    label: str
    total: int = 0
    matched: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.matched == self.total

    def line(self) -> str:
        verdict = "一致" if self.ok else "不一致"
        return f"{self.label} {self.matched}/{self.total} {verdict}"


@dataclass
class DrillResult:
    database: str
    tallies: list[Tally]
    kept: bool

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tallies)


def read_manifest(folder: Path) -> dict:
    folder = Path(folder)
    if folder.is_file() and folder.name == MANIFEST:
        folder = folder.parent
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"找不到备份清单：{path}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BackupError(f"备份清单无法读取（{error}）：{path}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"不是本系统的备份清单，或版本不支持：{path}")
    for key in ("files", "database", "migrations", "counts", "media", "fingerprints", "referenced_files"):
        if not isinstance(manifest.get(key), dict):
            raise BackupError(f"备份清单缺少“{key}”：{path}")
    return manifest


def verify_sums(folder: Path, manifest: dict) -> Tally:
    """Each file of the backup against its SHA-256 in the manifest."""
    tally = Tally("备份文件校验和")
    for name, expected in sorted(manifest["files"].items()):
        tally.total += 1
        path = Path(folder) / name
        if "/" in name or not path.is_file():
            tally.problems.append(f"{name}：文件缺失")
        elif sha256_file(path) != expected.get("sha256"):
            tally.problems.append(f"{name}：SHA-256 与清单不符，文件已被改动或损坏")
        else:
            tally.matched += 1
    return tally


def media_hashes(tar_path: Path) -> dict[str, str]:
    """The SHA-256 of every file in the media archive, read without extracting anything."""
    found = {}
    with tarfile.open(tar_path, "r:") as tar:
        for member in tar:
            if member.isfile():
                handle = tar.extractfile(member)
                digest = hashlib.sha256()
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                found[member.name] = digest.hexdigest()
    return found


def scratch_name(source: str, now: datetime) -> str:
    stamp = timezone.localtime(now).strftime("%Y%m%d%H%M%S")
    suffix = f"{SCRATCH_MARK}{stamp}"
    return f"{source[: 63 - len(suffix)]}{suffix}"


class _ConnectedTo:
    """Point the default connection at ``name`` for the checks (the selectors read through it),
    and back again afterwards."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        from django.contrib.contenttypes.models import ContentType

        if connection.in_atomic_block:
            raise BackupError("恢复演练不能在一个已打开的事务中进行。")
        self.previous = connection.settings_dict["NAME"]
        connection.close()
        connection.settings_dict["NAME"] = self.name
        ContentType.objects.clear_cache()
        return self

    def __exit__(self, *exc):
        from django.contrib.contenttypes.models import ContentType

        connection.close()
        connection.settings_dict["NAME"] = self.previous
        ContentType.objects.clear_cache()
        return False


def _compare_dicts(label: str, expected: dict, actual: dict, what: str) -> Tally:
    tally = Tally(label, total=len(expected))
    for key, value in sorted(expected.items()):
        if key not in actual:
            tally.problems.append(f"{key}：恢复后没有这{what}")
        elif actual[key] is None:
            tally.problems.append(f"{key}：恢复后无法读取")
        elif actual[key] != value:
            tally.problems.append(f"{key}：清单 {value}，恢复后 {actual[key]}")
        else:
            tally.matched += 1
    for key in sorted(set(actual) - set(expected)):
        tally.problems.append(f"{key}：清单中没有这{what}")
    return tally


def _check_fingerprints(manifest: dict) -> list[Tally]:
    tallies = []
    kept = manifest["fingerprints"]
    for key, check in _CHECKS.items():
        expected = kept.get(key, {}).get("records", {})
        tally = Tally(str(check.label))
        seen = set()
        try:
            items = list(check.fn())
        except DatabaseError as error:
            tally.total = len(expected)
            tally.problems.append(f"恢复的数据库中无法读取这类记录：{error}")
            tallies.append(tally)
            continue
        for item in items:
            tally.total += 1
            seen.add(item.key)
            if item.key not in expected:
                tally.problems.append(f"{item.name}：备份清单中没有这一记录")
            elif item.live != expected[item.key]:
                tally.problems.append(f"{item.name}：按恢复的数据重算的数字指纹与备份时不同")
            elif item.stored and item.stored != item.live:
                tally.problems.append(f"{item.name}：记录保存的数字指纹与按数据重算的不同")
            else:
                tally.matched += 1
        for missing in sorted(set(expected) - seen):
            tally.total += 1
            tally.problems.append(f"{missing}：备份时有这一记录，恢复后没有")
        tallies.append(tally)
    for key in sorted(set(kept) - set(_CHECKS)):
        records = kept[key].get("records", {})
        tallies.append(
            Tally(kept[key].get("label", key), total=len(records), problems=["本系统没有登记这类记录的核验方法"])
        )
    return tallies


def _check_files(manifest: dict, archive: dict[str, str]) -> Tally:
    tally = Tally("记录引用的文件")
    kept = manifest["media"]
    for key, name in referenced_files():
        tally.total += 1
        if name not in kept:
            tally.problems.append(f"{key}：文件 {name} 不在备份的媒体文件中")
        elif archive.get(name) != kept[name]:
            tally.problems.append(f"{key}：文件 {name} 的 SHA-256 与清单不符")
        else:
            tally.matched += 1
    return tally


def restore_check(
    folder: Path, *, keep: bool = False, restored: str | None = None, progress=None, now: datetime | None = None
) -> DrillResult:
    """The drill. Raises ``BackupError`` when a file of the backup does not match its sum (nothing
    is restored then) or when the restore itself fails; otherwise returns each kind's tally.
    With ``restored`` the database a previous ``keep`` left is checked again instead."""
    require_postgres()
    step = progress or (lambda label: None)
    now = now or timezone.now()
    folder = Path(folder)
    if folder.is_file() and folder.name == MANIFEST:
        folder = folder.parent
    manifest = read_manifest(folder)
    step("核对校验和")
    sums = verify_sums(folder, manifest)
    if not sums.ok:
        raise BackupError("备份文件校验失败，演练停止：\n" + "\n".join(sums.problems))
    archive = media_hashes(folder / MEDIA)
    media = _compare_dicts("媒体文件", manifest["media"], archive, "个文件")
    if not media.ok:
        raise BackupError("媒体文件与清单不符，演练停止：\n" + "\n".join(media.problems))

    source = manifest["database"]
    if restored:
        if not is_scratch(restored) or restored == connection.settings_dict["NAME"]:
            raise BackupError(f"{restored} 不是恢复演练保留的临时数据库（名称中应有 {SCRATCH_MARK}）。")
        name, created = restored, False
    else:
        name, created = scratch_name(source.get("name") or connection.settings_dict["NAME"], now), True
        step("创建临时数据库")
        args = [pg_tool("createdb"), f"--maintenance-db={connection.settings_dict['NAME']}", "--template=template0"]
        if source.get("encoding"):
            args.append(f"--encoding={source['encoding']}")
        if source.get("collate"):
            args.append(f"--lc-collate={source['collate']}")
        if source.get("ctype"):
            args.append(f"--lc-ctype={source['ctype']}")
        _run([*args, name], pg_env(), "创建临时数据库")
    try:
        if created:
            step("恢复数据库")
            _run(
                [
                    pg_tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--dbname",
                    name,
                    str(folder / DUMP),
                ],
                pg_env(name),
                "恢复数据库",
            )
        with _ConnectedTo(name):
            step("核对迁移状态和行数")
            tallies = [
                sums,
                media,
                _compare_dicts("迁移状态", manifest["migrations"], migration_state(), "个应用"),
                _compare_dicts("数据表行数", manifest["counts"], table_counts(tolerant=True), "张表"),
            ]
            step("重算数字指纹")
            tallies += _check_fingerprints(manifest)
            tallies.append(_check_files(manifest, archive))
    finally:
        if created and not keep:
            step("删除临时数据库")
            drop = [pg_tool("dropdb"), f"--maintenance-db={connection.settings_dict['NAME']}", "--if-exists", name]
            _run(drop, pg_env(), "删除临时数据库")
    return DrillResult(name, tallies, kept=keep or not created)


def is_scratch(name: str) -> bool:
    return bool(re.search(rf"{SCRATCH_MARK}\d{{14}}$", name))
