"""Household members (issue 21, item 4): invitations and their errors, joining, removing and
leaving, sharing bills, the membership lapsing with the inviter's sale, members never voting
and seeing bills only when shared; the /me/household/ page for every kind of account."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cms import services as cms
from committees.models import Ballot, Vote
from community.models import AuditEvent, Role
from community.services import transfer_unit
from fees import services as fees
from fees.models import Bill
from residents import household
from residents.models import Household, VerifiedMobile
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, login
from tests.fees.conftest import publish

from .household_helpers import account, home_of, sms_reader, yesterday

MOBILE = "13800000001"


@pytest.fixture
def home(world):
    return home_of(world)


@pytest.fixture
def sms_log(settings):
    return sms_reader(settings.SMS_FILE_PATH)


def invite(world, unit, mobile=MOBILE, **kwargs):
    return household.invite(
        actor=kwargs.pop("actor", world.owner_user),
        unit=unit,
        mobile=mobile,
        relation=kwargs.pop("relation", "family"),
        **kwargs,
    )


def member_of(world, unit, username="family", mobile=MOBILE, *, share=False):
    """An account that proved ``mobile`` and joined ``unit`` on the resident's invitation."""
    user = account(username, mobile)
    row = invite(world, unit, mobile)
    if share:
        household.share_bills(actor=world.owner_user, household=row, share=True)
    return user, Household.objects.get(pk=row.pk)


def actions(name):
    return AuditEvent.objects.filter(action=name).count()


# --------------------------------------------------------------------------- inviting


def test_an_invitation_to_an_unknown_mobile_is_kept_and_texted_with_the_register_link(world, home, sms_log, settings):
    settings.SITE_URL = "https://wuye.example.cn"
    row = invite(world, home, "138 0000 0001", name="小明", relation="tenant")
    assert row.joined is False and row.sms_error == ""
    saved = Household.objects.get(pk=row.pk)
    assert (saved.mobile, saved.name, saved.relation, saved.user, saved.owner) == (
        MOBILE,
        "小明",
        "tenant",
        None,
        world.resident,
    )
    text = sms_log()
    assert MOBILE in text and "https://wuye.example.cn/register/" in text
    assert "江滨豪园" in text and home.room in text and "张**" in text and "张三丰" not in text
    event = AuditEvent.objects.get(action="household_invite")
    assert event.user == world.owner_user and MOBILE not in str(event.detail)


def test_an_account_that_proved_the_mobile_joins_at_once_without_a_text(world, home, sms_log):
    member = account("family", MOBILE)
    row = invite(world, home)
    assert row.joined is True and row.sms_error == ""
    saved = Household.objects.get(pk=row.pk)
    assert saved.user == member and saved.joined_at is not None
    assert MOBILE not in sms_log()
    assert actions("household_join") == 1
    assert [h.pk for h in household.memberships(member)] == [row.pk]


def test_a_refused_text_is_reported_and_the_invitation_stays(world, home, monkeypatch):
    monkeypatch.setattr(household, "send_sms_now", lambda mobile, text, event: "空号")
    row = invite(world, home)
    assert row.sms_error == "空号" and Household.objects.filter(pk=row.pk, removed_at__isnull=True).exists()

    def broken(mobile, text, event):
        raise RuntimeError("SMS_GATEWAY_URL is not set")

    monkeypatch.setattr(household, "send_sms_now", broken)
    second = invite(world, home, "13800000002")
    assert "SMS_GATEWAY_URL" in second.sms_error and Household.objects.filter(pk=second.pk).exists()


