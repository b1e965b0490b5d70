"""What owners may inspect (issue 22, item 8; SPC interpretation art. 13): uploading PDFs and
refusing anything else, withdrawing, owners (and co-owners) of the estate reading, everyone else
refused, every opening in the audit trail, the generated minutes, decisions, vote results and
contract summaries read back as text, and the two pages for every role."""

import io
import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from committees import documents
from committees import services as life
from committees.models import DocumentKind, EstateDocument
from community.models import AuditEvent, Role
from residents import household
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, login
from tests.residents.household_helpers import account

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
# Skipped without pdftotext only outside CI: CI installs it (``make browser``), so there a missing
# one fails the PDF tests rather than hiding a document that cannot be generated.
needs_pdftotext = pytest.mark.skipif(
    not shutil.which("pdftotext") and os.environ.get("CI", "").lower() != "true",
    reason="poppler-utils (pdftotext) is not installed",
)


def pdf_upload(name="管理规约.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def jpeg_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    return buffer.getvalue()


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode("utf-8")


def reads(**detail):
    rows = AuditEvent.objects.filter(action="document_read")
    return [e for e in rows if all(e.detail.get(k) == v for k, v in detail.items())]


def stored_files(settings):
    root = Path(settings.MEDIA_ROOT) / "estate-docs"
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return settings


@pytest.fixture
def covenant(world, media):
    return documents.upload_document(
        actor=world.users[Role.COMMITTEE_MEMBER],
        estate=world.e1,
        kind=DocumentKind.COVENANT,
        title="江滨豪园管理规约（2024年修订）",
        issued_on=date(2024, 3, 1),
        file=pdf_upload(),
    )


def url_of(source, pk):
    return reverse("committees:document", args=[source, pk])


# --------------------------------------------------------------------------- uploading


@pytest.mark.parametrize("role", [Role.COMMITTEE_MEMBER, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.DISTRICT_ADMIN])
def test_those_who_run_the_votes_or_keep_the_registry_upload_a_pdf_under_a_random_name(world, media, role):
    document = documents.upload_document(
        actor=world.users[role],
        estate=world.e1,
        kind="parking",
        title="车位处分方案",
        issued_on=timezone.localdate(),
        file=pdf_upload("车位 方案.pdf"),
    )
    document.refresh_from_db()
    assert re.fullmatch(r"estate-docs/\d{4}/[0-9a-f]{32}\.pdf", document.file.name)
    assert document.file.read() == PDF and document.uploaded_by == world.users[role]
    event = AuditEvent.objects.get(action="document_upload")
    assert event.user == world.users[role] and event.detail["estate"] == world.e1.pk


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMPANY_STAFF, Role.MEDIATOR])
def test_readers_who_do_not_keep_the_estate_cannot_upload(world, media, role):
    with pytest.raises(PermissionDenied):
        documents.upload_document(
            actor=world.users[role],
            estate=world.e1,
            kind="covenant",
            title="管理规约",
            issued_on=date(2024, 1, 1),
            file=pdf_upload(),
        )
    assert not EstateDocument.objects.exists() and stored_files(media) == []


def test_an_owner_or_a_committee_of_another_estate_cannot_upload(world, media):
    for actor, estate in (
        (world.owner_user, world.e1),
        (world.users[Role.COMMITTEE_MEMBER], world.e2),
        (None, world.e1),
    ):
        with pytest.raises(PermissionDenied):
            documents.upload_document(
                actor=actor, estate=estate, kind="covenant", title="x", issued_on=date(2024, 1, 1), file=pdf_upload()
            )
    assert not EstateDocument.objects.exists()


