"""Maintenance-fund pages for every role: allowed and denied, bad input, the PDF read back, query counts."""

import re
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from community.models import Role
from fees.fund import selectors as fund_selectors
from fees.fund import services as fund_services
from fees.models import FundUse, FundUseStatus, LedgerEntry
from tests import pdfread
from tests.factories import OwnershipFactory, UnitFactory, login

from .fund_helpers import open_fund, run_vote

S = FundUseStatus
STAFF = [
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMMITTEE_MEMBER,
    Role.COMPANY_STAFF,
]  # a mediator reads no estate's fund: see test_grid_workers_and_mediators_cannot_plan
KEEPERS = {Role.DISTRICT_ADMIN, Role.STREET_STAFF}  # before the hand-over to the assembly
PROPOSERS = {Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF}


@pytest.fixture
def fund(world):
    return open_fund(world)


def _use(world, fund, **extra):
    return fund_services.plan_use(
        actor=None,
        estate=world.e1,
        title="3栋屋面防水翻新",
        kind="roof",
        plan="SBS 卷材两道",
        budget="10000.00",
        contractor="三元防水",
        buildings=[fund.building],
        **extra,
    )


def _cleared(world, fund):
    use = _use(world, fund, emergency=True, emergency_reason="漏水进户")
    use = fund_services.record_works_done(actor=None, use=use, done_on=timezone.localdate(), acceptance="合格")
    use = fund_services.apply_payout(actor=None, use=use, settlement="9999.99")
    return fund_services.review_payout(actor=None, use=use, approve=True)


# --------------------------------------------------------------------------- staff, every role


@pytest.mark.parametrize("role", STAFF)
def test_every_staff_role_sees_its_own_estates_fund_and_not_anothers(client, world, fund, role):
    login(client, world.users[role])
    assert client.get(reverse("fees:fund_workspace")).status_code == 200
    page = client.get(reverse("fees:fund_estate", args=[world.e1.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "维修资金" in body and "余额" in body
    assert ('name="action" value="interest"' in body) == (role in KEEPERS)
    assert ("提出使用方案" in body) == (role in PROPOSERS)
    assert client.get(reverse("fees:fund_estate", args=[world.other[role].pk])).status_code == 404


def test_owners_and_strangers_get_no_staff_pages(client, world, fund):
    assert client.get(reverse("fees:fund_workspace")).status_code == 302  # to the login page
    login(client, world.owner_user)
    assert client.get(reverse("fees:fund_workspace")).status_code == 403
    assert client.get(reverse("fees:fund_estate", args=[world.e1.pk])).status_code == 404
    use = _use(world, fund)
    assert client.get(reverse("fees:fund_use", args=[use.pk])).status_code == 404


@pytest.mark.parametrize("role", STAFF)
def test_posting_interest_is_the_keepers_alone(client, world, fund, role):
    login(client, world.users[role])
    before = LedgerEntry.objects.count()
    response = client.post(
        reverse("fees:fund_estate", args=[world.e1.pk]),
        {"action": "interest", "amount": "100.00", "on": timezone.localdate().isoformat(), "description": ""},
        follow=True,
    )
    if role in KEEPERS:
        assert "利息已按余额分配到 5 户" in response.content.decode()
        assert LedgerEntry.objects.count() == before + 5
    else:
        assert "没有权限" in response.content.decode()
        assert LedgerEntry.objects.count() == before


@pytest.mark.parametrize("role", STAFF)
def test_review_and_payout_follow_who_keeps_the_fund(client, world, fund, role):
    use = _use(world, fund, emergency=True, emergency_reason="漏水进户")
    use = fund_services.record_works_done(actor=None, use=use, done_on=timezone.localdate(), acceptance="合格")
    fund_services.apply_payout(actor=None, use=use, settlement="500.00")
    login(client, world.users[role])
    page = client.get(reverse("fees:fund_use", args=[use.pk])).content.decode()
    assert ('value="review"' in page) == (role in KEEPERS)
    response = client.post(
        reverse("fees:fund_use", args=[use.pk]), {"action": "review", "decision": "clear", "comments": ""}, follow=True
    )
    use.refresh_from_db()
    assert (use.status == S.CLEARED) == (role in KEEPERS)
    if role not in KEEPERS:
        assert "没有权限" in response.content.decode()


def test_the_payout_page_splits_to_the_cent_and_records_the_step(client, world, fund):
    use = _cleared(world, fund)
    login(client, world.users[Role.STREET_STAFF])
    response = client.post(
        reverse("fees:fund_use", args=[use.pk]),
        {"action": "pay", "paid_on": timezone.localdate().isoformat()},
        follow=True,
    )
    body = response.content.decode()
    assert "4 户分户账已按面积分摊记账" in body
    assert "2222.22" in body and "3333.33" in body
    assert LedgerEntry.objects.filter(fund_use=use).count() == 4


def test_a_new_plan_from_the_form_with_rooms(client, world, fund):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    url = reverse("fees:fund_use_new", args=[world.e1.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "3栋 1、2 单元雨棚",
            "kind": "other",
            "plan": "更换雨棚",
            "budget": "1000.00",
            "contractor": "某公司",
            "rooms": "3栋 101\n3栋 201",
        },
        follow=True,
    )
    assert "2 户按面积分摊" in response.content.decode()
    use = FundUse.objects.get()
    assert sorted(use.charged.values_list("planned_share", flat=True)) == [Decimal("500.00"), Decimal("500.00")]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"budget": "abc"}, "预算（元）：输入一个数字"),
        ({"rooms": "3栋 999"}, "本小区没有"),
        ({"contractor": ""}, "施工单位：必需字段"),
        ({"emergency": "on", "emergency_reason": ""}, "紧急情况"),
    ],
)
def test_bad_plans_show_their_error_and_write_nothing(client, world, fund, data, message):
    login(client, world.users[Role.COMMITTEE_MEMBER])
    form = {"title": "雨棚", "kind": "other", "plan": "更换", "budget": "1000.00", "contractor": "某公司", **data}
    response = client.post(reverse("fees:fund_use_new", args=[world.e1.pk]), form)
    assert message in response.content.decode()
    assert not FundUse.objects.exists()


