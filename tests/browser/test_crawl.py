"""Every page every demo role reaches, opened on a phone-sized browser and checked.

One test seeds the real demo (``seed_demo``, 2–3 minutes on SQLite), serves it on the live
server and, in Debian's headless Chromium at 360×740 px, walks breadth-first from the public
home page (no login) and from each demo login's landing page (README, "Demo logins"): the
office roles, the committees, the company, the mediator, the owner, the account that is not
an owner yet and the exam candidate. Staff sign in through the real password and second-factor
pages with the Django test client; the browser is handed the session cookie.

The walk is bounded and reads only: GET, same origin, ``<a href>`` links only (forms are not
submitted), never Django's or Wagtail's admin (``/admin/``, ``/cms/``), at most ``PAGES``
distinct pages per role and ``PER_NAME`` per URL name (a page is keyed on the name it
resolves to, a public page on its depth in the site tree), so three hundred notices do not
eat the budget. Downloads (PDF, Excel, CSV, documents) are fetched for their status only.

Each visited page must answer 200 and, at 360 px, not scroll sideways; every ``img`` has
alt text; every visible field has a label (``label[for]``, a wrapping label, ``aria-label`` or
``aria-labelledby``); axe-core (npm, pinned in package-lock.json, loaded into the page) finds
no serious or critical violation. The links on every visited page, visited or not, are
fetched with the same login (up to ``LINKS_PER_NAME`` per URL name and role: a list of 150
estates links one view 150 times): a 404 or a 500 is a failure that names the page it is on.
A full-page screenshot of each page is kept in ``test-artifacts/crawl/<role>/``.

English mode: the first ``ENGLISH_PAGES`` pages of each role are opened again with the
language cookie set to ``en``. A text (or a label-like attribute) that is one of the UI's own
Chinese msgids (``locale/en/LC_MESSAGES/django.po``, at least two Han characters), a mixed
English text whose Chinese run is a msgid, or full-width punctuation next to a Latin letter
is an untranslated string. Data written in Chinese (names, addresses, notices) is not a msgid
and does not count; text inside ``code``, an element marked ``lang="zh-…"`` (a spreadsheet's
column names) or ``translate="no"`` (a person's name) is Chinese on purpose.

Every failure of every role is collected and the test fails once, at the end, with the list
grouped by kind; the list and the figures (pages per role, links fetched, axe violations by
rule and impact, the time taken) are written to ``test-artifacts/crawl/report.txt``.

It runs on SQLite only (the pages do not depend on the database; the PostgreSQL pass is long
already) and in its own xdist group, so it starts early beside the rest of the suite. Without
Chromium or axe-core (``make browser`` installs both) it skips, and under ``CI=true`` fails.
"""

import os
import re
import time
from collections import Counter, defaultdict, deque
from io import StringIO
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve

from tests.browser import ARGS, CHROMIUM, PHONE

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CATALOGUE = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
ARTIFACTS = ROOT / "test-artifacts" / "crawl"
PAGES = 60  # distinct pages per role
PER_NAME = 3  # pages per URL name (or per depth of the public site tree)
LINKS_PER_NAME = 8  # links fetched per URL name and role (an estate list links 150 estates alike)
ENGLISH_PAGES = 15
# The demo logins (README, "Demo logins"); admin's landing page only: the rest of its reach is
# Django's admin and what district sees.
LOGINS = [
    "district",
    "street",
    "community",
    "grid",
    "committee",
    "committee2",
    "company",
    "mediator",
    "owner",
    "13800138000",
    "candidate",
]
LANDING_ONLY = ["admin"]
SKIPPED_PREFIXES = ("/admin/", "/cms/", "/logout/", "/i18n/", "/static/")
DOWNLOAD = re.compile(r"(\.(pdf|xlsx|xls|csv|zip|docx?|png|jpe?g)$)|^/documents/|^/media/|/(export|download)s?(/|$)")
SERIOUS = {"serious", "critical"}
FULL_WIDTH = "，。：；（）、！？"
LATIN_NEXT_TO_FULL_WIDTH = re.compile(rf"[A-Za-z][{FULL_WIDTH}]|[{FULL_WIDTH}][A-Za-z]")
HAN = re.compile(r"[\u4e00-\u9fff]")
_APART = r"\s!-/:-@\[-`{-~"  # whitespace and ASCII punctuation
SEPARATE_HAN_RUN = re.compile(rf"(?:^|(?<=[{_APART}]))([\u4e00-\u9fff]{{3,}})(?=$|[{_APART}])")
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdif]|%[sdif]|\{[^}]*\}")

