"""Binding letters: the codes, their expiry and voiding, the page and its role matrix, the PDF
read back as text, the job for long sets and the command."""

import subprocess
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from community import jobs
from community.models import AuditEvent, District, Job, JobStatus, Role, RuleSet
from residents import codes, letters, tasks
from residents.models import Binding, BindingLetter, BindingVia
from residents.pdf import letters_pdf
from tests.factories import (
    BuildingFactory,
    EstateFactory,
    GridFactory,
    OwnerFactory,
    OwnershipFactory,
    UnitFactory,
    login,
    valid_resident_id,
)

pytestmark = pytest.mark.django_db

BASE = "https://wy.example.gov.cn/"


def _owned(building, room, **owner):
    unit = UnitFactory(building=building, room=room)
    OwnershipFactory(unit=unit, owner=OwnerFactory(**owner))
    return unit


@pytest.fixture
def blocks(world):
    """Two buildings of 江滨豪园 with owners, and units that get no letter."""
    a = BuildingFactory(estate=world.e1, name="1号楼")
    b = BuildingFactory(estate=world.e1, name="2号楼")
    for room in ("101", "1001", "201"):
        _owned(a, room)
    for room in ("101", "102"):
        _owned(b, room)
    UnitFactory(building=a, room="301")  # nobody registered
    sold = UnitFactory(building=b, room="103")
    OwnershipFactory(unit=sold, started_on=date(2016, 1, 1), ended_on=timezone.localdate() - timedelta(days=1))
    return a, b


def _issue(world, **kwargs):
    return letters.issue_letters(actor=world.users[Role.COMMUNITY_STAFF], estate=world.e1, **kwargs)


def _open(unit):
    return BindingLetter.objects.filter(unit=unit, voided_at__isnull=True)


# --------------------------------------------------------------------------- the service


def test_codes_are_long_without_look_alikes_and_only_their_digests_are_kept(world, blocks):
    issued = _issue(world)
    assert issued.letters
    for unit, code in issued.letters:
        assert len(code) >= 10 and codes.well_formed(code)
        assert not set(code) & set("0O1IL")
        letter = _open(unit).get()
        assert letter.code_hash == codes.digest(code) and code not in letter.code_hash
        assert letter.printed_by == world.users[Role.COMMUNITY_STAFF]


def test_letters_go_to_owned_units_in_building_and_room_order(world, blocks):
    a, b = blocks
    issued = _issue(world)
    rooms = [(u.building.name, u.room) for u, _ in issued.letters]
    # 江滨豪园's own 101 (world) is in the first building; "201" before "1001" as people count.
    assert rooms[-5:] == [("1号楼", "101"), ("1号楼", "201"), ("1号楼", "1001"), ("2号楼", "101"), ("2号楼", "102")]
    assert ("1号楼", "301") not in rooms and ("2号楼", "103") not in rooms  # no owner / holding ended
    assert BindingLetter.objects.count() == len(issued.letters) == 6


def test_codes_are_unique_across_the_district(world):
    for estate in (world.e1, world.e2, world.e3):
        building = BuildingFactory(estate=estate)
        for n in range(40):
            _owned(building, f"{n + 1:03d}")
    district_admin = world.users[Role.DISTRICT_ADMIN]
    plain = []
    for estate in (world.e1, world.e2, world.e3):
        plain += [code for _, code in letters.issue_letters(actor=district_admin, estate=estate).letters]
        plain += [code for _, code in letters.issue_letters(actor=district_admin, estate=estate).letters]
    stored = list(BindingLetter.objects.values_list("code_hash", flat=True))
    assert len(stored) == len(plain) == 2 * (41 + 41 + 40)
    assert len(set(stored)) == len(stored) and len(set(plain)) == len(plain)


def test_a_digest_already_in_use_is_drawn_again(world, blocks, monkeypatch):
    _, b = blocks
    taken, fresh, last = "ABCDEFGHJKMN", "PQRSTUVWXYZ2", "223456789ABC"
    elsewhere = _owned(BuildingFactory(estate=world.e2), "101")
    BindingLetter.objects.create(
        unit=elsewhere, code_hash=codes.digest(taken), printed_by=world.users[Role.DISTRICT_ADMIN], expires_on=date.max
    )
    # The first draw clashes with the stored letter; its redraw clashes with the other unit's code.
    drawn = iter([taken, fresh, fresh, last])
    calls = []
    monkeypatch.setattr(codes, "new_code", lambda: calls.append(1) or next(drawn))
    issued = _issue(world, building=b)
    assert [code for _, code in issued.letters] == [last, fresh] and len(calls) == 4
    assert BindingLetter.objects.filter(code_hash=codes.digest(taken)).get().unit == elsewhere
    assert set(BindingLetter.objects.filter(unit__building=b).values_list("code_hash", flat=True)) == {
        codes.digest(last),
        codes.digest(fresh),
    }