@pytest.mark.parametrize(
    "change,message",
    [
        ({"mobile": "1380000000"}, "11 位手机号码"),
        ({"mobile": "23800000001"}, "11 位手机号码"),
        ({"mobile": ""}, "11 位手机号码"),
        ({"relation": "friend"}, "关系"),
        ({"name": "长" * 51}, "称呼最多 50"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(world, home, change, message):
    with pytest.raises(ValidationError, match=message):
        invite(world, home, **{"mobile": MOBILE, **change})
    assert not Household.objects.exists() and actions("household_invite") == 0


def test_the_same_mobile_twice_on_one_unit_is_refused(world, home):
    invite(world, home)
    with pytest.raises(ValidationError, match="已在本房屋"):
        invite(world, home, "13800000001")
    assert Household.objects.count() == 1 and actions("household_invite") == 1


def test_an_owner_cannot_invite_themself_nor_a_co_owner(world, home):
    VerifiedMobile.objects.create(user=world.owner_user, mobile="13912345678")
    with pytest.raises(ValidationError, match="不能邀请自己"):
        invite(world, home, "13912345678")
    co_owner = OwnerFactory(name="共有人", user=account("co_owner", "13800000009"))
    OwnershipFactory(unit=home, owner=co_owner)
    with pytest.raises(ValidationError, match="本房屋的业主"):
        invite(world, home, "13800000009")
    assert not Household.objects.exists()


def test_at_most_ten_open_members_per_unit(world, home):
    for n in range(household.MAX_MEMBERS):
        invite(world, home, f"1380000{n:04d}")
    with pytest.raises(ValidationError, match="最多邀请 10 位"):
        invite(world, home, "13899999999")
    assert Household.objects.count() == 10
    # A removed one frees a place.
    household.remove(actor=world.owner_user, household=Household.objects.first())
    invite(world, home, "13899999999")


@pytest.mark.parametrize("who", ["plain", "staff", "other_owner", "anonymous"])
def test_only_an_owner_holding_the_unit_invites(world, home, who):
    from django.contrib.auth.models import AnonymousUser

    if who == "plain":
        actor = UserFactory(username="plain")
    elif who == "staff":
        actor = world.users[Role.COMMUNITY_STAFF]
    elif who == "other_owner":
        other = OwnerFactory(name="邻居", user=UserFactory(username="neighbour"))
        OwnershipFactory(unit=UnitFactory(building=home.building, room="102"), owner=other)
        actor = other.user
    else:
        actor = AnonymousUser()
    with pytest.raises(PermissionDenied, match="现业主"):
        invite(world, home, actor=actor)
    assert not Household.objects.exists() and actions("household_invite") == 0


def test_a_former_owner_can_no_longer_invite(world, home):
    transfer_unit(actor=None, unit=home, new_owners=[OwnerFactory(name="买家")], on=timezone.localdate())
    with pytest.raises(PermissionDenied):
        invite(world, home)


# --------------------------------------------------------------------------- joining


def test_joining_later_attaches_every_open_invitation_for_the_proved_mobile(world, home):
    second_unit = UnitFactory(building__estate=world.e2, room="501")
    OwnershipFactory(unit=second_unit, owner=world.resident)
    first, second = invite(world, home), invite(world, second_unit)
    user = UserFactory(username="later")
    assert household.join_invited(user=user) == 0  # no proven mobile yet
    VerifiedMobile.objects.create(user=user, mobile=MOBILE)
    assert household.join_invited(user=user) == 2
    assert set(Household.objects.filter(user=user).values_list("pk", flat=True)) == {first.pk, second.pk}
    assert actions("household_join") == 2
    assert household.join_invited(user=user) == 0  # nothing left to attach


def test_joining_skips_an_invitation_whose_inviter_has_sold(world, home):
    invite(world, home)
    transfer_unit(actor=None, unit=home, new_owners=[OwnerFactory(name="买家")], on=timezone.localdate())
    user = account("late", MOBILE)
    assert household.join_invited(user=user) == 0
    assert not Household.objects.filter(user=user).exists()


# --------------------------------------------------------------------------- removing, leaving, sharing


def test_the_owner_removes_a_member_and_the_member_can_leave(world, home):
    member, row = member_of(world, home)
    household.remove(actor=world.owner_user, household=row)
    assert Household.objects.get(pk=row.pk).removed_at is not None
    assert list(household.memberships(member)) == []
    with pytest.raises(ValidationError, match="已移除"):
        household.remove(actor=world.owner_user, household=row)
    again = invite(world, home)  # the mobile may be invited again
    assert again.joined and household.memberships(member).get().pk == again.pk
    household.remove(actor=member, household=again)
    assert list(household.memberships(member)) == []
    assert AuditEvent.objects.filter(action="household_change", detail__change="leave").count() == 1
    assert AuditEvent.objects.filter(action="household_change", detail__change="remove").count() == 1


def test_a_co_owner_may_remove_but_a_stranger_or_another_member_may_not(world, home):
    _member, row = member_of(world, home)
    other_member = account("other", "13800000002")
    invite(world, home, "13800000002")
    for actor in (UserFactory(username="stranger"), other_member, world.users[Role.COMMUNITY_STAFF]):
        with pytest.raises(PermissionDenied, match="业主或成员本人"):
            household.remove(actor=actor, household=row)
    assert Household.objects.get(pk=row.pk).removed_at is None
    co_owner = OwnerFactory(name="共有人", user=UserFactory(username="co"))
    OwnershipFactory(unit=home, owner=co_owner)
    household.remove(actor=co_owner.user, household=row)
    assert Household.objects.get(pk=row.pk).removed_at is not None


def test_sharing_bills_on_and_off_by_an_owner_only(world, home):
    member, row = member_of(world, home)
    assert household.shared_units(member) == []
    with pytest.raises(PermissionDenied):
        household.share_bills(actor=member, household=row, share=True)
    household.share_bills(actor=world.owner_user, household=row, share=True)
    assert household.shared_units(member) == [(home, world.resident)]
    household.share_bills(actor=world.owner_user, household=row, share=False)
    assert household.shared_units(member) == []
    assert AuditEvent.objects.filter(action="household_change", detail__change="share_bills").count() == 2


def test_the_membership_lapses_from_the_day_after_the_inviters_sale_without_a_write(world, home):
    member, row = member_of(world, home, share=True)
    buyer = OwnerFactory(name="买家", user=UserFactory(username="buyer"))
    transfer_unit(actor=None, unit=home, new_owners=[buyer], on=timezone.localdate())  # seller's last day: yesterday
    assert Household.objects.get(pk=row.pk).removed_at is None
    assert list(household.memberships(member)) == []
    assert household.shared_units(member) == []
    assert [h.pk for h in household.memberships(member, on=yesterday())] == [row.pk]
    # The buyer does not inherit the seller's household; inviting the same mobile closes the lapsed row.
    assert household.members_of_owner(buyer)[0].members == []
    with pytest.raises(ValidationError, match="已失效"):
        household.share_bills(actor=buyer.user, household=row, share=False)
    fresh = household.invite(actor=buyer.user, unit=home, mobile=MOBILE, relation="tenant")
    assert fresh.joined and Household.objects.get(pk=row.pk).removed_at is not None


def test_members_of_owner_lists_each_held_unit_with_members_and_invitations(world, home):
    member, row = member_of(world, home)
    pending = invite(world, home, "13800000002")
    second_unit = UnitFactory(building__estate=world.e1, room="202")
    OwnershipFactory(unit=second_unit, owner=world.resident)
    homes = {h.unit.pk: [m.pk for m in h.members] for h in household.members_of_owner(world.resident)}
    assert homes == {home.pk: [row.pk, pending.pk], second_unit.pk: []}


# --------------------------------------------------------------------------- members never vote; bills only shared


@pytest.fixture
def open_vote(world):
    now = timezone.now()
    return Vote.objects.create(
        estate=world.e1,
        matter=Vote._meta.get_field("matter").choices[0][0],
        question="是否同意修订管理规约",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=3),
    )


def test_a_member_cannot_vote_nor_see_the_votes_or_the_fund(client, world, home, open_vote):
    member, _row = member_of(world, home, share=True)
    login(client, member)
    assert client.get(reverse("committees:my_votes")).status_code == 403
    assert client.get(reverse("committees:ballot", args=[open_vote.pk])).status_code in (403, 404)
    post = client.post(
        reverse("committees:ballot", args=[open_vote.pk]), {"holder": str(world.resident.pk), "choice": "yes"}
    )
    assert post.status_code in (403, 404)
    assert not Ballot.objects.exists()
    assert client.get(reverse("fees:my_fund")).status_code == 403


@pytest.fixture
def billed(world, home):
    publish(world.e1)
    fees.run_billing(actor=None, estate=world.e1, period=date(2026, 1, 1))
    payment = fees.record_payment(
        actor=None,
        unit=home,
        amount="50.00",
        paid_on=timezone.localdate(),
        method="cash",
        payer="张三丰",
        bills=list(home.bills.all()),
    )
    return payment


def test_a_member_sees_the_bills_only_while_shared_and_never_the_receipt(client, world, home, billed):
    neighbour = UnitFactory(building=home.building, room="102")
    OwnershipFactory(unit=neighbour, owner=OwnerFactory(name="邻居王"), started_on=date(2015, 1, 1))
    fees.run_billing(actor=None, estate=world.e1, period=date(2026, 1, 1))
    member, row = member_of(world, home)
    login(client, member)
    assert client.get(reverse("fees:my_bills")).status_code == 403
    household.share_bills(actor=world.owner_user, household=row, share=True)
    response = client.get(reverse("fees:my_bills"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "业主共享给我的账单" in body and "物业服务费" in body and str(home.room) in body
    assert "102" not in body  # only the shared unit
    assert billed.receipt_no not in body and reverse("fees:receipt_pdf", args=[billed.pk]) not in body
    assert client.get(reverse("fees:receipt_pdf", args=[billed.pk])).status_code == 404
    shown = {b.pk for b in response.context["shared_bills"]}
    assert shown == set(Bill.objects.filter(unit=home).values_list("pk", flat=True))
    household.share_bills(actor=world.owner_user, household=row, share=False)
    assert client.get(reverse("fees:my_bills")).status_code == 403


def test_shared_bills_follow_the_sharing_owners_holding(world, home, billed):
    member, _row = member_of(world, home, share=True)
    from fees import selectors

    pairs = household.shared_units(member)
    assert selectors.bills_of_holdings(pairs).count() == Bill.objects.filter(unit=home).count() > 0
    transfer_unit(actor=None, unit=home, new_owners=[OwnerFactory(name="买家")], on=timezone.localdate())
    assert household.shared_units(member) == []
    assert selectors.bills_of_holdings([(home, world.resident)]).count() == 0  # the seller no longer holds it


def test_an_owner_who_is_also_a_member_elsewhere_sees_both(client, world, home, billed):
    other_owner = OwnerFactory(name="王五", user=account("wangwu", "13800000005"))
    OwnershipFactory(unit=UnitFactory(building=home.building, room="301"), owner=other_owner)
    row = invite(world, home, "13800000005")
    household.share_bills(actor=world.owner_user, household=row, share=True)
    login(client, other_owner.user)
    response = client.get(reverse("fees:my_bills"))
    assert response.status_code == 200 and response.context["is_owner"] and response.context["shared_bills"]


def test_the_bills_page_with_shared_units_runs_a_fixed_number_of_queries(
    client, world, home, billed, django_assert_max_num_queries
):
    for month in range(2, 7):
        fees.run_billing(actor=None, estate=world.e1, period=date(2026, month, 1))
    member, _row = member_of(world, home, share=True)
    login(client, member)
    with django_assert_max_num_queries(11):  # +1: the bar asks whether a member has a home to report on (报事报修)
        assert client.get(reverse("fees:my_bills")).status_code == 200


# --------------------------------------------------------------------------- the page


STAFF = [
    Role.DISTRICT_ADMIN,
    Role.STREET_STAFF,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.COMMITTEE_MEMBER,
    Role.COMPANY_STAFF,
    Role.MEDIATOR,
]
URL = "/me/household/"


def test_the_url_name():
    assert reverse("residents:household") == URL


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(URL, {"action": "invite", "mobile": MOBILE})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Household.objects.exists()


@pytest.mark.parametrize("role", STAFF)
def test_staff_without_a_home_are_told_how_to_bind(client, world, role):
    login(client, world.users[role])
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="/me/binding/"' in body and 'name="mobile"' not in body and "我加入的家庭" not in body


def test_a_plain_account_is_told_how_to_bind(client, world):
    login(client, account("plain"))
    body = client.get(URL).content.decode()
    assert 'href="/me/binding/"' in body and "尚未绑定房屋" in body


def test_the_owner_sees_units_members_masked_and_the_invite_form(client, world, home):
    member_of(world, home, share=True)
    invite(world, home, "13800000002", name="租客小李", relation="tenant")
    login(client, world.owner_user)
    body = client.get(URL).content.decode()
    assert "江滨豪园" in body and 'name="mobile"' in body and f'value="{home.pk}"' in body
    assert "138****0001" in body and "13800000001" not in body and "租客小李" in body
    assert "已加入" in body and "待注册" in body and "停止共享" in body and "共享账单" in body
    assert 'href="/me/binding/"' not in body


def test_the_owner_invites_shares_and_removes_through_the_page(client, world, home, sms_log):
    login(client, world.owner_user)
    response = client.post(
        URL, {"action": "invite", "unit": home.pk, "mobile": MOBILE, "name": "妈妈", "relation": "family"}
    )
    assert response.status_code == 302 and response["Location"] == URL
    row = Household.objects.get()
    assert row.name == "妈妈" and MOBILE in sms_log()
    assert "邀请已发出" in client.get(URL).content.decode()
    client.post(URL, {"action": "share", "household": row.pk})
    assert Household.objects.get().shares_bills
    client.post(URL, {"action": "unshare", "household": row.pk})
    assert not Household.objects.get().shares_bills
    client.post(URL, {"action": "remove", "household": row.pk})
    assert Household.objects.get().removed_at is not None
    assert "已移除" in client.get(URL).content.decode()


def test_a_bad_invite_on_the_page_says_why_and_writes_nothing(client, world, home):
    login(client, world.owner_user)
    client.post(URL, {"action": "invite", "unit": home.pk, "mobile": "12345", "relation": "family"})
    assert "11 位手机号码" in client.get(URL).content.decode()
    client.post(URL, {"action": "invite", "unit": home.pk, "mobile": "", "relation": "family"})
    assert "请填写被邀请人的手机号码" in client.get(URL).content.decode()
    other = UnitFactory(building=home.building, room="909")
    client.post(URL, {"action": "invite", "unit": other.pk, "mobile": MOBILE, "relation": "family"})
    assert "现业主" in client.get(URL).content.decode()
    assert not Household.objects.exists()


def test_someone_elses_household_row_is_not_found(client, world, home):
    _member, row = member_of(world, home)
    stranger = OwnerFactory(name="路人", user=UserFactory(username="passer"))
    OwnershipFactory(unit=UnitFactory(building=home.building, room="808"), owner=stranger)
    login(client, stranger.user)
    for action in ("remove", "share", "leave"):
        assert client.post(URL, {"action": action, "household": row.pk}).status_code == 404
    assert client.post(URL, {"action": "remove", "household": "x"}).status_code == 404
    row.refresh_from_db()
    assert row.removed_at is None and not row.shares_bills


def test_a_member_sees_their_home_the_estates_notices_and_can_leave(client, world, home):
    notice = cms.draft_notice(estate=world.e1, category="general", title="停水通知", body="周六停水。")
    cms.publish_notice(actor=None, notice=notice)
    hidden = cms.draft_notice(estate=world.e2, category="general", title="别的小区的通知", body="无关。")
    cms.publish_notice(actor=None, notice=hidden)
    member, row = member_of(world, home, share=True)
    login(client, member)
    body = client.get(URL).content.decode()
    assert "我加入的家庭" in body and "江滨豪园" in body and home.room in body and "张三丰" in body
    assert "停水通知" in body and "别的小区的通知" not in body
    assert reverse("fees:my_bills") in body and 'name="mobile"' not in body
    assert world.e1.page.url in body
    client.post(URL, {"action": "leave", "household": row.pk})
    assert Household.objects.get(pk=row.pk).removed_at is not None
    assert "尚未绑定房屋" in client.get(URL).content.decode()


def test_the_page_runs_a_fixed_number_of_queries(client, world, home, django_assert_max_num_queries):
    for n in range(8):
        invite(world, home, f"1380000{n:04d}")
    second_unit = UnitFactory(building__estate=world.e2, room="501")
    OwnershipFactory(unit=second_unit, owner=world.resident)
    invite(world, second_unit, "13800000000")
    login(client, world.owner_user)
    with django_assert_max_num_queries(9):
        assert client.get(URL).status_code == 200

    for title in ("通知一", "通知二", "通知三"):
        cms.publish_notice(
            actor=None, notice=cms.draft_notice(estate=world.e1, category="general", title=title, body="x")
        )
    member = UserFactory(username="member")
    VerifiedMobile.objects.create(user=member, mobile="13800000000")
    assert household.join_invited(user=member) == 2  # a member of two homes in two estates
    client.logout()
    login(client, member)
    with django_assert_max_num_queries(11):  # +1: the bar asks whether a member has a home to report on (报事报修)
        body = client.get(URL).content.decode()
    assert "通知三" in body
