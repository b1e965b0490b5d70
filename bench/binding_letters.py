"""Benchmark: binding letters for 300 units and for a whole estate, against the plain way.

One estate of 3,000 units in ten buildings of 300, every unit with an owner, in a throwaway
SQLite database, and a community staff account that holds the right to change it. The project
side is what the page and the command do: ``residents.letters.issue_letters`` through the real
actor (access check, lock, voiding the units' open letters, fresh codes checked against every
stored digest, bulk inserts, the audit line) and ``residents.pdf.letters_pdf`` (two letters an
A4 page, QR codes drawn from their module matrix). The baseline does the same work the plain
way, through the driver itself (sqlite3 on the same file or psycopg on the same database:
``bench.harness.raw_connection``): one SELECT of the units with an owner in force, one UPDATE
voiding their open letters and ``executemany`` of the new rows (codes from ``codes.new_code``,
their digests), one commit; then a reportlab page per letter with the same text and a QR code
from the ``qrcode`` package (error correction M, the best of the eight masks, as any encoder does
by default) drawn as one ``canvas.rect`` per dark module. The sides alternate
(``bench.harness.alternate``); medians of --repeat rounds.

Ours draws its QR codes with a fixed mask (``residents.pdf.MASK``); choosing the best mask costs
about 8 ms a letter, so the script also times ours with ``MASK = None`` to show that price. (The
plainest QR of all, reportlab's widget in ``community.pdf.qr``, costs about 90 ms a letter: too
slow to be anyone's baseline for thousands of letters.)

Prints the seconds of each side for the database work, the PDF and both, and the ratios.
Target (issue 21: "a letter set for 300 units renders in a few seconds"): 300 letters, database
and PDF, in at most 5 s; the ratios to the plain way and the whole estate's figures are in the note.

Run: .venv/bin/python bench/binding_letters.py [--units N] [--repeat N]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench import harness  # noqa: E402

TMP = tempfile.mkdtemp()
os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{TMP}/letters.sqlite3", DJANGO_SETTINGS_MODULE="config.settings")

import django  # noqa: E402

django.setup()

from datetime import date, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from io import BytesIO  # noqa: E402

import qrcode  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from community import services as registry  # noqa: E402
from community.models import (  # noqa: E402
    Building,
    Community,
    District,
    Estate,
    Grid,
    Owner,
    Ownership,
    Role,
    Street,
    Unit,
)
from community.pdf import cjk_font  # noqa: E402
from residents import codes, letters, pdf  # noqa: E402
from residents.models import BindingLetter  # noqa: E402

PER_BUILDING = 300
BASE = "https://wy.example.gov.cn/"
RAW = None  # (connection, placeholder) of the driver itself: bench.harness.raw_connection
DAY = connection.ops.adapt_datefield_value  # ISO text for sqlite3, the date itself for psycopg
MOMENT = connection.ops.adapt_datetimefield_value  # UTC text for sqlite3, the datetime for psycopg


def setup(count: int):
    call_command("migrate", "--noinput", verbosity=0)
    district = District.objects.create(name="基准区", code="B")
    community = Community.objects.create(
        street=Street.objects.create(district=district, name="基准街道", code="S"), name="基准社区", code="C"
    )
    estate = Estate.objects.create(
        grid=Grid.objects.create(community=community, name="网格", code="G"),
        name="大型小区",
        code="E",
        delivered_on=date(2010, 1, 1),
    )
    buildings = Building.objects.bulk_create(
        [Building(estate=estate, name=f"{i}号楼") for i in range(1, count // PER_BUILDING + 1)]
    )
    units = Unit.objects.bulk_create(
        [
            Unit(
                building=buildings[i // PER_BUILDING],
                room=f"{(i % PER_BUILDING) // 4 + 1}{i % 4 + 1:02d}",
                registered_area=Decimal("89.50"),
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    owners = Owner.objects.bulk_create([Owner(name=f"业主{i}") for i in range(count)], batch_size=2000)
    Ownership.objects.bulk_create(
        [Ownership(unit=u, owner=o, started_on=date(2015, 1, 1)) for u, o in zip(units, owners, strict=True)],
        batch_size=2000,
    )
    staff = get_user_model().objects.create_user("bench-community", password="x")
    registry.assign_role(actor=None, user=staff, role=Role.COMMUNITY_STAFF, scope=community)
    return estate, buildings[0], staff


def ours(staff, estate, building) -> tuple[float, float, int]:
    started = time.perf_counter()
    issued = letters.issue_letters(actor=staff, estate=estate, building=building)
    middle = time.perf_counter()
    body = pdf.letters_pdf(issued, base_url=BASE)
    return middle - started, time.perf_counter() - middle, len(body)


def raw(staff, estate, building) -> tuple[float, float, int]:
    conn, mark = RAW
    started = time.perf_counter()
    day = timezone.localdate()
    scope = "b.estate_id = {m}".format(m=mark) + (f" AND b.id = {mark}" if building is not None else "")
    params = [estate.pk] + ([building.pk] if building is not None else [])
    # the units with an owner in force today, sorted by building and room: the ones that get a letter
    units = conn.execute(
        f"SELECT u.id, b.name, u.room FROM community_unit u JOIN community_building b ON b.id = u.building_id "
        f"WHERE {scope} AND EXISTS (SELECT 1 FROM community_ownership o WHERE o.unit_id = u.id "
        f"AND o.started_on <= {mark} AND (o.ended_on IS NULL OR o.ended_on >= {mark})) ORDER BY u.building_id, u.room",
        [*params, DAY(day), DAY(day)],
    ).fetchall()
    now = timezone.now()
    expires_on = day + timedelta(days=60)
    plain = [codes.new_code() for _ in units]
    rows = [(u[0], codes.digest(c), staff.pk, MOMENT(now), DAY(expires_on)) for u, c in zip(units, plain, strict=True)]
    conn.execute(
        f"UPDATE residents_bindingletter SET voided_at = {mark} WHERE voided_at IS NULL AND unit_id IN "
        f"(SELECT u.id FROM community_unit u JOIN community_building b ON u.building_id = b.id WHERE {scope})",
        [MOMENT(now), *params],
    )
    conn.cursor().executemany(
        "INSERT INTO residents_bindingletter (unit_id, code_hash, printed_by_id, printed_at, expires_on) "
        f"VALUES ({', '.join([mark] * 5)})",
        rows,
    )
    conn.commit()
    middle = time.perf_counter()
    font = cjk_font()
    community = estate.grid.community
    place = f"{community.street.district.name} {community.name} · {estate.name}"
    steps = pdf.instructions(BASE)
    buffer = BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    for unit, code in zip(units, plain, strict=True):
        url = letters.bind_url(BASE, code)
        page.setFont(font, 18)
        page.drawCentredString(width / 2, height - 30 * mm, pdf.TITLE)
        page.setFont(font, 10)
        page.drawCentredString(width / 2, height - 38 * mm, place)
        page.setFont(font, 14)
        page.drawString(20 * mm, height - 55 * mm, f"房屋：{unit[1]} {unit[2]}")
        page.setFont("Courier-Bold", 24)
        page.drawString(20 * mm, height - 70 * mm, codes.printed(code))
        page.setFont(font, 9)
        page.drawString(20 * mm, height - 80 * mm, f"绑定网址：{url}")
        page.drawString(20 * mm, height - 88 * mm, f"有效期至：{expires_on:%Y年%m月%d日}（含当日）")
        y = height - 100 * mm
        for n, step in enumerate(steps, 1):
            page.drawString(20 * mm, y, f"{n}. {step}")
            y -= 14
        matrix = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        matrix.add_data(url)
        matrix.make(fit=True)
        box = 36 * mm / (matrix.modules_count + 4)
        left, top = width - 56 * mm + 2 * box, height - 44 * mm - 2 * box
        for r, row in enumerate(matrix.modules):
            for c, dark in enumerate(row):
                if dark:
                    page.rect(left + c * box, top - (r + 1) * box, box, box, stroke=0, fill=1)
        page.showPage()
    page.save()
    return middle - started, time.perf_counter() - middle, len(buffer.getvalue())


def best_mask(staff, estate, building) -> tuple[float, float, int]:
    fixed = pdf.MASK
    pdf.MASK = None
    try:
        return ours(staff, estate, building)
    finally:
        pdf.MASK = fixed


def measure(label, staff, estate, building, repeat, *, with_best_mask=True) -> dict:
    """Both sides alternately (bench.harness.alternate); each round of ours is followed, untimed
    by the harness, by one with the best QR mask. Medians of each side's database and PDF parts."""
    sides = {"ours": [], "raw": [], "best": []}

    def side(name, fn):
        def run():
            parts = fn(staff, estate, building)
            sides[name].append(parts)
            if name == "ours" and with_best_mask:
                sides["best"].append(best_mask(staff, estate, building))
            return parts[0] + parts[1]

        return run

    harness.alternate(side("ours", ours), side("raw", raw), rounds=repeat)
    med = {k: tuple(statistics.median(run[i] for run in v) for i in range(3)) for k, v in sides.items() if v}
    (o_db, o_pdf, o_size), (r_db, r_pdf, r_size) = med["ours"], med["raw"]
    count = letters.letter_units(estate, building).count()
    print(f"{label}: {count} letters")
    print(
        f"  issue_letters + letters_pdf: {o_db + o_pdf:.2f} s (database {o_db:.2f} s, PDF {o_pdf:.2f} s, "
        f"{o_size / 1e6:.1f} MB, {(count + 1) // 2} pages)"
    )
    if "best" in med:
        b_db, b_pdf, _ = med["best"]
        print(f"  the same with the best QR mask: {b_db + b_pdf:.2f} s (PDF {b_pdf:.2f} s)")
    print(
        f"  raw SQL + a plain page per letter: {r_db + r_pdf:.2f} s (database {r_db:.2f} s, PDF {r_pdf:.2f} s, "
        f"{r_size / 1e6:.1f} MB, {count} pages)"
    )
    print(
        f"  ratio: {(o_db + o_pdf) / (r_db + r_pdf):.2f}x overall, database {o_db / r_db:.2f}x, "
        f"PDF {o_pdf / r_pdf:.2f}x"
    )
    return dict(count=count, ours=o_db + o_pdf, raw=r_db + r_pdf, db=o_db / r_db, pdf=o_pdf / r_pdf)