def test_expiry_follows_the_rule_set(world, blocks):
    today = timezone.localdate()
    assert _issue(world).expires_on == today + timedelta(days=60)  # the national default
    district = District.objects.get(pk=world.e1.grid.community.street.district.pk)
    district.rule_set = RuleSet.objects.create(name="三十天", binding_letter_days=30)
    district.save()
    world.e1.refresh_from_db()
    issued = letters.issue_letters(actor=world.users[Role.COMMUNITY_STAFF], estate=world.e1)
    assert issued.expires_on == today + timedelta(days=30)
    assert set(BindingLetter.objects.filter(voided_at__isnull=True).values_list("expires_on", flat=True)) == {
        today + timedelta(days=30)
    }


def test_reprinting_a_building_voids_only_that_buildings_open_letters(world, blocks):
    a, b = blocks
    _issue(world)
    before = {letter.pk: letter for letter in BindingLetter.objects.all()}
    issued = _issue(world, building=a)
    assert {u.building_id for u, _ in issued.letters} == {a.pk} and len(issued.letters) == 3
    for letter in BindingLetter.objects.filter(pk__in=before):
        assert (letter.voided_at is not None) == (letter.unit.building_id == a.pk)
    for unit, code in issued.letters:
        assert _open(unit).get().code_hash == codes.digest(code)
    assert all(_open(u).count() == 1 for u in b.units.filter(ownerships__isnull=False, room__in=["101", "102"]))


def test_voiding_leaves_earlier_voided_letters_as_they_were(world, blocks):
    a, _ = blocks
    _issue(world, building=a)
    first_void = timezone.now() - timedelta(days=3)
    BindingLetter.objects.update(voided_at=first_void)
    _issue(world, building=a)
    assert BindingLetter.objects.filter(voided_at=first_void).count() == 3
    assert BindingLetter.objects.filter(voided_at__isnull=True).count() == 3


def test_a_building_of_another_estate_is_refused_and_nothing_is_written(world, blocks):
    elsewhere = BuildingFactory(estate=world.e2)
    _owned(elsewhere, "101")
    with pytest.raises(ValidationError, match="不属于"):
        _issue(world, building=elsewhere)
    assert not BindingLetter.objects.exists()
    assert not AuditEvent.objects.filter(action="binding_letters").exists()


def test_an_estate_without_owners_is_refused(world):
    empty = EstateFactory(grid=world.e1.grid)
    UnitFactory(building__estate=empty)
    with pytest.raises(ValidationError, match="没有登记在册的业主"):
        letters.issue_letters(actor=world.users[Role.COMMUNITY_STAFF], estate=empty)
    assert not BindingLetter.objects.exists()


def test_the_service_checks_access(world, blocks):
    for role in (Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR):
        with pytest.raises(PermissionDenied):
            letters.issue_letters(actor=world.users[role], estate=world.e1)
    with pytest.raises(PermissionDenied):
        letters.issue_letters(actor=world.users[Role.COMMUNITY_STAFF], estate=world.e3)
    assert not BindingLetter.objects.exists()


def test_one_audit_line_per_printing(world, blocks):
    a, _ = blocks
    _issue(world, building=a)
    _issue(world)
    lines = list(AuditEvent.objects.filter(action="binding_letters").order_by("pk"))
    assert [line.detail for line in lines] == [{"building": "1号楼", "units": 3}, {"building": None, "units": 6}]
    assert all(line.user == world.users[Role.COMMUNITY_STAFF] for line in lines)
    assert lines[0].object_id == str(world.e1.pk)


def test_progress_is_reported_up_to_the_total(world, blocks):
    seen = []
    _issue(world, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)


def test_bind_url():
    assert letters.bind_url("https://wy.example.gov.cn/", "ABCD") == "https://wy.example.gov.cn/bind/ABCD/"
    assert letters.bind_url("http://h:8000/app/", "X") == "http://h:8000/app/bind/X/"


# --------------------------------------------------------------------------- the PDF


def _text(body: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
    ).stdout.decode()


def test_the_pdf_shows_room_code_and_expiry_but_no_owner(world, blocks):
    a, _ = blocks
    secret = OwnerFactory(name="欧阳修远", id_number=valid_resident_id(7))
    OwnershipFactory(unit=UnitFactory(building=a, room="502"), owner=secret)
    issued = _issue(world, building=a)
    text = _text(letters_pdf(issued, base_url=BASE))
    assert text.count("业主账号绑定函") == 4
    assert "江滨豪园" in text and world.e1.grid.community.name in text
    for unit, code in issued.letters:
        assert f"1号楼 {unit.room}" in text
        assert codes.printed(code) in text
        assert f"{BASE}bind/{code}/" in text
    assert f"{issued.expires_on:%Y年%m月%d日}" in text
    assert "欧阳修远" not in text and secret.id_number not in text and secret.id_number[-6:] not in text
    assert "张三丰" not in text and world.resident.mobile not in text