pytestmark = [
    pytest.mark.skipif(
        (not CHROMIUM.exists() or not AXE.exists()) and os.environ.get("CI") != "true",
        reason="needs Debian's chromium and axe-core from npm (make browser installs them)",
    ),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="runs in the SQLite pass only"),
    pytest.mark.xdist_group("crawl"),
]

# One script per page: the layout, images, fields and (in English mode) texts to judge.
PAGE_FACTS = """() => {
  const visible = e => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
  const skipTypes = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.name ? '[name=' + e.name + ']' : '');
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter(e => !(e.tagName === 'INPUT' && skipTypes.has((e.type || '').toLowerCase())) && visible(e))
    .filter(e => !(e.labels && e.labels.length) && !(e.getAttribute('aria-label') || '').trim()
                 && !(e.getAttribute('aria-labelledby') || '').trim())
    .map(describe);
  const noAlt = [...document.images].filter(i => !i.hasAttribute('alt')).map(i => i.getAttribute('src'));
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || ['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE'].includes(p.tagName)) continue;
    // Chinese on purpose: a literal value, a part marked Chinese, or data marked not to translate (a name).
    if (p.closest('code, kbd, samp, [translate=no]') || p.closest('[lang]').lang.startsWith('zh')) continue;
    const t = n.textContent.replace(/\\s+/g, ' ').trim();
    if (t) texts.push(t);
  }
  const labelled = '[placeholder], [aria-label], [title], img[alt], input[type=submit], input[type=button]';
  for (const e of document.querySelectorAll(labelled)) {
    if (e.closest('[translate=no]') || e.closest('[lang]').lang.startsWith('zh')) continue;
    for (const a of ['placeholder', 'aria-label', 'title', 'alt', 'value']) {
      if (a === 'value' && e.tagName !== 'INPUT') continue;
      const v = (e.getAttribute(a) || '').replace(/\\s+/g, ' ').trim();
      if (v) texts.push(v);
    }
  }
  const links = [...document.querySelectorAll('a[href]')].map(a => {
    try { return new URL(a.getAttribute('href'), document.baseURI).href; } catch (e) { return ''; }
  });
  return {scrollWidth: document.documentElement.scrollWidth, unlabelled, noAlt, texts, links};
}"""

AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')), count: v.nodes.length}));
}"""


def read_msgids(path: Path) -> list[str]:
    """The catalogue's msgids (and plural msgids), obsolete entries left out."""
    found, current, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(("msgid ", "msgid_plural ")):
            if current is not None and key != "msgstr":
                found.append(current)
            key, _, rest = line.partition(" ")
            current = _unquote(rest)
        elif line.startswith('"') and key in ("msgid", "msgid_plural"):
            current += _unquote(line)
        else:
            if current is not None and key in ("msgid", "msgid_plural"):
                found.append(current)
                current = None
            key = "msgstr" if line.startswith("msgstr") else key
    return [m for m in found if m]


def _unquote(text: str) -> str:
    return text.strip()[1:-1].replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


class Catalogue:
    """Judges a text shown in English mode against the UI's own Chinese strings."""

    def __init__(self, msgids):
        ui = [" ".join(m.split()) for m in msgids if len(HAN.findall(m)) >= 2]
        self.exact = {m for m in ui if not PLACEHOLDER.search(m)}
        # A placeholder stands for anything; the fixed Chinese around it must be there.
        self.shaped = [
            re.compile(".*?".join(re.escape(p.strip()) for p in PLACEHOLDER.split(m) if p.strip()))
            for m in ui
            if PLACEHOLDER.search(m) and sum(len(HAN.findall(p)) for p in PLACEHOLDER.split(m)) >= 2
        ]

    def untranslated(self, text: str) -> str | None:
        # A value quoted in an English sentence (“自然人”) is shown as the file or form spells it.
        text = " ".join(re.sub(r"“[^”]*”", "“”", text).split())
        bare = text.strip(" :：·•|()（）")
        if bare in self.exact:
            return bare
        if HAN.search(text):
            for pattern in self.shaped:
                if pattern.fullmatch(bare):
                    return pattern.pattern
            # A whole Chinese run of an English text that is a msgid of its own and stands apart
            # ("任期届满 … days left"); a run inside Chinese (a company's name, a vote's title) is data.
            if re.search(r"[A-Za-z]{3,}", text):
                for run in SEPARATE_HAN_RUN.findall(text):
                    if run in self.exact:
                        return run
        if LATIN_NEXT_TO_FULL_WIDTH.search(text):
            return "full-width punctuation beside Latin letters"
        return None