def test_grid_workers_and_mediators_cannot_plan(client, world, fund):
    for role in (Role.GRID_WORKER, Role.MEDIATOR):
        login(client, world.users[role])
        assert client.get(reverse("fees:fund_use_new", args=[world.e1.pk])).status_code in (403, 404)
    assert client.get(reverse("fees:fund_estate", args=[world.e1.pk])).status_code in (403, 404)


# --------------------------------------------------------------------------- owners


def test_an_owner_sees_balance_alert_share_and_history(client, world, fund):
    unit = world.resident.ownerships.get().unit
    sub = unit.fund_subaccount
    fund_services.refund(
        actor=None, unit=unit, amount=sub.first_deposit - Decimal("100.00"), on=timezone.localdate(), reason="测试"
    )
    charged = fund_services.plan_use(
        actor=None,
        estate=world.e1,
        title="1 单元对讲门",
        kind="other",
        plan="更换",
        budget="300.00",
        contractor="某公司",
        units=[unit, fund.units[0]],
    )
    login(client, world.owner_user)
    body = client.get(reverse("fees:my_fund")).content.decode()
    assert "100.00" in body and "请按规定续交" in body
    assert charged.title in body
    share = charged.charged.get(unit=unit).planned_share
    assert str(share) in body
    assert "首期交存" in body and "维2020-" in body


def test_staff_without_an_owner_record_get_no_owner_page(client, world):
    login(client, world.users[Role.STREET_STAFF])
    assert client.get(reverse("fees:my_fund")).status_code == 403


def test_the_previous_owners_name_is_masked_for_the_new_owner(client, world, fund):
    unit = world.resident.ownerships.get().unit
    from community.models import Ownership

    Ownership.objects.filter(unit=unit).update(ended_on=date(2022, 12, 31))
    # the world's resident sold 101 in 2022 and bought 3栋 301 the next day
    OwnershipFactory(unit=unit, owner__name="王五", started_on=date(2023, 1, 1))
    OwnershipFactory(unit=fund.units[2], owner=world.resident, started_on=date(2023, 1, 1))
    login(client, world.owner_user)
    body = client.get(reverse("fees:my_fund")).content.decode()
    assert "3栋-301" in body and "王五" not in body


# --------------------------------------------------------------------------- public statement, PDF


