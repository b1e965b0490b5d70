"""Backup and the restore drill (数据备份恢复): a small district with one record of every
fingerprinted kind is dumped, restored into a scratch database and re-verified; then a byte of
the dump and a row of the restored books are changed, and the drill says so."""

import io
import json
import stat
from datetime import timedelta

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from committees.exams import services as exam_services
from committees.exams.question_bank import QUESTIONS
from committees.models import Certificate
from community import backup
from community.models import AuditEvent, AuditResult
from fees import selectors as fee_selectors
from fees import services as fee_services
from fees.fund import services as fund_services
from fees.models import Statement
from mediation.models import Agreement
from tests.committees.conftest import BLUEPRINT, answer_all
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory
from tests.fees.conftest import month_ago, publish
from tests.fees.fund_helpers import open_fund
from tests.mediation.helpers import effective

BASE = "https://wy.example.gov.cn"
KINDS = ["已发布物业费收支公示", "已公布维修资金年度报表", "考试合格证书", "调解协议"]


def test_every_fingerprinted_kind_registers_its_check():
    labels = sorted(str(check.label) for check in backup.registered_checks().values())
    assert labels == sorted(KINDS)


@pytest.mark.django_db
def test_sqlite_is_refused_with_the_way_to_back_it_up(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite refusal is checked in the SQLite pass")
    with pytest.raises(CommandError, match="复制 db.sqlite3"):
        call_command("backup", output=str(tmp_path), quiet_progress=True, stdout=io.StringIO())
    assert not any(tmp_path.iterdir())
    with pytest.raises(CommandError, match="只支持 PostgreSQL"):
        call_command("restore_check", str(tmp_path), quiet_progress=True, stdout=io.StringIO())
    refused = AuditEvent.objects.filter(result=AuditResult.FAILURE)
    assert sorted(refused.values_list("action", flat=True)) == ["backup", "restore_check"]


def test_the_sums_name_a_changed_and_a_missing_file(tmp_path):
    (tmp_path / "database.dump").write_bytes(b"PGDMP original")
    (tmp_path / "media.tar").write_bytes(b"tar")
    manifest = {
        "files": {
            "database.dump": {"sha256": backup.sha256_file(tmp_path / "database.dump")},
            "media.tar": {"sha256": backup.sha256_file(tmp_path / "media.tar")},
        }
    }
    assert backup.verify_sums(tmp_path, manifest).line() == "备份文件校验和 2/2 一致"
    (tmp_path / "database.dump").write_bytes(b"PGDMP 0riginal")
    (tmp_path / "media.tar").unlink()
    tally = backup.verify_sums(tmp_path, manifest)
    assert tally.line() == "备份文件校验和 0/2 不一致"
    assert tally.problems == ["database.dump：SHA-256 与清单不符，文件已被改动或损坏", "media.tar：文件缺失"]


def test_a_scratch_name_keeps_its_mark_within_postgresqls_63_characters():
    name = backup.scratch_name("x" * 80, timezone.now())
    assert len(name) == 63 and backup.is_scratch(name)
    assert not backup.is_scratch("estate") and not backup.is_scratch("estate_restore_check_")


def small_district(world):
    """One published fee statement, one fund statement, one certificate and one signed agreement."""
    estate = world.e1
    publish(estate)
    start = month_ago()
    fee_services.record_income(
        actor=None,
        estate=estate,
        category="common",
        amount="1200.50",
        entry_date=start + timedelta(days=9),
        description="电梯广告位租金",
        counterparty="某传媒公司",
    )
    fee_services.publish_statement(actor=None, estate=estate, kind="month", start=start, base_url=BASE)
    open_fund(world)
    fund_services.publish_fund_statement(actor=None, estate=estate, year=timezone.localdate().year - 1, base_url=BASE)
    exam_services.load_question_bank(QUESTIONS)
    candidate = OwnerFactory(name="陈委员", user=UserFactory(username="candidate"))
    OwnershipFactory(unit=UnitFactory(building__estate=estate), owner=candidate)
    now = timezone.now()
    session = exam_services.schedule_session(
        actor=None,
        community=estate.grid.community,
        title="2026年第9期备案前考试",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=30),
        blueprint=BLUEPRINT,
        candidates=[candidate],
    )
    attempt = exam_services.start_attempt(candidate=candidate, session=session)
    answer_all(attempt, right=10)
    exam_services.submit_attempt(attempt=attempt)
    effective(world)
    assert Statement.objects.count() == 2 and Certificate.objects.count() == 1 and Agreement.objects.count() == 1


def databases() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        return {row[0] for row in cursor.fetchall()}


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, quiet_progress=True, stdout=out, **options)
    return out.getvalue()