def url_key(path: str) -> str:
    """What counts as 'the same page' for the bound: the URL's name, or a public page's depth."""
    try:
        match = resolve(path)
    except Resolver404:
        return path
    if match.url_name == "wagtail_serve" or match.view_name.endswith("serve"):
        return f"public page, depth {path.strip('/').count('/') + 1}"
    return match.view_name


def slug(url: str) -> str:
    parts = urlsplit(url)
    text = (parts.path.strip("/") or "home") + (("_" + parts.query) if parts.query else "")
    return re.sub(r"[^\w.-]+", "_", text)[:120]


def sign_in(username: str, password: str) -> str:
    """The session id of a real sign-in (password, then a second factor where one is due)."""
    from django.contrib.auth import get_user_model

    from community import identity
    from tests.factories import second_factor_code

    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, f"{username}: sign-in refused"
    user = get_user_model().objects.get(username=username)
    if identity.second_factor_required(user):
        response = client.post("/login/otp/", {"token": second_factor_code(user)})
        assert response.status_code == 302 and "/login/" not in response["Location"], f"{username}: second factor"
    return client.cookies[settings.SESSION_COOKIE_NAME].value


class Crawl:
    def __init__(self, base: str, browser, axe_source: str, catalogue: Catalogue):
        self.base, self.browser, self.axe, self.catalogue = base, browser, axe_source, catalogue
        self.failures = defaultdict(list)  # kind -> lines
        self.figures = {}  # role -> dict
        self.axe_rules = Counter()  # (rule, impact) -> pages

    def fail(self, kind: str, line: str):
        if line not in self.failures[kind]:
            self.failures[kind].append(line)

    def role(self, role: str, session: str | None, *, pages: int = PAGES):
        started = time.monotonic()
        context = self.browser.new_context(viewport=PHONE, is_mobile=True, bypass_csp=True)
        if session:
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base}])
        page = context.new_page()
        landing = self.base + ("/workspace/" if session else "/")
        queue, known, visited = deque([landing]), {landing: "(landing page)"}, []
        per_key, statuses = Counter(), {}
        (ARTIFACTS / role).mkdir(parents=True, exist_ok=True)
        while queue and len(visited) < pages:
            url = queue.popleft()
            path = urlsplit(url).path
            if DOWNLOAD.search(path) or per_key[url_key(path)] >= PER_NAME:
                continue
            facts = self.visit(role, page, url, known[url], statuses)
            if facts is None:
                continue
            per_key[url_key(path)] += 1
            visited.append(url)
            page.screenshot(path=str(ARTIFACTS / role / f"{len(visited):02d}-{slug(url)}.png"), full_page=True)
            for link in facts["links"]:
                link = urldefrag(link).url
                if not link.startswith(self.base + "/"):
                    continue
                if urlsplit(link).path.startswith(SKIPPED_PREFIXES):
                    continue
                if link not in known:
                    known[link] = url
                    queue.append(link)
        # The links found, visited or not, answer: 404 and 500 are failures. Past LINKS_PER_NAME
        # links of one URL name (the same view on other rows) the rest are counted, not fetched.
        fetched = Counter(url_key(urlsplit(link).path) for link in statuses)
        for link, found_on in known.items():
            if link not in statuses:
                key = url_key(urlsplit(link).path)
                if fetched[key] >= LINKS_PER_NAME:
                    continue
                fetched[key] += 1
                statuses[link] = context.request.get(link, max_redirects=5).status
            if statuses[link] in (404, 500):
                self.fail(
                    "broken link",
                    f"[{role}] {statuses[link]} {link[len(self.base) :]} (linked from {found_on[len(self.base) :]})",
                )
        english = 0
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": self.base}])
        for url in visited[:ENGLISH_PAGES]:
            if self.visit(role, page, url, known[url], {}, english=True) is not None:
                english += 1
        context.close()
        self.figures[role] = {
            "pages": len(visited),
            "links": len(known),
            "fetched": len(statuses),
            "english": english,
            "seconds": round(time.monotonic() - started),
        }

    def visit(self, role, page, url, found_on, statuses, *, english=False):
        where = f"[{role}{' en' if english else ''}] {url[len(self.base) :]}"
        try:
            response = page.goto(url, wait_until="load")
        except Exception as error:  # a download starts instead of a page
            if "Download is starting" not in str(error):
                raise
            return None
        statuses[url] = response.status if response else 0
        if response is None or response.status != 200:
            if statuses[url] not in (404, 500):  # those two are told as broken links
                self.fail(
                    "page not 200", f"{where} answered {statuses[url]} (linked from {found_on[len(self.base) :]})"
                )
            return None
        if "text/html" not in (response.headers.get("content-type") or ""):
            return None
        facts = page.evaluate(PAGE_FACTS)
        if facts["scrollWidth"] > PHONE["width"]:
            self.fail("horizontal scroll", f"{where} is {facts['scrollWidth']} px wide")
        if english:
            for text in facts["texts"]:
                found = self.catalogue.untranslated(text)
                if found:
                    self.fail("untranslated (English mode)", f"{where}: {text[:80]!r} ({found[:40]})")
            return facts
        for src in facts["noAlt"]:
            self.fail("image without alt", f"{where}: {src}")
        for field in facts["unlabelled"]:
            self.fail("field without label", f"{where}: {field}")
        page.add_script_tag(content=self.axe)
        for violation in page.evaluate(AXE_RUN):
            if violation["impact"] in SERIOUS:
                self.axe_rules[(violation["id"], violation["impact"])] += 1
                self.fail(
                    f"axe {violation['impact']}",
                    f"{where}: {violation['id']} ×{violation['count']} ({violation['help']})"
                    f" at {'; '.join(violation['targets'])}",
                )
        return facts

    def report(self, seconds: float) -> str:
        lines = ["Browser crawl at 360 px (tests/browser/test_crawl.py)", ""]
        lines.append(f"{'role':<14}{'pages':>6}{'links':>7}{'fetched':>8}{'en':>4}{'s':>6}")
        for role, f in self.figures.items():
            lines.append(f"{role:<14}{f['pages']:>6}{f['links']:>7}{f['fetched']:>8}{f['english']:>4}{f['seconds']:>6}")
        total = {k: sum(f[k] for f in self.figures.values()) for k in ("pages", "links", "fetched", "english")}
        lines.append(
            f"{'all':<14}{total['pages']:>6}{total['links']:>7}{total['fetched']:>8}{total['english']:>4}"
            f"{round(seconds):>6}"
        )
        lines.append("(links: distinct links found; fetched: their status read, visited pages included)")
        lines += ["", "axe serious/critical violations (rule, impact: pages):"]
        lines += [f"  {rule} ({impact}): {n}" for (rule, impact), n in self.axe_rules.most_common()] or ["  none"]
        lines += ["", "failures by kind:"]
        lines += [f"  {kind}: {len(items)}" for kind, items in sorted(self.failures.items())] or ["  none"]
        for kind, items in sorted(self.failures.items()):
            lines += ["", f"== {kind} ({len(items)}) =="] + items
        return "\n".join(lines) + "\n"