# --------------------------------------------------------------------------- the page


def _url(estate):
    return reverse("residents:letters", args=[estate.pk])


ALLOWED = (Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER)
DENIED = (Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR)


@pytest.mark.parametrize("role", ALLOWED)
def test_staff_in_scope_see_the_page_and_get_the_pdf(client, world, blocks, role):
    login(client, world.users[role])
    page = client.get(_url(world.e1))
    assert page.status_code == 200
    body = page.content.decode()
    assert "1号楼（3 户有业主，共 4 户）" in body and "2号楼（2 户有业主，共 3 户）" in body
    assert "60" in body
    response = client.post(_url(world.e1), {"building": blocks[0].pk})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"%PDF")
    assert BindingLetter.objects.count() == 3
    assert BindingLetter.objects.filter(printed_by=world.users[role]).count() == 3


@pytest.mark.parametrize("role", DENIED)
def test_other_roles_are_refused_on_get_and_post(client, world, blocks, role):
    login(client, world.users[role])
    assert client.get(_url(world.e1)).status_code == 404
    assert client.post(_url(world.e1), {"building": ""}).status_code == 404
    assert not BindingLetter.objects.exists()


def test_staff_of_another_community_owner_and_anonymous_are_refused(client, world, blocks):
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.get(_url(world.e3)).status_code == 404
    assert client.post(_url(world.e3), {"building": ""}).status_code == 404
    client.logout()
    login(client, world.owner_user)
    assert client.get(_url(world.e1)).status_code == 404
    assert client.post(_url(world.e1), {"building": ""}).status_code == 404
    client.logout()
    response = client.get(_url(world.e1))
    assert response.status_code == 302 and "/login/" in response.url
    assert client.post(_url(world.e1), {"building": ""}).status_code == 302
    assert not BindingLetter.objects.exists()


def test_bad_input_shows_the_page_again_with_a_chinese_error(client, world, blocks):
    login(client, world.users[Role.DISTRICT_ADMIN])
    other = BuildingFactory(estate=world.e2)
    response = client.post(_url(world.e1), {"building": other.pk})
    assert response.status_code == 400 and "请选择本小区的楼栋" in response.content.decode()
    response = client.post(_url(world.e1), {"building": "abc"})
    assert response.status_code == 400
    empty = BuildingFactory(estate=world.e1, name="空楼")
    UnitFactory(building=empty)
    response = client.post(_url(world.e1), {"building": empty.pk})
    assert response.status_code == 400 and "没有登记在册的业主" in response.content.decode()
    assert not BindingLetter.objects.exists()


def test_the_history_counts_open_used_voided_and_expired(client, world, blocks, django_assert_max_num_queries):
    a, b = blocks
    staff = world.users[Role.COMMUNITY_STAFF]
    district = District.objects.get(pk=world.e1.grid.community.street.district.pk)
    district.rule_set = RuleSet.objects.create(name="一天", binding_letter_days=1)
    district.save()
    world.e1.refresh_from_db()  # the estate reads its district's rules afresh
    first = _issue(world)  # 6 letters that expire tomorrow
    unit, _ = next((u, c) for u, c in first.letters if u.building_id == b.pk)
    letter = _open(unit).get()
    owner = unit.ownerships.get().owner
    Binding.objects.create(owner=owner, user=world.owner_user, via=BindingVia.LETTER, letter=letter)
    district.rule_set = None
    district.save()
    world.e1.refresh_from_db()
    _issue(world, building=a)  # voids a's 3; the new ones last 60 days
    history = letters.print_history(world.e1, on=timezone.localdate() + timedelta(days=2))
    assert [(p.units, p.open, p.used, p.voided, p.expired) for p in history] == [(3, 3, 0, 0, 0), (6, 0, 1, 3, 2)]
    assert history[0].printed_by == staff.username and history[1].buildings == 3
    today = letters.print_history(world.e1)
    assert [(p.units, p.open, p.used, p.voided, p.expired) for p in today] == [(3, 3, 0, 0, 0), (6, 2, 1, 3, 0)]
    login(client, staff)
    for n in range(3):
        BuildingFactory(estate=world.e1, name=f"新{n}号楼")
    with django_assert_max_num_queries(14):
        page = client.get(_url(world.e1))
    assert page.status_code == 200 and staff.username in page.content.decode()


# --------------------------------------------------------------------------- the job


def _job(response) -> Job:
    assert response.status_code == 302 and response.url.startswith("/jobs/")
    return Job.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))