def test_the_annual_statement_is_public_verifies_and_its_pdf_adds_up(client, world, fund, tmp_path):
    year = timezone.localdate().year - 1
    statement = fund_services.publish_fund_statement(
        actor=None, estate=world.e1, year=year, base_url="http://testserver"
    )
    listing = client.get(reverse("fees:fund_statements", args=[world.e1.pk])).content.decode()
    assert f"{year}年度" in listing
    url = reverse("fees:verify_fund", args=[world.e1.code, f"{year}-01-01", f"{year}-12-31"])
    assert client.get(url, {"fp": statement.fingerprint}).status_code == 200
    tampered = statement.fingerprint[:-1] + ("0" if statement.fingerprint[-1] != "0" else "1")
    assert client.get(url, {"fp": tampered}).status_code == 404
    empty = client.get(url)  # without a fingerprint: what to enter, not a failure
    body = empty.content.decode()
    assert empty.status_code == 200 and "核验未通过" not in body and 'id="verify-howto"' in body
    assert f'<code class="fingerprint">{statement.fingerprint}</code>' in body
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils (pdftotext) is not installed")
    path = tmp_path / "f.pdf"
    path.write_bytes(statement.pdf.read())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    money = r"(-?[\d,]+\.\d\d)"
    balances = [
        Decimal(m.group(1).replace(",", ""))
        for line in text.splitlines()
        if (m := re.match(rf"\s*\S+-\S+\s.*\s{money}\s*$", line)) and "合计" not in line
    ]
    total = [
        Decimal(m.group(1).replace(",", ""))
        for line in text.splitlines()
        if (m := re.match(rf"\s*合计\s.*\s{money}\s*$", line))
    ][-1]
    assert len(balances) == 5 and sum(balances) == total
    assert "张三丰" not in text and "三栋业主0" not in text


@pdfread.needs
def test_the_fund_statement_prints_its_qr_code_clear_of_the_account_number_and_every_word(world, fund):
    """The head is a table: the summary fills the width between the margins less the QR code's own
    column, and a long bank name and account number wrap inside their cell."""
    from fees.fund.pdf import fund_statement_pdf
    from fees.pdf import FRAME_PADDING, MARGIN

    year = timezone.localdate().year - 1
    data = fund_selectors.fund_statement(world.e1, date(year, 1, 1), date(year, 12, 31), label=f"{year}年度")
    data.account = "中国工商银行股份有限公司三元区支行营业部 6222 0212 3456 7890 1234 5678 901"
    body = fund_statement_pdf(data, verify=fund_selectors.verify_link("https://wy.example.gov.cn", data))
    qr = pdfread.ink_outside_words(body)
    assert qr is not None and qr.x1 - qr.x0 > 60  # the QR code is there, about 28 mm wide
    assert qr.x1 <= 595.28 - MARGIN - FRAME_PADDING + 1  # inside the right margin, where the text ends
    first_page = [w for w in pdfread.words(body) if w.page == 1]
    digits = [w for w in first_page if w.text in {"6222", "0212", "3456", "7890", "1234", "5678", "901"}]
    assert len(digits) == 7  # the whole account number is printed
    assert not [w.text for w in first_page if w.box.overlaps(qr)]
    text = pdfread.text(body)
    assert "中国工商银行股份有限公司" in text.replace(" ", "")


def test_a_fund_statement_is_listed_apart_from_fee_statements(client, world, fund):
    fund_services.publish_fund_statement(
        actor=None, estate=world.e1, year=timezone.localdate().year - 1, base_url="http://x"
    )
    body = client.get(reverse("fees:statements", args=[world.e1.pk])).content.decode()
    assert "尚未发布收支报表" in body


# --------------------------------------------------------------------------- query counts


def _grow(world, fund, extra):
    """More units, sub-accounts and use requests: the pages' query counts must not follow."""
    for index in range(extra):
        unit = UnitFactory(building=fund.building, room=f"8{index:02d}")
        OwnershipFactory(unit=unit)
    fund_services.open_subaccounts(actor=None, account=fund.account, on=timezone.localdate())
    for _index in range(extra):
        _use(world, fund)
    if extra > 1:  # more estates in the workspace, each with its own rule set's top-up share
        for estate in (world.e2, world.e3):
            fund_services.open_account(
                actor=None,
                estate=estate,
                bank="建行",
                account_number=f"X{estate.pk}",
                construction_cost="2000",
                deposit_pct="6",
                custodian="中心",
                opened_on=date(2020, 1, 1),
            )