@pytest.mark.parametrize(
    "name,content",
    [
        ("管理规约.pdf", jpeg_bytes()),  # a photo called a PDF
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),  # an .exe renamed
        ("truncated.pdf", PDF[:-7]),  # a PDF without its end
        ("page.pdf", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_anything_but_a_pdf_is_refused_and_nothing_is_written(world, media, name, content):
    with pytest.raises(ValidationError) as exc:
        documents.upload_document(
            actor=world.users[Role.COMMITTEE_MEMBER],
            estate=world.e1,
            kind="covenant",
            title="管理规约",
            issued_on=date(2024, 1, 1),
            file=SimpleUploadedFile(name, content, content_type="application/pdf"),
        )
    assert "只接受 PDF" in " ".join(exc.value.messages)
    assert not EstateDocument.objects.exists() and stored_files(media) == []
    assert not AuditEvent.objects.filter(action="document_upload").exists()


def test_the_date_may_be_today_but_not_tomorrow_and_title_and_kind_are_required(world, media):
    today = timezone.localdate()
    keeper = world.users[Role.COMMUNITY_STAFF]
    with pytest.raises(ValidationError) as exc:
        documents.upload_document(
            actor=keeper,
            estate=world.e1,
            kind="minutes",
            title="记录",
            issued_on=today + timedelta(days=1),
            file=pdf_upload(),
        )
    assert "不能晚于今天" in exc.value.messages[0]
    with pytest.raises(ValidationError) as exc:
        documents.upload_document(actor=keeper, estate=world.e1, kind="poster", title="  ", issued_on=today, file=None)
    assert {"请选择资料类别。", "请填写标题。", "请选择要上传的 PDF 文件。"} <= set(exc.value.messages)
    assert not EstateDocument.objects.exists() and stored_files(media) == []
    assert (
        documents.upload_document(
            actor=keeper, estate=world.e1, kind="minutes", title="记录", issued_on=today, file=pdf_upload()
        ).issued_on
        == today
    )


def test_the_staff_page_uploads_and_shows_a_refusal_with_nothing_written(client, world, media):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = reverse("committees:estate_documents", args=[world.e1.pk])
    data = {"action": "upload", "kind": "income", "title": "2024年共有部分收益", "issued_on": "2024-12-31"}
    response = client.post(page, {**data, "file": SimpleUploadedFile("a.pdf", jpeg_bytes())}, follow=True)
    assert "只接受 PDF" in response.content.decode()
    assert not EstateDocument.objects.exists() and stored_files(media) == []
    response = client.post(page, {**data, "file": pdf_upload()})
    assert response.status_code == 302 and response["Location"] == page
    document = EstateDocument.objects.get()
    assert (document.kind, document.title, document.issued_on) == ("income", "2024年共有部分收益", date(2024, 12, 31))


def test_street_staff_read_the_page_but_an_upload_from_them_is_refused(client, world, media):
    login(client, world.users[Role.STREET_STAFF])
    page = reverse("committees:estate_documents", args=[world.e1.pk])
    data = {"action": "upload", "kind": "income", "title": "收益", "issued_on": "2024-12-31", "file": pdf_upload()}
    response = client.post(page, data, follow=True)
    assert "您没有权限" in response.content.decode()
    assert not EstateDocument.objects.exists() and stored_files(media) == []


# --------------------------------------------------------------------------- reading


def test_an_owner_of_the_estate_reads_as_an_attachment_and_the_reading_is_audited(client, world, covenant):
    login(client, world.owner_user)
    response = client.get(url_of("file", covenant.pk))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    (event,) = reads()
    assert event.user == world.owner_user and event.object_id == str(covenant.pk)
    assert event.detail == {
        "estate": world.e1.pk,
        "kind": "covenant",
        "source": "file",
        "title": covenant.title,
        "as": "owner",
    }


def test_a_co_owner_reads_too(client, world, covenant):
    spouse = OwnerFactory(name="张夫人", user=UserFactory(username="spouse"))
    OwnershipFactory(unit=world.resident.ownerships.get().unit, owner=spouse)
    login(client, spouse.user)
    assert client.get(url_of("file", covenant.pk)).status_code == 200
    assert len(reads(**{"as": "owner"})) == 1


def test_an_owner_of_another_estate_or_a_former_owner_is_not_found(client, world, covenant):
    elsewhere = OwnerFactory(name="李四", user=UserFactory(username="elsewhere"))
    OwnershipFactory(unit=UnitFactory(building__estate=world.e2), owner=elsewhere)
    sold = OwnerFactory(name="王五", user=UserFactory(username="sold"))
    OwnershipFactory(
        unit=UnitFactory(building__estate=world.e1), owner=sold, started_on=date(2010, 1, 1), ended_on=date(2020, 1, 1)
    )
    for user in (elsewhere.user, sold.user):
        login(client, user)
        assert client.get(url_of("file", covenant.pk)).status_code == 404
        assert client.get(reverse("committees:my_documents")).content.decode().count(covenant.title) == 0
    assert reads() == []


def test_a_household_member_is_refused(client, world, covenant):
    member = account("family", "13800000001")
    household.invite(
        actor=world.owner_user, unit=world.resident.ownerships.get().unit, mobile="13800000001", relation="family"
    )
    assert household.memberships(member)  # they did join the home
    login(client, member)
    assert client.get(reverse("committees:my_documents")).status_code == 403
    assert client.get(url_of("file", covenant.pk)).status_code == 404
    assert "查阅资料" not in client.get(reverse("residents:household")).content.decode()
    assert reads() == []


def test_the_public_is_sent_to_sign_in(client, world, covenant):
    for url in (
        url_of("file", covenant.pk),
        reverse("committees:my_documents"),
        reverse("committees:estate_documents", args=[world.e1.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert reads() == []


@pytest.mark.parametrize("role", [Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF])
def test_staff_who_may_view_the_estate_read_and_are_audited_as_staff(client, world, covenant, role):
    login(client, world.users[role])
    assert client.get(url_of("file", covenant.pk)).status_code == 200
    assert [e.user for e in reads(**{"as": "staff"})] == [world.users[role]]


def test_staff_of_another_scope_are_not_found(client, world, media):
    document = documents.upload_document(
        actor=world.users[Role.DISTRICT_ADMIN],
        estate=world.e4,
        kind="rules",
        title="议事规则",
        issued_on=date(2024, 1, 1),
        file=pdf_upload(),
    )
    for role in (Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER):
        login(client, world.users[role])
        assert client.get(url_of("file", document.pk)).status_code == 404
        assert client.get(reverse("committees:estate_documents", args=[world.e4.pk])).status_code == 404


def test_an_unknown_source_or_number_is_not_found(client, world, covenant):
    login(client, world.owner_user)
    assert client.get(url_of("poster", covenant.pk)).status_code == 404
    assert client.get(url_of("file", covenant.pk + 100)).status_code == 404
    assert client.get(url_of("minutes", 999)).status_code == 404


# --------------------------------------------------------------------------- withdrawing


def test_a_withdrawn_document_is_kept_hidden_from_owners_and_still_open_to_staff(client, world, covenant):
    with pytest.raises(PermissionDenied):
        documents.withdraw_document(actor=world.users[Role.STREET_STAFF], document=covenant)
    documents.withdraw_document(actor=world.users[Role.COMMUNITY_STAFF], document=covenant)
    with pytest.raises(ValidationError):
        documents.withdraw_document(actor=world.users[Role.COMMUNITY_STAFF], document=covenant)
    event = AuditEvent.objects.get(action="document_withdraw")
    assert event.user == world.users[Role.COMMUNITY_STAFF] and event.object_id == str(covenant.pk)
    covenant.refresh_from_db()
    assert covenant.withdrawn_at is not None and covenant.file.read() == PDF
    login(client, world.owner_user)
    assert covenant.title not in client.get(reverse("committees:my_documents")).content.decode()
    assert client.get(url_of("file", covenant.pk)).status_code == 404
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = client.get(reverse("committees:estate_documents", args=[world.e1.pk])).content.decode()
    assert covenant.title in page and "已撤下" in page
    assert client.get(url_of("file", covenant.pk)).status_code == 200


def test_the_withdraw_button_withdraws_only_the_estates_own_documents(client, world, covenant, media):
    other = documents.upload_document(
        actor=world.users[Role.DISTRICT_ADMIN],
        estate=world.e2,
        kind="covenant",
        title="另一小区规约",
        issued_on=date(2024, 1, 1),
        file=pdf_upload(),
    )
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = reverse("committees:estate_documents", args=[world.e1.pk])
    assert client.post(page, {"action": "withdraw", "document": other.pk}).status_code == 404
    assert client.post(page, {"action": "withdraw", "document": covenant.pk}).status_code == 302
    assert EstateDocument.objects.get(pk=covenant.pk).withdrawn_at is not None
    assert EstateDocument.objects.get(pk=other.pk).withdrawn_at is None


# --------------------------------------------------------------------------- generated documents


@pytest.fixture
def meeting(world, election):
    """A committee of seven in 江滨豪园 and a meeting with minutes and two decisions."""
    vote, owners = election
    committee = life.elect_committee(
        actor=None, estate=world.e1, vote=vote, elected_on=timezone.localdate(), members=owners[:7]
    )
    members = list(committee.members.order_by("pk"))
    today = timezone.localdate()
    meeting = life.schedule_meeting(
        actor=None,
        committee=committee,
        held_on=today - timedelta(days=2),
        agenda="更换门禁系统；业主张三丰反映的漏水",
        posted_on=today - timedelta(days=20),
    )
    life.record_attendance(actor=None, meeting=meeting, present=members[:5])
    life.record_decision(actor=None, meeting=meeting, text="更换门禁系统，预算八万元", in_favour=members[:4])
    life.record_decision(actor=None, meeting=meeting, text="聘请审计机构", in_favour=members[:2])
    life.record_minutes(
        actor=None,
        meeting=meeting,
        minutes="候选0 主持会议。业主张三丰（电话 13912345678）反映 101 漏水，候选1 负责跟进。",
        signed=True,
    )
    return meeting


@needs_pdftotext
def test_the_minutes_show_the_members_by_name_and_mask_everyone_else(client, world, meeting):
    login(client, world.owner_user)
    response = client.get(url_of("minutes", meeting.pk))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    text = pdf_text(response.content)
    assert "会议记录" in text and "江滨豪园" in text
    assert "候选0" in text and "候选1" in text  # members act publicly as members
    assert "张三丰" not in text and "张**" in text
    assert "13912345678" not in text and "139****5678" in text
    assert "更换门禁系统，预算八万元" in text and "未通过" in text
    (event,) = reads(source="minutes")
    assert event.detail["kind"] == "minutes" and event.object_type == "committees.meeting"


@needs_pdftotext
def test_the_decisions_name_nobody(client, world, meeting):
    login(client, world.owner_user)
    response = client.get(url_of("decisions", meeting.pk))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "会议决定" in text and "更换门禁系统，预算八万元" in text and "聘请审计机构" in text
    assert "候选0" not in text and "张三丰" not in text
    assert reads(source="decisions", kind="decision")


@needs_pdftotext
def test_the_documents_count_the_members_own_confirmations(client, world, meeting):
    """Adopted, waiting for the members' own confirmations, or not adopted; the minutes name only
    the members who confirmed in their own hand."""
    members = list(meeting.committee.members.select_related("owner").order_by("pk"))
    life.record_decision(
        actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="续聘物业公司", in_favour=members[2:5]
    )
    (waiting,) = [d for d in meeting.decisions.all() if d.text == "续聘物业公司"]
    assert not waiting.adopted and waiting.consents.count() == 3
    life.record_decision(
        actor=world.users[Role.COMMITTEE_MEMBER], meeting=meeting, text="增设充电桩", in_favour=members[1:5]
    )
    login(client, world.owner_user)
    text = pdf_text(client.get(url_of("decisions", meeting.pk)).content)
    assert re.search(r"更换门禁系统，预算八万元\s+4\s+通过", text)
    assert re.search(r"续聘物业公司\s+0\s+未通过", text)  # three of seven listed: final, waits for nobody
    assert re.search(r"增设充电桩\s+0\s+待委员本人", text) and "需 4）" in text  # four listed, none confirmed
    minutes = pdf_text(client.get(url_of("minutes", meeting.pk)).content)
    assert re.search(r"聘请审计机构\s+候选0、候选1\s+未通过", minutes)
    assert re.search(r"增设充电桩\s+—\s+待委员本人确认", minutes)  # nobody confirmed in their own hand yet


@needs_pdftotext
def test_a_closed_votes_result_reads_back_with_its_figures(client, world, election):
    vote, _owners = election
    login(client, world.owner_user)
    response = client.get(url_of("vote", vote.pk))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "业主大会表决结果" in text and "选举第一届业主委员会" in text
    assert "表决结果：通过" in text and "810.00" in text  # nine units of 90 m², all in favour
    assert reads(source="vote", kind="decision")


def test_an_open_vote_has_no_result_to_read(client, world):
    from committees.models import Vote

    now = timezone.now()
    vote = Vote.objects.create(
        estate=world.e1,
        matter=5,
        question="更换电梯",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=5),
    )
    login(client, world.owner_user)
    assert client.get(url_of("vote", vote.pk)).status_code == 404
    assert "更换电梯" not in client.get(reverse("committees:my_documents")).content.decode()


@needs_pdftotext
def test_a_contract_is_read_as_a_generated_summary(client, world):
    contract = world.e1.contracts.get()
    login(client, world.owner_user)
    response = client.get(url_of("contract", contract.pk))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "物业服务合同摘要" in text and contract.company.name in text and "酬金制" in text
    assert "不是合同全文" in text
    login(client, UserFactory(username="nobody"))
    assert client.get(url_of("contract", contract.pk)).status_code == 404


def test_an_owner_sees_the_estates_documents_by_kind_newest_first(client, world, covenant, meeting, media):
    newer = documents.upload_document(
        actor=world.users[Role.COMMITTEE_MEMBER],
        estate=world.e1,
        kind=DocumentKind.COVENANT,
        title="管理规约（2025年修订）",
        issued_on=date(2025, 3, 1),
        file=pdf_upload(),
    )
    login(client, world.owner_user)
    page = client.get(reverse("committees:my_documents")).content.decode()
    assert page.index(newer.title) < page.index(covenant.title)  # newest first
    assert page.index("管理规约") < page.index("物业服务合同") < page.index("会议记录")  # DocumentKind's order
    for source, pk in (("file", covenant.pk), ("minutes", meeting.pk), ("decisions", meeting.pk)):
        assert url_of(source, pk) in page
    assert "同社区另一网格" not in page  # only the estates where the owner holds a unit
    assert reads() == []  # a list is not a reading


def test_the_owner_page_reads_a_fixed_number_of_queries(client, world, meeting, media, django_assert_max_num_queries):
    login(client, world.owner_user)
    url = reverse("committees:my_documents")
    client.get(url)
    with django_assert_max_num_queries(11) as few:
        client.get(url)
    baseline = len(few.captured_queries)
    # More estates, documents, meetings and votes: the same number of queries.
    OwnershipFactory(unit=UnitFactory(building__estate=world.e2), owner=world.resident)
    for estate in (world.e1, world.e2):
        for n in range(3):
            documents.upload_document(
                actor=world.users[Role.DISTRICT_ADMIN],
                estate=estate,
                kind=DocumentKind.values[n],
                title=f"资料{n}",
                issued_on=date(2024, 1, n + 1),
                file=pdf_upload(),
            )
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert response.content.decode().count("资料0") == 2


# --------------------------------------------------------------------------- the staff page


@pytest.fixture
def read_once(client, world, covenant):
    world.owner_user.first_name = "张三丰"
    world.owner_user.save()
    login(client, world.owner_user)
    client.get(url_of("file", covenant.pk))
    client.logout()
    return covenant


@pytest.mark.parametrize(
    "role,status,form,readers",
    [
        (Role.COMMITTEE_MEMBER, 200, True, "张**"),
        (Role.COMMUNITY_STAFF, 200, True, "张三丰"),
        (Role.GRID_WORKER, 200, True, "张三丰"),
        (Role.STREET_STAFF, 200, False, "张三丰"),
        (Role.COMPANY_STAFF, 200, False, None),  # the company does not watch who inspects its contract
        (Role.MEDIATOR, 404, False, None),
    ],
)
def test_the_staff_page_for_each_role(client, world, read_once, role, status, form, readers):
    login(client, world.users[role])
    response = client.get(reverse("committees:estate_documents", args=[world.e1.pk]))
    assert response.status_code == status
    if status != 200:
        return
    page = response.content.decode()
    assert read_once.title in page and "物业服务合同摘要" in page
    assert ('name="action" value="upload"' in page) is form
    assert ('value="withdraw"' in page) is form
    if readers is None:
        assert "查阅记录" not in page and "张**" not in page
    else:
        assert "查阅记录" in page and readers in page
        if readers == "张**":
            assert "张三丰" not in page


def test_the_staff_page_refuses_owners_and_other_estates(client, world):
    login(client, world.owner_user)
    assert client.get(reverse("committees:estate_documents", args=[world.e1.pk])).status_code == 404
    login(client, world.users[Role.COMMITTEE_MEMBER])
    assert client.get(reverse("committees:estate_documents", args=[world.e2.pk])).status_code == 404


def test_the_readings_shown_are_the_last_fifty_of_this_estate(world, covenant, rf, media):
    other = documents.upload_document(
        actor=world.users[Role.DISTRICT_ADMIN],
        estate=world.e2,
        kind="covenant",
        title="另一小区规约",
        issued_on=date(2024, 1, 1),
        file=pdf_upload(),
    )
    from community import audit

    for n in range(documents.READINGS_SHOWN + 1):
        audit.record(
            "document_read",
            user=world.owner_user,
            obj=covenant,
            detail={"estate": world.e1.pk, "kind": "covenant", "source": "file", "title": f"第{n}次", "as": "owner"},
        )
    audit.record("document_read", user=world.owner_user, obj=other, detail={"estate": world.e2.pk, "title": "别处"})
    rows = documents.readings(world.users[Role.COMMITTEE_MEMBER], world.e1)
    assert len(rows) == documents.READINGS_SHOWN
    assert rows[0].title == f"第{documents.READINGS_SHOWN}次" and rows[-1].title == "第1次"
    assert all(r.title != "别处" for r in rows)
    assert documents.readings(world.users[Role.COMPANY_STAFF], world.e1) == []


def test_the_pages_link_to_the_documents(client, world, meeting):
    login(client, world.owner_user)
    assert reverse("committees:my_documents") in client.get(reverse("committees:my_votes")).content.decode()
    login(client, world.users[Role.COMMUNITY_STAFF])
    link = reverse("committees:estate_documents", args=[world.e1.pk])
    assert link in client.get(reverse("community:estate_detail", args=[world.e1.pk])).content.decode()
    assert link in client.get(reverse("committees:committee", args=[meeting.committee_id])).content.decode()


def test_the_staff_page_reads_a_fixed_number_of_queries(client, world, read_once, django_assert_max_num_queries):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    url = reverse("committees:estate_documents", args=[world.e1.pk])
    client.get(url)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    baseline = len(few.captured_queries)
    reader = OwnerFactory(name="赵六", user=UserFactory(username="reader", first_name="赵六"))
    OwnershipFactory(unit=UnitFactory(building__estate=world.e1), owner=reader)
    for n in range(4):
        documents.upload_document(
            actor=world.users[Role.COMMITTEE_MEMBER],
            estate=world.e1,
            kind=DocumentKind.values[n],
            title=f"资料{n}",
            issued_on=date(2024, 1, n + 1),
            file=pdf_upload(),
        )
    login(client, reader.user)
    for document in EstateDocument.objects.all():
        client.get(url_of("file", document.pk))
    login(client, world.users[Role.COMMITTEE_MEMBER])
    with django_assert_max_num_queries(baseline):
        page = client.get(url).content.decode()
    assert page.count("赵**") == 5 and "赵六" not in page