# serialized_rollback as every browser test here: its flush then leaves the content types to be
# restored, and a serialized test after it on the same worker does not find them twice.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_page_of_every_demo_role_passes_on_a_phone(live_server, monkeypatch):
    assert CHROMIUM.exists(), "Debian's chromium is missing (make browser)"
    assert AXE.exists(), "axe-core is missing (make browser runs npm ci)"
    from playwright.sync_api import sync_playwright

    from community.demo import DEMO_PASSWORD

    started = time.monotonic()
    call_command("seed_demo", "--quiet-progress", stdout=StringIO())
    seeded = time.monotonic() - started
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    catalogue = Catalogue(read_msgids(CATALOGUE))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        crawl = Crawl(live_server.url, browser, AXE.read_text(encoding="utf-8"), catalogue)
        crawl.role("anonymous", None)
        for username in LANDING_ONLY:
            crawl.role(username, sign_in(username, DEMO_PASSWORD), pages=1)
        for username in LOGINS:
            crawl.role(username, sign_in(username, DEMO_PASSWORD))
        browser.close()
    report = crawl.report(time.monotonic() - started)
    report += f"\n(seed_demo took {round(seeded)} s of it)\n"
    (ARTIFACTS / "report.txt").write_text(report, encoding="utf-8")
    assert not crawl.failures, report
