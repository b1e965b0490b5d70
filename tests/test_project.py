"""Promises of the project as a whole: migrations committed, deploy settings clean."""

import os
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


def test_every_interface_string_has_an_english_translation():
    import re

    po = (ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    untranslated = [e for e in entries if re.search(r'^msgstr(\[\d\])? ""$', e, re.M) and "#~" not in e]
    assert untranslated == []
    # The compiled catalogue says what the source catalogue says.
    import gettext

    with open(ROOT / "locale" / "en" / "LC_MESSAGES" / "django.mo", "rb") as mo:
        catalog = gettext.GNUTranslations(mo)

    def field(entry, keyword):
        # A field is its keyword's quoted string plus any quoted continuation lines.
        match = re.search(rf'^{keyword} ((?:".*"\n?)+)', entry, re.M)
        return "".join(re.findall(r'"(.*)"', match.group(1))).replace('\\"', '"') if match else None

    pairs = [(field(e, "msgid"), field(e, "msgstr")) for e in entries if "msgid_plural" not in e]
    pairs = [(msgid, english) for msgid, english in pairs if msgid]
    assert len(pairs) > 100
    stale = [(msgid, english) for msgid, english in pairs if catalog.gettext(msgid) != english]
    assert stale == []
