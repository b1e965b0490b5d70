"""Findings of the issue-23 review, kept as tests: the reporter's identity on the case page, a
company serving two districts, and one denominator for the in-time share."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from community import access
from community.models import Role, ServiceContract
from grid import public, services
from grid.models import RequestKind
from supervision import facts, scoring
from tests.factories import OwnerFactory, OwnershipFactory, UnitFactory, UserFactory, contract, login

pytestmark = pytest.mark.django_db


def test_the_case_page_never_shows_a_residents_login_to_readers_who_see_masked(client, world):
    user = world.owner_user
    user.username, user.first_name = "13912345678", ""
    user.save()
    case = services.report_request(actor=user, estate=world.e1, kind=RequestKind.COMMON_REPAIR, description="楼道灯坏")
    login(client, world.users[Role.COMMITTEE_MEMBER])
    body = client.get(reverse("grid:case", args=[case.pk])).content.decode()
    assert "13912345678" not in body


def test_a_company_serving_two_districts_does_not_open_one_districts_cases_to_the_other(world):
    served = ServiceContract.objects.filter(estate=world.e1).first()
    contract(world.e5, served.company, starts_on=date(2020, 1, 1), ends_on=timezone.localdate() + timedelta(days=365))
    services.report_request(actor=world.owner_user, estate=world.e1, kind=RequestKind.COMPLAINT, description="先报")
    other = UserFactory(username="13700000000")
    OwnershipFactory(unit=UnitFactory(building__estate=world.e5), owner=OwnerFactory(name="赵六", user=other))
    case = services.report_request(actor=other, estate=world.e5, kind=RequestKind.COMPLAINT, description="投诉")
    assert case.handling_unit.company_id == served.company_id  # one unit for the company
    first_admin = world.users[Role.DISTRICT_ADMIN]
    for perm in (access.VIEW, access.PERSONAL, access.DISPATCH_CASES):
        assert not access.can(first_admin, perm, case)
    assert access.can(world.users[Role.COMPANY_STAFF], access.HANDLE_REQUESTS, case)


def test_a_request_reopened_within_its_limit_is_pending_for_the_public_page_and_the_assessment(world):
    start = timezone.now() - timedelta(hours=10)
    staff = world.users[Role.COMPANY_STAFF]
    case = services.report_request(
        actor=world.owner_user, estate=world.e1, kind=RequestKind.COMPLAINT, description="噪音", now=start
    )
    case = services.assign_case(actor=staff, case=case, handler=staff, now=start + timedelta(hours=1))
    case = services.record_handling(actor=staff, case=case, note="已处理", now=start + timedelta(hours=2))
    services.reopen_request(actor=world.owner_user, case=case, reason="仍有噪音", now=start + timedelta(hours=3))
    figures = public.service_figures(world.e1)
    assert (figures.total.judged, figures.total.in_time) == (0, 0)
    table, *_ = facts.facts_by_company(world.e1.district, scoring.last_12_months(timezone.localdate()))
    found = [f for estates in table.values() for pk, f in estates.items() if pk == world.e1.pk]
    assert found and (found[0].judged, found[0].in_time) == (0, 0)
