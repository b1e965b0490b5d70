"""Pages: a Content-Security-Policy with no inline script on every page, none in any template,
and the editor's own relaxed policy only under /cms/."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from community.models import Role
from tests.factories import login

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
SCRIPT_WITHOUT_SRC = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def test_no_template_has_an_inline_script_or_handler():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (SCRIPT_WITHOUT_SRC, HANDLER, JS_URL):
            found += [f"{path.relative_to(TEMPLATES)}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert found == []


def test_the_scan_would_see_one():
    assert SCRIPT_WITHOUT_SRC.search("<script>alert(1)</script>")
    assert SCRIPT_WITHOUT_SRC.search('<script type="module">x</script>')
    assert not SCRIPT_WITHOUT_SRC.search('<script src="/static/js/busy.js" defer></script>')
    assert HANDLER.search('<img src="x" onerror="alert(1)">') and HANDLER.search("<body\nonload=go()>")
    assert not HANDLER.search('<p class="one">online=ok</p>')


def _policy(response) -> dict[str, list[str]]:
    return _directives(response["Content-Security-Policy"])


def _strict(policy):
    assert policy["script-src"] == ["'self'"], policy
    assert policy["style-src"] == ["'self'"], policy
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_public_pages_carry_the_strict_policy(client):
    for url in (reverse("login"), "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 200, url
        _strict(_policy(response))


@pytest.mark.django_db
def test_staff_and_owner_pages_carry_the_strict_policy(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    for url in (reverse("community:directory"), reverse("community:import"), reverse("community:search")):
        response = client.get(url)
        assert response.status_code == 200, url
        _strict(_policy(response))
    login(client, world.owner_user)
    response = client.get(reverse("community:my_units"))
    assert response.status_code == 200
    _strict(_policy(response))


@pytest.mark.django_db
def test_the_editor_alone_may_run_its_own_inline_scripts(client, world):
    response = client.get("/cms/login/")
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" in policy["script-src"] and policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.django_db
def test_the_import_page_loads_its_script_from_a_file(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.get(reverse("community:import")).content.decode()
    assert re.search(r'<script src="[^"]*js/busy\.js" defer></script>', page)