@pytest.mark.parametrize("extra", [1, 8])
def test_fund_pages_do_not_grow_with_their_rows(client, world, fund, django_assert_max_num_queries, extra):
    _grow(world, fund, extra)
    use = run_vote(_use(world, fund), fund.owners)
    login(client, world.users[Role.STREET_STAFF])
    with django_assert_max_num_queries(20):
        assert client.get(reverse("fees:fund_workspace")).status_code == 200
    with django_assert_max_num_queries(29):
        assert client.get(reverse("fees:fund_estate", args=[world.e1.pk])).status_code == 200
    with django_assert_max_num_queries(25):
        assert client.get(reverse("fees:fund_use", args=[use.pk])).status_code == 200
    login(client, fund.owners[0].user or _owner_login(fund.owners[0]))
    with django_assert_max_num_queries(15 + 2):
        assert client.get(reverse("fees:my_fund")).status_code == 200


def _owner_login(owner):
    from tests.factories import UserFactory

    owner.user = UserFactory(username=f"o{owner.pk}")
    owner.save()
    return owner.user


def test_balances_are_read_in_whole_cents(world, fund):
    assert fund_selectors.estate_totals(fund.account)["balance"] == sum(
        (s.first_deposit for s in fund.account.subaccounts.all()), Decimal("0.00")
    )


def test_the_committee_puts_a_plan_to_the_vote_from_its_page(client, world, fund):
    use = _use(world, fund)
    login(client, world.users[Role.COMMITTEE_MEMBER])
    url = reverse("fees:fund_use", args=[use.pk])
    opens = timezone.localtime() + timezone.timedelta(days=16)
    fmt = "%Y-%m-%dT%H:%M"
    bad = client.post(
        url, {"action": "vote", "opens_at": opens.strftime(fmt), "closes_at": opens.strftime(fmt)}, follow=True
    )
    assert "结束时间须晚于开始时间" in bad.content.decode()
    early = client.post(
        url,
        {
            "action": "vote",
            "opens_at": (opens - timezone.timedelta(days=10)).strftime(fmt),
            "closes_at": opens.strftime(fmt),
        },
        follow=True,
    )
    assert "须提前 15 日通知" in early.content.decode()
    use.refresh_from_db()
    assert use.status == S.PLANNED and use.vote is None
    ok = client.post(
        url,
        {
            "action": "vote",
            "opens_at": opens.strftime(fmt),
            "closes_at": (opens + timezone.timedelta(days=5)).strftime(fmt),
        },
        follow=True,
    )
    assert "业主表决已召集" in ok.content.decode()
    use.refresh_from_db()
    assert use.status == S.VOTING and use.vote.matter == 5 and use.vote.units.count() == 4


@pytest.mark.parametrize("role", [Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF])
def test_the_admin_shows_the_fund_read_only_and_in_scope(client, world, fund, role):
    other = fund_services.open_account(
        actor=None,
        estate=world.other[role],
        bank="建行",
        account_number="OTHER-9999",
        construction_cost="2000",
        deposit_pct="6",
        custodian="中心",
        opened_on=date(2020, 1, 1),
    )
    login(client, world.users[role])
    page = client.get(reverse("admin:fees_fundaccount_changelist")).content.decode()
    assert "3500-0001" in page and other.account_number not in page
    assert client.get(reverse("admin:fees_fundaccount_add")).status_code == 403
    use = _use(world, fund)
    assert client.post(reverse("admin:fees_funduse_delete", args=[use.pk]), {"post": "yes"}).status_code in (302, 403)
    assert FundUse.objects.filter(pk=use.pk).exists()
    assert client.get(reverse("admin:fees_subaccount_changelist")).status_code == 200


def test_the_public_estate_page_links_to_its_fund_statements(client, world, fund):
    from cms.services import ensure_page

    page = ensure_page(world.e1)
    body = client.get(page.url).content.decode()
    assert reverse("fees:fund_statements", args=[world.e1.pk]) in body