def scratch_sql(name: str, *statements: str) -> None:
    """Change the kept scratch copy behind the application's back, as the superuser: the
    append-only triggers are switched off for this session first."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=name,
        host=params.get("HOST") or None,
        port=params.get("PORT") or None,
        user=params.get("USER") or None,
        password=params.get("PASSWORD") or None,
        autocommit=True,
    ) as conn:
        conn.execute("SET session_replication_role = replica")
        for sql in statements:
            conn.execute(sql)


def drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_drill_then_tampering_is_caught(world, tmp_path):
    small_district(world)
    before = databases()

    printed = run("backup", output=str(tmp_path))
    (folder,) = tmp_path.iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["database.dump", "manifest.json", "media.tar"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["name"] == connection.settings_dict["NAME"]
    assert manifest["counts"]["fees.statement"] == 2 and manifest["counts"]["community.unit"] > 0
    assert manifest["migrations"]["community"] >= "0017"
    assert (folder / "database.dump").read_bytes()[:5] == b"PGDMP"
    statement_pdfs = [s.pdf.name for s in Statement.objects.all()]
    assert all(name in manifest["media"] for name in statement_pdfs)
    assert "考试合格证书 1 份已记录数字指纹" in printed

    printed = run("restore_check", str(folder))
    for kind in KINDS:
        assert f"{kind} 1/1 一致" in printed
    assert "备份文件校验和 2/2 一致" in printed and "恢复演练通过" in printed
    assert f"数据表行数 {len(manifest['counts'])}/{len(manifest['counts'])} 一致" in printed
    files = len(manifest["referenced_files"])
    assert files >= 2 and f"记录引用的文件 {files}/{files} 一致" in printed
    assert databases() == before  # the scratch database is gone
    assert AuditEvent.objects.filter(action="backup", result=AuditResult.SUCCESS).count() == 1
    assert AuditEvent.objects.filter(action="restore_check", result=AuditResult.SUCCESS).count() == 1

    # A byte of a copied dump changed: the sums stop the drill before anything is restored.
    copy = tmp_path / "copy"
    copy.mkdir()
    for part in folder.iterdir():
        (copy / part.name).write_bytes(part.read_bytes())
    dump = bytearray((copy / "database.dump").read_bytes())
    dump[len(dump) // 2] ^= 0xFF
    (copy / "database.dump").write_bytes(bytes(dump))
    with pytest.raises(CommandError, match="database.dump：SHA-256 与清单不符"):
        run("restore_check", str(copy))
    assert databases() == before
    assert AuditEvent.objects.filter(action="restore_check", result=AuditResult.FAILURE).count() == 1

    # Kept, then changed behind the books' back: a fee entry's amount and a fund statement's stored fingerprint.
    printed = run("restore_check", str(folder), keep=True)
    (scratch,) = databases() - before
    assert f"临时数据库已保留：{scratch}" in printed and backup.is_scratch(scratch)
    try:
        fee = Statement.objects.get(subject="fees")
        fund = Statement.objects.get(subject="fund")
        scratch_sql(
            scratch,
            "UPDATE fees_ledgerentry SET amount = amount + 1 "
            f"WHERE estate_id = {fee.estate_id} AND entry_date BETWEEN '{fee.starts_on}' AND '{fee.ends_on}'",
            f"UPDATE fees_statement SET fingerprint = '{'0' * 64}' WHERE id = {fund.pk}",
        )
        out = io.StringIO()
        with pytest.raises(CommandError, match="不一致"):
            call_command("restore_check", str(folder), restored=scratch, quiet_progress=True, stdout=out)
        printed = out.getvalue()
        assert "已发布物业费收支公示 0/1 不一致" in printed
        assert f"{fee.estate.name} {fee.label}：按恢复的数据重算的数字指纹与备份时不同" in printed
        assert "已公布维修资金年度报表 0/1 不一致" in printed
        assert "记录保存的数字指纹与按数据重算的不同" in printed
        assert "考试合格证书 1/1 一致" in printed and "调解协议 1/1 一致" in printed
        assert scratch in databases()  # a database given with --restored is never dropped by the drill
    finally:
        drop(scratch)
    # The live books were never touched.
    assert all(item.live == item.stored for item in fee_selectors.statement_fingerprints())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_folder_that_is_not_a_backup_or_a_live_database_name_is_refused(world, tmp_path):
    with pytest.raises(CommandError, match="找不到备份清单"):
        run("restore_check", str(tmp_path))
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="备份清单无法读取"):
        run("restore_check", str(tmp_path))
    run("backup", output=str(tmp_path / "out"))
    (folder,) = (tmp_path / "out").iterdir()
    with pytest.raises(CommandError, match="不是恢复演练保留的临时数据库"):
        run("restore_check", str(folder), restored=connection.settings_dict["NAME"])
