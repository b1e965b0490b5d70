"""Promises of the project as a whole: migrations committed, deploy settings clean, every string in English."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_migrations_are_committed():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}}
    clean.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_settings_pass_the_deploy_check():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="wuye.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/estate",
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DATABASE_URL="sqlite:///unused.sqlite3")
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def _po_entries(path: Path) -> list[dict]:
    """The catalogue's entries: msgid, msgstr, whether fuzzy or obsolete (the header is left out)."""

    def field(entry, keyword):
        # A field is its keyword's quoted string plus any quoted continuation lines.
        match = re.search(rf'^{keyword} ((?:".*"\n?)+)', entry, re.M)
        return "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"') if match else None

    rows = []
    for entry in path.read_text(encoding="utf-8").split("\n\n")[1:]:
        rows.append(
            {
                "msgid": field(entry, "msgid"),
                "msgstr": field(entry, r"msgstr(?:\[0\])?"),
                "plural": "msgid_plural" in entry,
                "fuzzy": bool(re.search(r"^#,.*\bfuzzy\b", entry, re.M)),
                "obsolete": entry.lstrip().startswith("#~"),
            }
        )
    return rows


PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_every_interface_string_has_an_english_translation():
    """The .po file is the one source of the English: every entry translated, none fuzzy, and
    the compiled catalogue says what it says."""
    rows = [r for r in _po_entries(PO) if r["msgid"] and not r["obsolete"]]
    assert len(rows) > 100
    assert [r["msgid"] for r in rows if not r["msgstr"]] == [], "untranslated"
    assert [r["msgid"] for r in rows if r["fuzzy"]] == [], "fuzzy: check the English and remove the flag"
    import gettext

    with open(PO.with_suffix(".mo"), "rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    stale = [(r["msgid"], r["msgstr"]) for r in rows if not r["plural"] and catalog.gettext(r["msgid"]) != r["msgstr"]]
    assert stale == [], "django.mo is older than django.po: run msgfmt (see README)"


XGETTEXT = shutil.which("xgettext")


@pytest.mark.skipif(
    XGETTEXT is None and os.environ.get("CI") != "true",
    reason="GNU gettext (xgettext) is not installed; make test installs it on Debian",
)
def test_the_catalogue_holds_every_string_the_code_marks(tmp_path):
    """Extract the strings afresh from a copy of the code: a string marked for translation that
    the committed .po lacks (someone forgot makemessages) fails here."""
    ignore = shutil.ignore_patterns(".venv", ".git", "media", "test-artifacts", "__pycache__", "*.sqlite3", "*.whl")
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=ignore)
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--ignore=tests", "--ignore=bench", "-v", "0"],
        cwd=copy,
        env={**os.environ, "DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    committed = {r["msgid"] for r in _po_entries(PO) if r["msgstr"] and not r["fuzzy"] and not r["obsolete"]}
    fresh = [r["msgid"] for r in _po_entries(copy / "locale" / "en" / "LC_MESSAGES" / "django.po") if r["msgid"]]
    assert [m for m in fresh if m not in committed] == [], "run makemessages and write the English in django.po"
