"""The estate page's management changes and the list of estates without a manager, for every role."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from committees.models import ContractDecision, Matter, Vote, VoteStatus
from community.models import Estate, PropertyCompany, Role, SelfManagementPeriod, ServiceContract
from community.tenure import services
from community.tenure.selectors import management_history, unmanaged_estates, unmanaged_since
from tests.factories import CompanyFactory, EstateFactory, contract, login, valid_uscc
from tests.world import PERSON_ROLES

pytestmark = pytest.mark.django_db
CHANGERS = [Role.DISTRICT_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER]
NOT_CHANGERS = [Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR]
REGISTRY_ROLES = [r for r in PERSON_ROLES if r not in (Role.MEDIATOR, Role.UNIT_STAFF)]


def estate_page(client, estate):
    return client.get(reverse("community:estate_detail", args=[estate.pk])).content.decode()


def sign_url(estate):
    return reverse("community:management_sign", args=[estate.pk])


def sign_data(**extra):
    return {"mode": "lump_sum", "starts_on": "2027-01-01", "ends_on": "2029-12-31", **extra}


# --------------------------------------------------------------------------- who sees and posts


@pytest.mark.parametrize("role", CHANGERS)
def test_registry_keepers_see_the_forms_and_sign_in_their_scope(client, world, role):
    login(client, world.users[role])
    page = estate_page(client, world.e1)
    assert "管理变更" in page and sign_url(world.e1) in page
    company = CompanyFactory()
    response = client.post(
        sign_url(world.e2 if role != Role.GRID_WORKER else world.e1),
        sign_data(company=company.pk, starts_on="2040-01-01", ends_on="2041-12-31"),
    )
    assert response.status_code == 302 and response.url.endswith("#management")
    assert ServiceContract.objects.filter(company=company).count() == 1


@pytest.mark.parametrize("role", CHANGERS)
def test_registry_keepers_are_refused_outside_their_scope(client, world, role):
    login(client, world.users[role])
    other = world.other[role]
    company = CompanyFactory()
    assert client.post(sign_url(other), sign_data(company=company.pk)).status_code == 403
    assert (
        client.post(reverse("community:management_self_start", args=[other.pk]), {"on": "2030-01-01"}).status_code
        == 403
    )
    assert not ServiceContract.objects.filter(company=company).exists()


@pytest.mark.parametrize("role", NOT_CHANGERS)
def test_other_roles_see_no_forms_and_every_post_is_forbidden(client, world, role):
    login(client, world.users[role])
    if role != Role.MEDIATOR:
        page = estate_page(client, world.e1)
        assert "管理变更" not in page and sign_url(world.e1) not in page
        assert (
            ServiceContract.objects.get(estate=world.e1).company.name in page
        )  # the contract list is for every viewer
    signed = ServiceContract.objects.get(estate=world.e1)
    posts = [
        (sign_url(world.e1), sign_data(company=CompanyFactory().pk)),
        (reverse("community:management_renew", args=[world.e1.pk, signed.pk]), {"ends_on": "2040-01-01"}),
        (
            reverse("community:management_terminate", args=[world.e1.pk, signed.pk]),
            {"last_day": str(timezone.localdate())},
        ),
        (reverse("community:management_self_start", args=[world.e2.pk]), {"on": "2030-01-01"}),
        (reverse("community:management_self_end", args=[world.e1.pk]), {"last_day": "2030-01-01"}),
        (reverse("community:management_unmanaged", args=[world.e1.pk]), {"last_day": str(timezone.localdate())}),
        (reverse("committees:contract_votes", args=[world.e1.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("committees:contract_votes", args=[world.e1.pk])).status_code == 403
    signed.refresh_from_db()
    assert signed.terminated_on is None and ServiceContract.objects.count() == 2
    assert not SelfManagementPeriod.objects.exists()


def test_owners_are_forbidden_and_anonymous_visitors_sent_to_login(client, world):
    login(client, world.owner_user)
    assert client.post(sign_url(world.e2), sign_data(company=CompanyFactory().pk)).status_code == 403
    assert client.get(reverse("community:unmanaged")).status_code == 403
    client.logout()
    response = client.post(sign_url(world.e2), sign_data())
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_an_estate_that_does_not_exist_gets_the_same_answer_as_one_out_of_scope(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.post(sign_url(world.e3), sign_data()).status_code == 403
    assert client.post(reverse("community:management_sign", args=[999999]), sign_data()).status_code == 403


def test_a_contract_of_another_estate_is_not_found(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    foreign = ServiceContract.objects.get(estate=world.e3)
    url = reverse("community:management_terminate", args=[world.e1.pk, foreign.pk])
    assert client.post(url, {"last_day": str(timezone.localdate())}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.terminated_on is None


def test_get_is_not_allowed_on_the_action_urls(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert client.get(sign_url(world.e2)).status_code == 405


# --------------------------------------------------------------------------- each action


def test_signing_with_a_new_company_registers_it_and_drafts_the_notice(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    response = client.post(
        sign_url(world.e2),
        sign_data(
            new_company_name="新城物业服务有限公司",
            new_company_uscc=valid_uscc(777),
            new_company_phone="0598-1",
            starts_on="2030-01-01",
            ends_on="2032-12-31",
        ),
        follow=True,
    )
    page = response.content.decode()
    assert "已登记物业服务合同" in page
    company = PropertyCompany.objects.get(uscc=valid_uscc(777))
    assert ServiceContract.objects.get(estate=world.e2).company == company
    from cms.models import NoticePage

    assert (
        NoticePage.objects.filter(
            source__startswith="community.ServiceContract:", title__startswith=world.e2.name
        ).count()
        == 1
    )


def test_a_refused_contract_keeps_the_new_company_out_too(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.post(
        sign_url(world.e1),
        sign_data(
            new_company_name="新城物业服务有限公司",
            new_company_uscc=valid_uscc(778),
            starts_on=str(timezone.localdate()),
            ends_on="2099-12-31",
        ),
        follow=True,
    ).content.decode()
    assert "合同期不能重叠" in page
    assert not PropertyCompany.objects.filter(uscc=valid_uscc(778)).exists()


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (sign_data(), "二者选一"),
        (sign_data(company="1", new_company_name="x", new_company_uscc="y"), "二者选一"),
        (sign_data(new_company_name="坏码物业", new_company_uscc="123"), "统一社会信用代码无效"),
        (sign_data(company="1", starts_on="明天"), "起始日期"),
        (sign_data(company="1", ends_on="2026-01-01"), "终止日期不能早于起始日期"),
    ],
)
def test_bad_input_shows_the_error_and_writes_nothing(client, world, data, shown):
    login(client, world.users[Role.COMMUNITY_STAFF])
    if data.get("company") == "1":
        data = {**data, "company": str(PropertyCompany.objects.order_by("pk").first().pk)}
    before = (ServiceContract.objects.count(), PropertyCompany.objects.count())
    page = client.post(sign_url(world.e2), data, follow=True).content.decode()
    assert shown in page
    assert (ServiceContract.objects.count(), PropertyCompany.objects.count()) == before


def test_renew_terminate_and_mark_unmanaged_through_the_page(client, world):
    login(client, world.users[Role.GRID_WORKER])
    signed = ServiceContract.objects.get(estate=world.e1)
    renew = reverse("community:management_renew", args=[world.e1.pk, signed.pk])
    page = client.post(renew, {"ends_on": str(signed.ends_on + timedelta(days=730))}, follow=True).content.decode()
    assert "已续签" in page
    renewal = ServiceContract.objects.filter(estate=world.e1).latest("starts_on")
    assert renewal.starts_on == signed.ends_on + timedelta(days=1) and renewal.mode == signed.mode
    page = client.post(renew, {"ends_on": str(signed.ends_on + timedelta(days=900))}, follow=True).content.decode()
    assert "只能续签最近的一份合同" in page
    today = timezone.localdate()
    page = client.post(
        reverse("community:management_unmanaged", args=[world.e1.pk]), {"last_day": str(today)}, follow=True
    ).content.decode()
    assert "后续的物业服务合同" in page  # the renewal follows; nothing changed
    client.post(
        reverse("community:management_terminate", args=[world.e1.pk, renewal.pk]), {"last_day": str(renewal.starts_on)}
    )
    renewal.refresh_from_db()
    assert renewal.terminated_on == renewal.starts_on


def test_self_management_starts_and_ends_through_the_page(client, world):
    login(client, world.users[Role.COMMUNITY_STAFF])
    start = reverse("community:management_self_start", args=[world.e2.pk])
    page = client.post(start, {"on": "2020-01-01", "note": "业主自管会成立"}, follow=True).content.decode()
    assert "已登记：自 2020-01-01 起业主自行管理" in page
    assert "业主自行管理" in estate_page(client, world.e2)
    page = client.post(start, {"on": "2021-01-01"}, follow=True).content.decode()
    assert "已处于自行管理状态" in page
    page = client.post(
        reverse("community:management_self_end", args=[world.e2.pk]), {"last_day": "2019-12-31"}, follow=True
    ).content.decode()
    assert "终止日期不能早于起始日期" in page
    client.post(reverse("community:management_self_end", args=[world.e2.pk]), {"last_day": "2022-06-30"})
    assert SelfManagementPeriod.objects.get(estate=world.e2).ended_on == date(2022, 6, 30)


def test_the_contract_list_links_the_deciding_vote(client, world):
    signed = ServiceContract.objects.get(estate=world.e1)
    opens = datetime(2023, 3, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    vote = Vote.objects.create(
        estate=world.e1,
        matter=Matter.MANAGER,
        question="选聘测试物业",
        opens_at=opens,
        closes_at=opens + timedelta(days=10),
        status=VoteStatus.CLOSED,
        result={"decided": True},
    )
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.get(reverse("committees:contract_votes", args=[world.e1.pk])).content.decode()
    assert "选聘测试物业" in page
    client.post(
        reverse("committees:contract_votes", args=[world.e1.pk]),
        {"contract": signed.pk, "vote": vote.pk, "kind": "hire"},
    )
    assert ContractDecision.objects.filter(contract=signed, vote=vote).exists()
    page = estate_page(client, world.e1)
    assert "选聘测试物业" in page and reverse("committees:turnout", args=[vote.pk]) in page
    # A grid worker keeps the registry but convenes no vote: the vote is named, not linked.
    login(client, world.users[Role.GRID_WORKER])
    page = estate_page(client, world.e1)
    assert "选聘测试物业" in page and reverse("committees:turnout", args=[vote.pk]) not in page
    # A failed vote of the estate is refused with its message.
    failed = Vote.objects.create(
        estate=world.e1,
        matter=Matter.MANAGER,
        question="解聘",
        opens_at=opens,
        closes_at=opens + timedelta(days=10),
        status=VoteStatus.CLOSED,
        result={"decided": False},
    )
    login(client, world.users[Role.COMMUNITY_STAFF])
    page = client.post(
        reverse("committees:contract_votes", args=[world.e1.pk]),
        {"contract": signed.pk, "vote": failed.pk, "kind": "hire"},
        follow=True,
    ).content.decode()
    assert "未获通过" in page and ContractDecision.objects.count() == 1


# --------------------------------------------------------------------------- the unmanaged list


def make_unmanaged(world):
    """E2 (delivered 2015-01-01, never managed), plus estates that lost their manager at known dates."""
    grid = world.e1.grid
    lost = EstateFactory(grid=grid, name="合同期满小区", delivered_on=date(2010, 1, 1))
    contract(lost, starts_on=date(2010, 1, 1), ends_on=date(2019, 12, 31))
    ended_early = EstateFactory(grid=grid, name="提前解约小区", delivered_on=date(2010, 1, 1))
    services.terminate_contract(
        actor=None,
        contract=contract(ended_early, starts_on=date(2012, 1, 1), ends_on=date(2030, 1, 1)),
        last_day=date(2014, 12, 31),
    )
    self_ended = EstateFactory(grid=grid, name="自管结束小区", delivered_on=date(2010, 1, 1))
    services.start_self_management(actor=None, estate=self_ended, on=date(2011, 1, 1))
    services.end_self_management(actor=None, estate=self_ended, last_day=date(2016, 5, 31))
    future = EstateFactory(grid=grid, name="即将签约小区", delivered_on=date(2018, 1, 1))
    contract(
        future, starts_on=timezone.localdate() + timedelta(days=30), ends_on=timezone.localdate() + timedelta(days=400)
    )
    not_yet = EstateFactory(grid=grid, name="尚未交付小区", delivered_on=timezone.localdate() + timedelta(days=10))
    return {"lost": lost, "ended_early": ended_early, "self_ended": self_ended, "future": future, "not_yet": not_yet}


def test_the_unmanaged_list_agrees_with_each_estate_history(client, world):
    made = make_unmanaged(world)
    login(client, world.users[Role.DISTRICT_ADMIN])
    response = client.get(reverse("community:unmanaged"))
    rows = response.context["rows"]
    today = timezone.localdate()
    direct = set(
        Estate.objects.with_management_state(today)
        .filter(management_state="none", delivered_on__lte=today)
        .filter(grid__community__street__district=world.e1.grid.community.street.district)
        .values_list("pk", flat=True)
    )
    assert {e.pk for e, _s, _d in rows} == direct
    assert made["not_yet"].pk not in direct and made["future"].pk in direct
    for estate, since, days in rows:
        last = management_history(estate, today=today)[-1]  # the estate page's own timeline
        assert (last.state, last.start, last.last) == ("none", since, None)
        assert days == last.days(today)
    expected = {
        made["ended_early"].pk: date(2015, 1, 1),
        world.e2.pk: date(2015, 1, 1),
        made["self_ended"].pk: date(2016, 6, 1),
        made["lost"].pk: date(2020, 1, 1),
        made["future"].pk: date(2018, 1, 1),
    }
    assert {e.pk: s for e, s, _d in rows if e.pk in expected} == expected
    sinces = [s for _e, s, _d in rows]
    assert sinces == sorted(sinces)  # longest wait first
    page = response.content.decode()
    assert "合同期满小区" in page and "2020-01-01" in page and world.e1.name not in page


def test_the_unmanaged_list_ties_break_on_the_day_not_the_record(world):
    """A record ending on the day another estate was delivered: that estate has waited one day longer."""
    a = EstateFactory(grid=world.e1.grid, name="甲", code="Z1", delivered_on=date(2020, 1, 2))
    b = EstateFactory(grid=world.e1.grid, name="乙", code="Z0", delivered_on=date(2010, 1, 1))
    contract(b, starts_on=date(2010, 1, 1), ends_on=date(2020, 1, 2))  # unmanaged from 2020-01-03
    rows = list(unmanaged_estates(world.users[Role.DISTRICT_ADMIN]).filter(pk__in=[a.pk, b.pk]))
    assert [(e.name, unmanaged_since(e)) for e in rows] == [("甲", date(2020, 1, 2)), ("乙", date(2020, 1, 3))]


EXPECTED_UNMANAGED = {  # E1 and E3 are under contract; E2, E4 and E5 never had a manager
    Role.DISTRICT_ADMIN: {"e2", "e4"},
    Role.STREET_STAFF: {"e2"},
    Role.COMMUNITY_STAFF: {"e2"},
    Role.GRID_WORKER: set(),
    Role.COMMITTEE_MEMBER: set(),
    Role.COMPANY_STAFF: set(),
}


@pytest.mark.parametrize("role", REGISTRY_ROLES)
def test_the_unmanaged_list_shows_only_the_users_scope(client, world, role):
    login(client, world.users[role])
    rows = client.get(reverse("community:unmanaged")).context["rows"]
    assert {e.pk for e, _s, _d in rows} == {getattr(world, name).pk for name in EXPECTED_UNMANAGED[role]}


def test_an_estate_marked_unmanaged_joins_the_list_from_the_next_day(client, world):
    today = timezone.localdate()
    services.mark_unmanaged(actor=None, estate=world.e1, last_day=today - timedelta(days=1))
    login(client, world.users[Role.GRID_WORKER])
    rows = client.get(reverse("community:unmanaged")).context["rows"]
    assert [(e.pk, s, d) for e, s, d in rows] == [(world.e1.pk, today, 1)]


def test_the_mediator_has_no_unmanaged_list_of_estates(client, world):
    login(client, world.users[Role.MEDIATOR])
    response = client.get(reverse("community:unmanaged"))
    assert response.status_code == 200 and response.context["rows"] == []  # a mediator's scope is a room, not estates


def test_the_unmanaged_list_runs_a_fixed_number_of_queries_and_pages(client, world, django_assert_max_num_queries):
    login(client, world.users[Role.DISTRICT_ADMIN])
    url = reverse("community:unmanaged")
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    make_unmanaged(world)
    for i in range(40):
        estate = EstateFactory(grid=world.e1.grid, delivered_on=date(2000, 1, 1) + timedelta(days=i))
        if i % 2:
            contract(estate, starts_on=date(2001, 1, 1), ends_on=date(2002, 1, 1) + timedelta(days=i))
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 46
    assert len(response.context["rows"]) == 30
    second = client.get(url, {"page": 2}).context["rows"]
    assert len(second) == 16
    assert response.context["rows"][-1][1] <= second[0][1]


def test_the_directory_links_the_unmanaged_list(client, world):
    login(client, world.users[Role.GRID_WORKER])
    assert reverse("community:unmanaged") in client.get(reverse("community:directory")).content.decode()


def test_the_estate_page_query_count_does_not_grow_with_contracts(client, world, django_assert_max_num_queries):
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("community:estate_detail", args=[world.e2.pk])
    contract(world.e2, starts_on=date(2015, 1, 1), ends_on=date(2015, 12, 31))
    with django_assert_max_num_queries(24) as small:  # 21 reads (one for units without an owner), 2FA device, audit
        client.get(url)
    for year in range(2016, 2024):
        contract(world.e2, starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))
    services.start_self_management(actor=None, estate=world.e2, on=date(2024, 1, 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)
