"""An estate's public page: a contact card first (address, the company serving it with its phone,
the owners' committee, the community, the 12345 and 12358 hotlines), then its notices grouped
by category, a few of each, with a link to each category's full list. Kept fresh in the cache."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms import services
from cms.models import NOTICES_PER_CATEGORY, EstatePage
from community.models import ServiceContract
from community.tenure import services as tenure
from tests.fees.conftest import seat_committee

pytestmark = pytest.mark.django_db


def _notice(estate, title, category="general"):
    notice = services.draft_notice(estate=estate, category=category, title=title, body="内容。")
    return services.publish_notice(actor=None, notice=notice)


def _url(estate):
    return EstatePage.objects.get(estate=estate).url


def _contact_card(body):
    return body[body.index('id="contact"') :].split("</section>")[0]


def test_the_contact_card_gives_the_address_the_company_the_committee_and_the_hotlines(world, client):
    world.e1.address = "江滨路 88 号"
    world.e1.save()
    company = ServiceContract.objects.get(estate=world.e1).company
    company.phone = "0571-86660000"
    company.save()
    card = _contact_card(client.get(_url(world.e1)).content.decode())
    assert "江滨路 88 号" in card and company.name in card
    assert 'href="tel:0571-86660000"' in card
    assert "尚未成立业主委员会" in card and world.e1.grid.community.name in card
    assert 'href="tel:12345"' in card and 'href="tel:12358"' in card
    seat_committee(world.e1, size=0)
    # The cached page follows: the committee is seated, the company changes its number.
    card = _contact_card(client.get(_url(world.e1)).content.decode())
    assert f"{world.e1.name}业主委员会" in card and "尚未成立" not in card
    company.phone = "0571-86661111"
    company.save()
    card = _contact_card(client.get(_url(world.e1)).content.decode())
    assert 'href="tel:0571-86661111"' in card


def test_an_estate_without_a_company_says_so(world, client):
    card = _contact_card(client.get(_url(world.e2)).content.decode())
    assert "无物业管理" in card and 'href="tel:12358"' in card


def test_a_contract_ending_shows_on_the_cached_page(world, client):
    contract = ServiceContract.objects.get(estate=world.e1)
    assert contract.company.name in _contact_card(client.get(_url(world.e1)).content.decode())
    # Ended the one way a contract ends (PostgreSQL refuses any other UPDATE of its terms).
    tenure.terminate_contract(actor=None, contract=contract, last_day=timezone.localdate() - timedelta(days=1))
    assert "无物业管理" in _contact_card(client.get(_url(world.e1)).content.decode())


def test_notices_are_grouped_by_category_a_few_each_with_a_link_to_the_rest(world, client):
    for i in range(NOTICES_PER_CATEGORY + 2):
        _notice(world.e1, f"财务公告{i}", category="finance")
    _notice(world.e1, "停水通知")
    response = client.get(_url(world.e1))
    groups = {g.category: g for g in response.context["groups"]}
    assert list(groups) == ["finance", "general"]  # the categories' own order
    finance = groups["finance"]
    assert finance.total == NOTICES_PER_CATEGORY + 2 and len(finance.notices) == NOTICES_PER_CATEGORY
    assert [n.title for n in finance.notices] == [f"财务公告{i}" for i in (4, 3, 2)]  # newest first
    body = response.content.decode()
    assert 'href="?category=finance#notices"' in body and "?category=general" not in body
    listed = client.get(_url(world.e1), {"category": "finance"})
    assert listed.context["notices"].paginator.count == NOTICES_PER_CATEGORY + 2
    assert "停水通知" not in listed.content.decode() and "财务公告0" in listed.content.decode()
    # An unknown category is no filter: the grouped page.
    assert client.get(_url(world.e1), {"category": "gossip"}).context["groups"]


def test_the_estate_page_costs_the_same_queries_however_many_notices_and_kinds(world, client):
    _notice(world.e1, "第一条")
    client.get(_url(world.e1))
    with CaptureQueriesContext(connection) as few:
        client.get(_url(world.e1), data={"fresh": 1})  # a key of its own: rendered afresh
    for i, category in enumerate(["votes", "finance", "fund", "committee", "mediation", "general"] * 4):
        _notice(world.e1, f"公告{i}", category=category)
    client.get(_url(world.e1), data={"fresh": 2})  # warm (a new key)
    with CaptureQueriesContext(connection) as many:
        client.get(_url(world.e1), data={"fresh": 3})
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_hotlines_are_the_districts_rules(world, client):
    from community.models import RuleSet

    district = world.e1.district
    district.rule_set = RuleSet.objects.create(name="本区热线", service_hotline="96345", price_hotline="96358")
    district.save()
    card = _contact_card(client.get(_url(world.e1)).content.decode())
    assert 'href="tel:96345"' in card and 'href="tel:96358"' in card and "tel:12345" not in card