def main():
    global RAW
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the one-building set (median)")
    parser.add_argument("--estate-repeat", type=int, default=3, help="rounds of the whole-estate set")
    args = parser.parse_args()
    estate, building, staff = setup(args.units)
    estate = Estate.objects.select_related("grid__community__street__district").get(pk=estate.pk)
    RAW = harness.raw_connection()
    cjk_font()
    one = measure("one building", staff, estate, building, args.repeat)
    whole = measure("whole estate", staff, estate, None, args.estate_repeat, with_best_mask=False)
    RAW[0].close()
    open_letters = BindingLetter.objects.filter(voided_at__isnull=True).count()
    assert open_letters == args.units, f"every unit keeps exactly one open letter ({open_letters})"
    harness.report(
        work=f"binding letters, {one['count']} units",
        target="<= 5",
        unit="s",
        value=one["ours"],
        note=f"{one['ours']:.2f} s = {one['ours'] / one['raw']:.2f}x raw SQL + plain pages {one['raw']:.2f} s "
        f"(database {one['db']:.2f}x, PDF {one['pdf']:.2f}x); whole estate of {whole['count']:,}: "
        f"{whole['ours']:.1f} s = {whole['ours'] / whole['raw']:.2f}x raw",
    )


if __name__ == "__main__":
    main()