def test_a_long_set_is_made_by_a_job_and_downloaded(client, world, blocks, monkeypatch):
    monkeypatch.setattr("residents.letter_views.JOB_ROWS", -1)
    staff = world.users[Role.GRID_WORKER]
    login(client, staff)
    job = _job(client.post(_url(world.e1), {"building": ""}))
    assert job.status == JobStatus.DONE, job.message
    assert job.result_name == f"binding-letters-{world.e1.code}.pdf" and "6 份" in job.message
    assert BindingLetter.objects.filter(printed_by=staff, voided_at__isnull=True).count() == 6
    download = client.get(reverse("community:job_download", args=[job.pk]))
    body = b"".join(download.streaming_content)
    assert download.status_code == 200 and body.startswith(b"%PDF")
    assert "1号楼 1001" in _text(body)


def test_the_job_checks_access_again_when_it_runs(world, blocks):
    outsider = world.users[Role.STREET_STAFF]
    job = jobs.start(
        actor=outsider,
        task=tasks.binding_letters,
        title="绑定函",
        params={"estate": world.e1.pk, "building": None, "base_url": BASE},
    )
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.result_file and not BindingLetter.objects.exists()


# --------------------------------------------------------------------------- the command


def _command(*args):
    out = StringIO()
    call_command("binding_letters", *args, "--quiet-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_writes_the_pdf(world, blocks, tmp_path):
    target = tmp_path / "letters.pdf"
    said = _command(world.e1.code, "--building", "2号楼", "--out", str(target), "--by", "community")
    assert "2 份" in said and str(target) in said
    text = _text(target.read_bytes())
    assert "2号楼 101" in text and "2号楼 102" in text and "1号楼" not in text
    assert BindingLetter.objects.filter(printed_by=world.users[Role.COMMUNITY_STAFF]).count() == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["NOPE", "--by", "community"], "没有编码为 NOPE 的小区"),
        (["{e1}", "--building", "9号楼", "--by", "community"], "没有名为 9号楼 的楼栋"),
        (["{e1}", "--by", "nobody"], "没有用户名为 nobody"),
        (["{e1}", "--by", "street"], "没有修改小区"),
        (["{e1}"], "--by"),
        (["{e3}", "--by", "community"], "没有修改小区"),
    ],
)
def test_the_command_refuses_in_chinese(world, blocks, tmp_path, args, message):
    target = tmp_path / "letters.pdf"
    args = [a.format(e1=world.e1.code, e3=world.e3.code) for a in args]
    with pytest.raises(CommandError, match=message):
        _command(*args, "--out", str(target))
    assert not target.exists() and not BindingLetter.objects.exists()


def test_the_command_writes_nothing_when_the_file_cannot_be_written(world, blocks, tmp_path):
    target = tmp_path / "letters.pdf"
    target.mkdir()  # a directory where the file should go
    with pytest.raises(CommandError, match="无法写入"):
        _command(world.e1.code, "--out", str(target), "--by", "community")
    assert not BindingLetter.objects.exists()


def test_units_of_another_grid_are_never_printed(world, blocks):
    other = EstateFactory(grid=GridFactory(community=world.e1.grid.community))
    _owned(BuildingFactory(estate=other), "101")
    issued = _issue(world)
    assert all(u.building.estate_id == world.e1.pk for u, _ in issued.letters)


def test_the_qr_code_is_drawn_module_for_module(tmp_path):
    """The drawn code, rasterised, is the encoder's matrix: not flipped, shifted or scaled wrong."""
    import io

    import qrcode
    from reportlab.pdfgen import canvas

    from residents import pdf

    url = letters.bind_url(BASE, "ABCDEFGHJKMN")
    size = 200.0
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=(size, size))
    pdf._qr(page, url, 0, 0, size)
    page.save()
    (tmp_path / "qr.pdf").write_bytes(buffer.getvalue())
    subprocess.run(["pdftoppm", "-r", "72", "-gray", "-aa", "no", str(tmp_path / "qr.pdf"), str(tmp_path / "qr")])
    image = next(tmp_path.glob("qr*.pgm")).read_bytes()
    header = image.split(b"\n", 3)  # P5, width height, maxval, pixels
    width, height = map(int, header[1].split())
    pixels = header[3]
    expected = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=pdf.MASK)
    expected.add_data(url)
    expected.make(fit=True)
    count = expected.modules_count
    box = width / (count + 2 * pdf.QR_QUIET)
    drawn = [
        [
            pixels[int((r + pdf.QR_QUIET + 0.5) * box) * width + int((c + pdf.QR_QUIET + 0.5) * box)] < 128
            for c in range(count)
        ]
        for r in range(count)
    ]
    assert (width, height) == (200, 200)
    assert drawn == [[bool(m) for m in row] for row in expected.modules]
    assert pixels[width * 2 + 2] > 128  # the quiet zone stays white
