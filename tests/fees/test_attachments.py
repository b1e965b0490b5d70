"""Expenditure attachments and fund invoices: accepted by content, stored under random names,
served only to those who may see the record, as attachments with nosniff."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from community.models import Role
from fees.fund import services as fund_services
from fees.models import Expenditure, FundUse
from tests.community.uploads_helpers import HOSTILE, jpeg_bytes, pdf_bytes, upload
from tests.factories import login

from .fund_helpers import open_fund
from .test_fund_services import plan

pytestmark = pytest.mark.django_db

# Who may fetch E1's files: the roles that see the estate; the rest, the owner and strangers may not.
ALLOWED = [Role.DISTRICT_ADMIN, Role.STREET_STAFF, Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.COMMITTEE_MEMBER]


def _request(client, estate, attachment):
    return client.post(
        reverse("fees:expenditures", args=[estate.pk]),
        {"category": "services", "payee": "保洁公司", "amount": "8000.00", "purpose": "保洁", "attachment": attachment},
        follow=True,
    )


def _files(folder):
    try:
        return default_storage.listdir(folder)[1]
    except FileNotFoundError:
        return []


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_attachment_is_refused_and_nothing_is_written(client, world, pilot, name):
    login(client, world.users[Role.COMPANY_STAFF])
    year = timezone.localdate().year
    before = _files(f"expenditures/{year}")
    response = _request(client, pilot, upload(name, HOSTILE[name], "application/pdf"))
    assert response.status_code == 200
    assert "文件类型不被接受：只接受 PDF、JPEG、PNG" in response.content.decode()
    assert not Expenditure.objects.exists() and _files(f"expenditures/{year}") == before


def test_an_oversized_attachment_is_refused(client, world, pilot, settings):
    settings.UPLOAD_MAX_BYTES = {**settings.UPLOAD_MAX_BYTES, "attachment": 1024 * 1024}
    login(client, world.users[Role.COMPANY_STAFF])
    response = _request(client, pilot, upload("big.pdf", pdf_bytes() + b" " * (1024 * 1024)))
    assert "文件超过 1 MB" in response.content.decode() and not Expenditure.objects.exists()


def test_the_service_refuses_what_the_form_would(world, pilot):
    from fees import services

    with pytest.raises(ValidationError, match="只接受 PDF、JPEG、PNG"):
        services.request_expenditure(
            actor=world.users[Role.COMPANY_STAFF],
            estate=pilot,
            category="services",
            payee="x",
            amount="1.00",
            purpose="y",
            attachment=upload("a.pdf", HOSTILE["page.pdf"]),
        )
    assert not Expenditure.objects.exists()


def test_a_jpeg_named_pdf_is_kept_as_a_jpeg_under_a_random_name(client, world, pilot):
    login(client, world.users[Role.COMPANY_STAFF])
    _request(client, pilot, upload("合同.pdf", jpeg_bytes(), "application/pdf"))
    item = Expenditure.objects.get()
    assert re.fullmatch(r"expenditures/\d{4}/[0-9a-f]{32}\.jpg", item.attachment.name)
    response = client.get(reverse("fees:attachment", args=[item.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f'attachment; filename="expenditure-{item.pk}.jpg"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ALLOWED + [Role.COMPANY_STAFF, Role.MEDIATOR, "owner", "other"])
def test_who_may_download_an_attachment(client, world, pilot, role):
    login(client, world.users[Role.COMPANY_STAFF])
    _request(client, pilot, upload("合同.pdf", pdf_bytes()))
    item = Expenditure.objects.get()
    if role == "owner":
        login(client, world.owner_user)
    elif role == "other":
        from tests.factories import user_with_role

        login(client, user_with_role(Role.COMMITTEE_MEMBER, world.e2))
    else:
        login(client, world.users[role])
    response = client.get(reverse("fees:attachment", args=[item.pk]))
    if role in ALLOWED or role == Role.COMPANY_STAFF:
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf" and response["Content-Disposition"].startswith(
            "attachment;"
        )
        assert b"".join(response.streaming_content) == pdf_bytes()
    else:
        assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world, pilot):
    login(client, world.users[Role.COMPANY_STAFF])
    _request(client, pilot, upload("合同.pdf", pdf_bytes()))
    item = Expenditure.objects.get()
    client.logout()
    response = client.get(reverse("fees:attachment", args=[item.pk]))
    assert response.status_code == 302 and reverse("login") in response.url


def _applied(world, invoice):
    fund = open_fund(world)
    use = plan(world, fund, emergency=True)
    committee = world.users[Role.COMMITTEE_MEMBER]
    use = fund_services.record_works_done(actor=committee, use=use, done_on=timezone.localdate(), acceptance="验收合格")
    return fund_services.apply_payout(actor=committee, use=use, settlement="5000.00", invoice=invoice)


def test_a_fund_invoice_is_checked_and_served_to_those_who_see_the_use(client, world):
    use = _applied(world, upload("单据.png.exe", pdf_bytes()))
    assert re.fullmatch(r"fund/\d{4}/[0-9a-f]{32}\.pdf", use.invoice.name)
    for role in ALLOWED:
        login(client, world.users[role])
        response = client.get(reverse("fees:fund_use_invoice", args=[use.pk]))
        assert response.status_code == 200, role
        assert response["Content-Disposition"] == f'attachment; filename="fund-use-{use.pk}-invoice.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        reverse("fees:fund_use_invoice", args=[use.pk])
        in client.get(reverse("fees:fund_use", args=[use.pk])).content.decode()
    )
    for user in (world.owner_user, world.users[Role.MEDIATOR]):
        login(client, user)
        assert client.get(reverse("fees:fund_use_invoice", args=[use.pk])).status_code == 404


def test_a_hostile_fund_invoice_is_refused_and_the_use_stays_where_it_was(world):
    with pytest.raises(ValidationError, match="只接受 PDF、JPEG、PNG"):
        _applied(world, upload("invoice.pdf", HOSTILE["invoice.pdf"]))
    use = FundUse.objects.get()
    assert use.status != "applied" and not use.invoice
