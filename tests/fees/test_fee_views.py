"""Fee pages for every role: allowed and denied, on their own estate and another one; bad input; query counts."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from community.models import Role
from fees import selectors, services
from fees.models import Bill, Expenditure, LedgerEntry, Payment, Statement
from tests import pdfread
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, login

from .conftest import own_logins, publish, seat_committee

STAFF_VIEWERS = [
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMMITTEE_MEMBER,
    Role.COMPANY_STAFF,
]


@pytest.fixture
def books(pilot, world):
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    unit = world.resident.ownerships.get().unit
    payment = services.record_payment(
        actor=None,
        unit=unit,
        amount="100.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=list(unit.bills.all()),
    )
    return unit, payment


# --------------------------------------------------------------------------- public pages


def test_the_price_board_is_public_and_shows_every_display_field_and_12358(client, pilot):
    response = client.get(reverse("fees:prices", args=[pilot.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "收费主体",
        "服务内容",
        "服务标准",
        "计费方式",
        "计费起始日期",
        "价格管理形式",
        "收费依据",
        "12358",
        "物业服务费",
        "2.00",
    ):
        assert text in body


def test_an_announced_price_change_shows_beside_the_current_one(client, pilot):
    from community.legaltime import last_day_after_months

    later = last_day_after_months(timezone.localdate().replace(day=1), 3)
    publish(pilot, effective_from=later, items=[("物业服务费", "per_area", "2.40")])
    body = client.get(reverse("fees:prices", args=[pilot.pk])).content.decode()
    assert "调价公示" in body and later.isoformat() in body and "2.40" in body


def test_published_statements_are_public_and_verify(client, books, pilot):
    statement = services.publish_statement(
        actor=None, estate=pilot, kind="month", start=date(2026, 1, 1), base_url="http://testserver"
    )
    listing = client.get(reverse("fees:statements", args=[pilot.pk])).content.decode()
    assert "2026年1月" in listing
    pdf = client.get(reverse("fees:statement_pdf", args=[statement.pk]))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    url = reverse("fees:verify", args=[pilot.code, "2026-01-01", "2026-01-31"])
    good = client.get(url, {"fp": statement.fingerprint})
    assert good.status_code == 200 and "完全一致" in good.content.decode()
    tampered = statement.fingerprint[:-1] + ("0" if statement.fingerprint[-1] != "0" else "1")
    bad = client.get(url, {"fp": tampered})
    assert bad.status_code == 404 and "核验未通过" in bad.content.decode()
    # Spaces as printed in groups are ignored.
    spaced = " ".join(statement.fingerprint[i : i + 8] for i in range(0, 64, 8))
    assert client.get(url, {"fp": spaced}).status_code == 200
    # As a person types it from the paper: capitals, hyphens between the groups, the estate code in lower case.
    typed = "-".join(statement.fingerprint[i : i + 8] for i in range(0, 64, 8)).upper()
    lower = reverse("fees:verify", args=[pilot.code.lower(), "2026-01-01", "2026-01-31"])
    assert client.get(lower, {"fp": typed}).status_code == 200
    # Opened without a fingerprint it explains what to enter; it has not failed anything yet.
    empty = client.get(url)
    body = empty.content.decode()
    assert empty.status_code == 200 and "核验未通过" not in body and 'id="verify-howto"' in body
    assert '<label for="fp">' in body and f'<code class="fingerprint">{statement.fingerprint}</code>' in body


def test_verify_refuses_nonsense_dates(client, pilot):
    assert client.get(reverse("fees:verify", args=[pilot.code, "2026-13-01", "2026-01-31"])).status_code == 404
    assert client.get(reverse("fees:verify", args=[pilot.code, "2026-02-01", "2026-01-31"])).status_code == 404
    assert client.get(reverse("fees:verify", args=["NOPE", "2026-01-01", "2026-01-31"])).status_code == 404


# --------------------------------------------------------------------------- owners


def test_an_owner_sees_their_own_bills_payments_and_receipts(client, books, world):
    unit, payment = books
    other = UnitFactory(building=unit.building, room="102")
    OwnershipFactory(unit=other, owner=OwnerFactory(name="邻居王"), started_on=date(2015, 1, 1))
    services.run_billing(actor=None, estate=world.e1, period=date(2026, 1, 1))
    login(client, world.owner_user)
    body = client.get(reverse("fees:my_bills")).content.decode()
    assert payment.receipt_no in body and "89.00" in body  # 189.00 billed (+ parking none), 100 paid -> 89 open
    assert "邻居王" not in body
    receipt = client.get(reverse("fees:receipt_pdf", args=[payment.pk]))
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


def test_an_owner_cannot_open_someone_elses_receipt(client, books, world):
    unit, _payment = books
    neighbour = UnitFactory(building=unit.building, room="102")
    OwnershipFactory(unit=neighbour, owner=OwnerFactory(name="邻居王"), started_on=date(2015, 1, 1))
    services.run_billing(actor=None, estate=world.e1, period=date(2026, 1, 1))
    theirs = services.record_payment(
        actor=None,
        unit=neighbour,
        amount="10.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="邻居王",
        bills=list(neighbour.bills.all()),
    )
    login(client, world.owner_user)
    assert client.get(reverse("fees:receipt_pdf", args=[theirs.pk])).status_code == 404


def test_a_user_who_is_not_an_owner_has_no_bills_page(client, world):
    login(client, world.users[Role.STREET_STAFF])
    assert client.get(reverse("fees:my_bills")).status_code == 403


def test_my_bills_runs_a_fixed_number_of_queries(client, pilot, world, django_assert_max_num_queries):
    unit = world.resident.ownerships.get().unit
    for month in range(1, 7):
        services.run_billing(actor=None, estate=pilot, period=date(2026, month, 1))
    services.record_payment(
        actor=None,
        unit=unit,
        amount="300.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=list(unit.bills.all()),
    )
    login(client, world.owner_user)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("fees:my_bills")).status_code == 200


def bill_months(pilot, months):
    for month in months:
        services.run_billing(actor=None, estate=pilot, period=date(2026, month, 1))


def pay(unit, bills, amount):
    return services.record_payment(
        actor=None,
        unit=unit,
        amount=amount,
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=bills,
    )


def test_my_bills_are_one_card_a_month_the_owed_months_first_with_whom_to_pay(client, pilot, world):
    company = pilot.contracts.get().company
    company.phone = "0571-86660000"
    company.save()
    unit = world.resident.ownerships.get().unit
    bill_months(pilot, [1, 2, 3])
    january = list(unit.bills.filter(period=date(2026, 1, 1)))
    paid = pay(unit, january, str(sum(b.amount for b in january)))
    part = unit.bills.filter(period=date(2026, 3, 1)).order_by("item_id").first()
    pay(unit, [part], "10.00")
    login(client, world.owner_user)
    response = client.get(reverse("fees:my_bills"))
    book = response.context["book"]
    assert [m.period for m in book.open_months] == [date(2026, 2, 1), date(2026, 3, 1)]  # oldest owed first
    assert [(y.year, [m.period for m in y.months]) for y in book.paid_years] == [(2026, [date(2026, 1, 1)])]
    assert all(len(m.lines) == len(january) for m in book.open_months)
    assert book.owed == sum(b.amount for b in unit.bills.exclude(period=date(2026, 1, 1))) - Decimal("10.00")
    assert response.context["owed"] == book.owed
    body = response.content.decode()
    assert (
        body.index("2026年2月")
        < body.index("2026年3月")
        < body.index('<details class="fold">')
        < body.index("2026年1月")
    )
    callout = body[body.index('<aside class="callout warn">') : body.index("</aside>")]
    assert company.name in callout and 'href="tel:0571-86660000"' in callout and "12345" in callout
    assert str(book.owed) in callout
    assert "2026年 · 1 个月" in body  # the folded year's summary
    assert reverse("fees:receipt_pdf", args=[paid.pk]) in body  # in January's card and in the payments
    assert reverse("fees:statements", args=[pilot.pk]) in body and reverse("residents:household") in body


def test_my_bills_names_the_committee_or_the_community_when_no_company_serves(client, pilot, world):
    from community.tenure import services as tenure

    tenure.terminate_contract(actor=None, contract=pilot.contracts.get(), last_day=date(2021, 1, 1))
    login(client, world.owner_user)
    body = client.get(reverse("fees:my_bills")).content.decode()
    assert pilot.grid.community.name in body and "12345" in body
    seat_committee(pilot)
    body = client.get(reverse("fees:my_bills")).content.decode()
    assert f"{pilot.name}业主委员会" in body


def test_an_owner_with_no_bills_sees_what_to_do_next(client, world):
    login(client, world.owner_user)
    body = client.get(reverse("fees:my_bills")).content.decode()
    assert '<div class="empty"><p>暂无账单。</p>' in body and "出账后" in body
    assert "12345" in body  # whom to ask is there before the first bill


def test_my_bills_queries_do_not_grow_with_the_bills(client, pilot, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    unit = world.resident.ownerships.get().unit
    login(client, world.owner_user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("fees:my_bills")).status_code == 200
        return len(queries)

    bill_months(pilot, [1, 2])
    pay(unit, list(unit.bills.all()), "200.00")
    few = count()
    bill_months(pilot, range(3, 13))
    pay(unit, list(unit.bills.filter(period__month__gte=3)), "900.00")
    pay(unit, list(unit.bills.filter(period__month__gte=9)), "50.00")
    assert count() == few


def test_paid_history_past_the_limit_drops_a_cut_month_whole(pilot, world):
    from fees import selectors

    unit = world.resident.ownerships.get().unit
    bill_months(pilot, [1, 2, 3])
    settled = list(unit.bills.filter(period__month__lte=2))
    pay(unit, settled, str(sum(b.amount for b in settled)))
    lines = unit.bills.filter(period=date(2026, 1, 1)).count()
    book = selectors.bill_book(selectors.bills_of_owner(world.resident), limit=2 * lines + 1)
    assert [m.period for m in book.open_months] == [date(2026, 3, 1)]
    assert [m.period for y in book.paid_years for m in y.months] == [date(2026, 2, 1)]  # January cut, left out whole
    assert book.cut and len(book.bills) == 2 * lines


# --------------------------------------------------------------------------- staff pages: role matrix


@pytest.mark.parametrize("role", STAFF_VIEWERS)
def test_staff_see_fee_pages_of_their_own_estate_and_not_of_another(client, world, books, role):
    login(client, world.users[role])
    other = world.other[role]
    for name in ("fees:estate", "fees:ledger", "fees:expenditures"):
        assert client.get(reverse(name, args=[world.e1.pk])).status_code == 200, name
        assert client.get(reverse(name, args=[other.pk])).status_code == 404, name
    unit, payment = books
    assert client.get(reverse("fees:unit", args=[world.e1.pk, unit.pk])).status_code == 200


def test_a_mediator_reads_no_estates_accounts(client, world, books):
    login(client, world.users[Role.MEDIATOR])
    for name in ("fees:estate", "fees:ledger", "fees:expenditures"):
        assert client.get(reverse(name, args=[world.e1.pk])).status_code == 404, name


def test_an_owner_without_a_staff_role_is_refused_the_staff_pages(client, world, books):
    login(client, world.owner_user)
    assert client.get(reverse("fees:workspace")).status_code == 403
    assert client.get(reverse("fees:estate", args=[world.e1.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(reverse("fees:estate", args=[world.e1.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "role,allowed",
    [
        (Role.COMPANY_STAFF, True),
        (Role.COMMITTEE_MEMBER, False),
        (Role.COMMUNITY_STAFF, False),
        (Role.DISTRICT_ADMIN, False),
    ],
)
def test_only_the_company_that_keeps_the_books_bills_and_records_payments(client, world, pilot, role, allowed):
    login(client, world.users[role])
    client.post(reverse("fees:estate", args=[pilot.pk]), {"action": "bill", "period": "2026-02"})
    assert Bill.objects.filter(period=date(2026, 2, 1)).exists() is allowed
    unit = world.resident.ownerships.get().unit
    services.run_billing(actor=None, estate=pilot, period=date(2026, 3, 1))
    bill = Bill.objects.filter(unit=unit, period=date(2026, 3, 1)).first()
    client.post(
        reverse("fees:unit", args=[pilot.pk, unit.pk]),
        {
            "action": "pay",
            "amount": "10.00",
            "paid_on": timezone.localdate().isoformat(),
            "method": "cash",
            "payer": "张三丰",
            "bills": [bill.pk],
        },
    )
    assert Payment.objects.exists() is allowed


def test_the_staff_billing_button_says_when_nothing_is_new(client, world, pilot):
    login(client, world.users[Role.COMPANY_STAFF])
    url = reverse("fees:estate", args=[pilot.pk])
    client.post(url, {"action": "bill", "period": "2026-02"})
    response = client.post(url, {"action": "bill", "period": "2026-02"}, follow=True)
    assert "没有新增" in response.content.decode()
    response = client.post(url, {"action": "bill", "period": "2026/02"}, follow=True)
    assert "2026-03" in response.content.decode()  # the format it wants


def test_a_bad_payment_shows_the_error_and_writes_nothing(client, world, books):
    unit, _payment = books
    login(client, world.users[Role.COMPANY_STAFF])
    bill = unit.bills.first()
    response = client.post(
        reverse("fees:unit", args=[world.e1.pk, unit.pk]),
        {
            "action": "pay",
            "amount": "99999.00",
            "paid_on": timezone.localdate().isoformat(),
            "method": "cash",
            "payer": "张三丰",
            "bills": [bill.pk],
        },
        follow=True,
    )
    assert "超过" in response.content.decode()
    assert Payment.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_a_committee_member_approves_an_expenditure_and_sees_its_voucher(client, world, books):
    committee = seat_committee(world.e1, size=5)
    item = services.request_expenditure(
        actor=world.users[Role.COMPANY_STAFF],
        estate=world.e1,
        category="repairs",
        payee="某电梯公司",
        amount="2400.00",
        purpose="电梯年检",
    )
    seats = own_logins(committee)
    members = [m.pk for m in seats][:3]
    login(client, world.users[Role.COMPANY_STAFF])
    client.post(reverse("fees:expenditure", args=[item.pk]), {"action": "decide", "in_favour": members})
    assert Expenditure.objects.get(pk=item.pk).status == "requested"  # the company cannot approve its own request
    assert not item.consents.exists()
    login(client, world.users[Role.COMMITTEE_MEMBER])
    response = client.post(
        reverse("fees:expenditure", args=[item.pk]), {"action": "decide", "in_favour": members}, follow=True
    )
    body = response.content.decode()
    assert "待同意的委员本人登录确认" in body and "尚未生效（已确认 0 / 需 3）" in body
    assert Expenditure.objects.get(pk=item.pk).status == "requested" and not LedgerEntry.objects.filter(
        expenditure=item
    )
    for seat in seats[:3]:  # each member confirms from their own login, on their own page
        login(client, seat.owner.user)
        [consent] = item.consents.filter(member=seat)
        client.post(reverse("committees:confirmations"), {"consent": consent.pk})
    login(client, world.users[Role.COMMITTEE_MEMBER])
    body = client.get(reverse("fees:expenditure", args=[item.pk])).content.decode()
    entry = LedgerEntry.objects.get(expenditure=item)
    assert entry.voucher in body and "已批准入账" in body and "待本人确认" not in body
    assert entry.voucher == f"支{timezone.localdate().year}-00001"


def test_an_expenditure_page_names_its_applicant_and_lists_each_approval_on_its_members_row(client, world, books):
    committee = seat_committee(world.e1, size=3)
    item = services.request_expenditure(
        actor=None, estate=world.e1, category="repairs", payee="某公司", amount="50.00", purpose="换灯，附报价单"
    )
    login(client, world.users[Role.COMMITTEE_MEMBER])
    url = reverse("fees:expenditure", args=[item.pk])
    body = client.get(url).content.decode()
    assert "None" not in body and "未上传附件" in body
    assert selectors.books(world.e1, timezone.localdate()).keeper in body  # no account: the books' keeper applied
    seats = list(committee.members.order_by("pk"))
    # The form: each member's box inside the label with their name.
    rows = re.findall(r"<label [^>]*>(.*?)</label>", body, re.S)
    for seat in seats:
        [row] = [r for r in rows if seat.owner.name in r]
        assert f'value="{seat.pk}"' in row and 'type="checkbox"' in row
    client.post(url, {"action": "decide", "in_favour": [s.pk for s in seats[:2]]})
    body = client.get(url).content.decode()
    approvals = body[body.index('id="approvals"') :].split("</section>")[0]
    rows = re.findall(r"<li>(.*?)</li>", approvals, re.S)
    for seat in seats[:2]:
        [row] = [r for r in rows if seat.owner.name in r]
        assert "待本人确认" in row
    assert not [r for r in rows if seats[2].owner.name in r]
    assert "None" not in body


def test_a_refusal_without_reasons_is_sent_back_with_the_rule(client, world, books):
    committee = seat_committee(world.e1, size=5)
    item = services.request_expenditure(
        actor=None, estate=world.e1, category="repairs", payee="某公司", amount="50.00", purpose="x"
    )
    login(client, world.users[Role.COMMITTEE_MEMBER])
    response = client.post(
        reverse("fees:expenditure", args=[item.pk]),
        {"action": "decide", "in_favour": [committee.members.first().pk]},
        follow=True,
    )
    assert "写明理由" in response.content.decode()
    assert Expenditure.objects.get(pk=item.pk).status == "requested"


def test_company_staff_request_an_expenditure_with_an_attachment(client, world, pilot, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    login(client, world.users[Role.COMPANY_STAFF])
    client.post(
        reverse("fees:expenditures", args=[pilot.pk]),
        {
            "category": "services",
            "payee": "某保洁公司",
            "amount": "8000.00",
            "purpose": "11月保洁服务费",
            "attachment": SimpleUploadedFile("合同.pdf", b"%PDF-1.4 test\n%%EOF\n", content_type="application/pdf"),
        },
    )
    item = Expenditure.objects.get()
    assert item.attachment and item.requested_by == world.users[Role.COMPANY_STAFF]
    assert client.get(reverse("fees:attachment", args=[item.pk])).status_code == 200
    body = client.get(reverse("fees:expenditure", args=[item.pk])).content.decode()
    assert reverse("fees:attachment", args=[item.pk]) in body and "未上传附件" not in body
    keeper = selectors.books(pilot, timezone.localdate()).keeper
    assert f"company（{keeper}）" in body  # who applied: the account, and the company it keeps the books for
    login(client, world.users[Role.GRID_WORKER])
    assert client.get(reverse("fees:attachment", args=[item.pk])).status_code == 200
    login(client, world.owner_user)
    assert client.get(reverse("fees:attachment", args=[item.pk])).status_code == 404


def test_the_committee_publishes_a_statement_from_the_ledger_page(client, world, books):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    start = (timezone.localdate().replace(day=1) - __import__("datetime").timedelta(days=1)).replace(day=1)
    client.post(
        reverse("fees:ledger", args=[world.e1.pk]), {"action": "publish", "kind": "month", "start": start.isoformat()}
    )
    assert Statement.objects.filter(estate=world.e1, starts_on=start).exists()
    login(client, world.users[Role.GRID_WORKER])
    client.post(
        reverse("fees:ledger", args=[world.e1.pk]), {"action": "publish", "kind": "year", "start": "2025-01-01"}
    )
    assert Statement.objects.count() == 1


def test_staff_export_a_verifiable_pdf_for_any_period(client, world, books):
    login(client, world.users[Role.STREET_STAFF])
    response = client.get(reverse("fees:export", args=[world.e1.pk]), {"kind": "year", "start": "2026-01-01"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    response = client.get(
        reverse("fees:export", args=[world.e1.pk]), {"kind": "quarter", "start": "2026-02-01"}, follow=True
    )
    assert "起始日期" in response.content.decode()


def test_the_arrears_list_runs_a_fixed_number_of_queries(client, world, pilot, django_assert_max_num_queries):
    for i in range(12):
        OwnershipFactory(
            unit=UnitFactory(building__estate=pilot, room=f"{i}08"), owner=OwnerFactory(), started_on=date(2015, 1, 1)
        )
    for month in (1, 2, 3):
        services.run_billing(actor=None, estate=pilot, period=date(2026, month, 1))
    login(client, world.users[Role.COMPANY_STAFF])
    with django_assert_max_num_queries(22):  # +1: the bar's count of new requests for the company (报事受理)
        response = client.get(reverse("fees:estate", args=[pilot.pk]))
    assert response.status_code == 200 and len(response.context["arrears"]) == 13


def test_the_arrears_list_gives_a_co_owned_unit_one_row_with_its_owners_once(client, world, pilot):
    unit = UnitFactory(building__estate=pilot, room="402")
    for name in ("蔡新", "刘英"):
        OwnershipFactory(unit=unit, owner=OwnerFactory(name=name), started_on=date(2015, 1, 1))
    for month in (1, 2, 3):
        services.run_billing(actor=None, estate=pilot, period=date(2026, month, 1))
    login(client, world.users[Role.COMPANY_STAFF])
    response = client.get(reverse("fees:estate", args=[pilot.pk]))
    row = next(a for a in response.context["arrears"] if a.unit_id == unit.pk)
    per_month = Bill.objects.filter(unit=unit, period=date(2026, 1, 1)).count()
    assert row.addressee == "蔡新、刘英" and row.bills == 3 * per_month
    assert row.months == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    assert row.owed == sum(b.amount for b in Bill.objects.filter(unit=unit))
    body = response.content.decode()
    assert body.count("蔡新") == 1 and "2026-01 至 2026-03，共 3 个月" in body


def test_the_arrears_list_costs_the_same_queries_for_one_month_of_bills_as_for_six(
    client, world, pilot, django_assert_num_queries
):
    login(client, world.users[Role.COMPANY_STAFF])
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    client.get(reverse("fees:estate", args=[pilot.pk]))  # warm: the session, the bar's counts
    with CaptureQueriesContext(connection) as once:
        client.get(reverse("fees:estate", args=[pilot.pk]))
    for month in (2, 3, 4, 5, 6):
        services.run_billing(actor=None, estate=pilot, period=date(2026, month, 1))
    with django_assert_num_queries(len(once)):
        response = client.get(reverse("fees:estate", args=[pilot.pk]))
    assert max(a.bills for a in response.context["arrears"]) >= 6


def test_the_ledger_page_runs_a_fixed_number_of_queries(client, world, books, django_assert_max_num_queries):
    for i in range(15):
        services.record_income(
            actor=None,
            estate=world.e1,
            category="common",
            amount=Decimal("10.00") + i,
            entry_date=timezone.localdate(),
            description=f"广告{i}",
        )
    login(client, world.users[Role.COMMITTEE_MEMBER])
    with django_assert_max_num_queries(20):
        assert client.get(reverse("fees:ledger", args=[world.e1.pk])).status_code == 200


def test_staff_who_do_not_collect_see_owners_masked_and_cannot_open_receipts_or_letters(client, world, books):
    unit, payment = books
    letter = services.issue_demand_letter(actor=None, unit=unit)
    login(client, world.users[Role.COMMITTEE_MEMBER])  # the committee of a company-managed estate
    page = client.get(reverse("fees:unit", args=[world.e1.pk, unit.pk])).content.decode()
    assert "张三丰" not in page and "张**" in page
    assert client.get(reverse("fees:receipt_pdf", args=[payment.pk])).status_code == 404
    assert client.get(reverse("fees:letter_pdf", args=[letter.pk])).status_code == 404
    login(client, world.users[Role.COMPANY_STAFF])
    assert "张三丰" in client.get(reverse("fees:unit", args=[world.e1.pk, unit.pk])).content.decode()
    letter_pdf = client.get(reverse("fees:letter_pdf", args=[letter.pk]))
    assert letter_pdf.status_code == 200 and letter_pdf.content.startswith(b"%PDF")
    assert client.get(reverse("fees:receipt_pdf", args=[payment.pk])).status_code == 200


# --------------------------------------------------------------------------- receipts and letters read back


@pdfread.needs
def test_the_receipt_prints_the_amount_in_capitals_who_took_it_and_a_qr_code_to_the_public_books(client, world, pilot):
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    unit = world.resident.ownerships.get().unit
    cashier = world.users[Role.COMPANY_STAFF]
    cashier.first_name = "收费员李梅"
    cashier.save()
    payment = services.record_payment(
        actor=cashier,
        unit=unit,
        amount="100.05",
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=list(unit.bills.all()),
    )
    login(client, cashier)
    body = client.get(reverse("fees:receipt_pdf", args=[payment.pk])).content
    text = pdfread.text(body)
    assert "金额（大写）：人民币壹佰元零伍分" in text and "经办人：收费员李梅" in text
    day = payment.ledger_entry.entry_date
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    address = f"http://testserver/verify/statement/{pilot.code}/{start.isoformat()}/{end.isoformat()}/"
    assert f"核验网址：{address}" in text and payment.ledger_entry.voucher in text
    qr = pdfread.ink_outside_words(body)
    assert qr is not None and qr.x1 - qr.x0 > 60  # the QR code is printed, clear of every word
    assert not [w.text for w in pdfread.words(body) if w.box.overlaps(qr)]
    # The page it leads to is the estate's public books: no owner's name, no room.
    client.logout()
    page = client.get(address.removeprefix("http://testserver"))
    assert page.status_code == 200 and "张三丰" not in page.content.decode() and str(unit) not in page.content.decode()


@pdfread.needs
def test_an_imported_receipt_names_no_cashier(client, world, pilot):
    services.run_billing(actor=None, estate=pilot, period=date(2026, 1, 1))
    unit = world.resident.ownerships.get().unit
    kwargs = dict(unit=unit, paid_on=timezone.localdate(), method="cash", payer="张三丰")
    imported = services.record_payment(
        actor=None, amount="10.00", bills=list(unit.bills.all()), imported=True, **kwargs
    )
    unknown = services.record_payment(actor=None, amount="0.10", bills=list(unit.bills.all()), **kwargs)
    login(client, world.users[Role.COMPANY_STAFF])
    text = pdfread.text(client.get(reverse("fees:receipt_pdf", args=[imported.pk])).content)
    assert "经办人：系统导入" in text and "人民币壹拾元整" in text
    text = pdfread.text(client.get(reverse("fees:receipt_pdf", args=[unknown.pk])).content)
    assert "经办人：—" in text and "人民币壹角整" in text


@pdfread.needs
def test_the_demand_letter_says_whom_to_contact_and_the_hotline(client, world, books):
    unit, _payment = books
    company = world.e1.contracts.get().company
    company.phone = "0571-86001234"
    company.save()
    world.e1.address = "江滨路 88 号"
    world.e1.save()
    letter = services.issue_demand_letter(actor=None, unit=unit)
    login(client, world.users[Role.COMPANY_STAFF])
    text = "".join(pdfread.text(client.get(reverse("fees:letter_pdf", args=[letter.pk])).content).split())
    assert f"联系方式：{company.name}电话0571-86001234服务地址江滨路88号" in text
    assert "政务服务便民热线12345" in text


def test_without_a_company_the_letter_names_the_committee_and_else_the_community_office(world):
    from fees.models import DemandLetter

    letter = DemandLetter(estate=world.e2, unit=UnitFactory(building__estate=world.e2), issued_at=timezone.now())
    contact = selectors.letter_contact(letter)
    assert contact.name == f"{world.e2.community.name}居民委员会" and contact.hotline == "12345"
    seat_committee(world.e2)
    contact = selectors.letter_contact(letter)
    assert contact.name == f"{world.e2.name}业主委员会" and contact.phone == ""
