from datetime import date

import pytest
from django.core.management import call_command
from wagtail.models import Page, Site

from cms.models import CommunityPage, DistrictPage, EstatePage
from community import services
from tests.factories import CommunityFactory, GridFactory

pytestmark = pytest.mark.django_db


def test_registering_an_estate_creates_its_page_under_its_community(world):
    grid = world.e1.grid
    estate = services.register_estate(
        actor=None, grid=grid, name="新登记小区", code="N1", delivered_on=date(2020, 1, 1)
    )
    page = EstatePage.objects.get(estate=estate)
    assert page.title == "新登记小区" and page.slug == "n1" and page.live
    assert page.get_parent().specific == CommunityPage.objects.get(community=grid.community)
    assert page.get_parent().get_parent().specific == DistrictPage.objects.get(district=grid.community.street.district)


def test_renaming_an_estate_renames_its_page_and_keeps_its_address(world):
    page = EstatePage.objects.get(estate=world.e1)
    url = page.url
    world.e1.name = "江滨豪园（一期）"
    services.save_registry_object(actor=None, obj=world.e1)
    page.refresh_from_db()
    assert page.title == "江滨豪园（一期）" and page.url == url


def test_moving_an_estate_to_another_community_moves_its_page(world):
    other_grid = GridFactory(community=world.e3.grid.community)
    world.e1.grid = other_grid
    services.save_registry_object(actor=None, obj=world.e1)
    page = EstatePage.objects.get(estate=world.e1)
    assert page.get_parent().specific.community == world.e3.grid.community


def test_the_repair_command_mends_drift(world):
    page = EstatePage.objects.get(estate=world.e2)
    page.delete()
    renamed = CommunityPage.objects.get(community=world.e1.grid.community)
    Page.objects.filter(pk=renamed.pk).update(title="改错的名字")
    call_command("sync_site_tree", "--quiet-progress", stdout=None)
    assert EstatePage.objects.filter(estate=world.e2).exists()
    assert CommunityPage.objects.get(pk=renamed.pk).title == world.e1.grid.community.name
    assert EstatePage.objects.count() == 5 and DistrictPage.objects.count() == 2


def test_the_first_district_is_the_sites_home_page(world, client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, DistrictPage)
    assert client.get("/").status_code == 200


def test_a_community_page_lists_its_estates(world, client):
    page = CommunityPage.objects.get(community=world.e1.grid.community)
    body = client.get(page.url).content.decode()
    assert world.e1.name in body and world.e2.name in body and world.e3.name not in body


def test_a_new_community_gets_a_page(world):
    community = CommunityFactory(street=world.e1.grid.community.street)
    assert CommunityPage.objects.filter(community=community).exists()
