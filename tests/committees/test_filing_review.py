"""A committee's filing reviewed twice (RULES.md §2, issue 22): the district housing department
and the street office each accept or return the current submission; filed only when both
accepted. With the rule set's dual review off, one level decides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse

from committees import selectors
from committees import services as life
from committees.models import CommitteeEvent, FilingReview
from community.models import AuditEvent, Role, RuleSet
from tests.committees.test_committee_life import _elect, _ready
from tests.factories import StreetFactory, UserFactory, login, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(world, election):
    vote, owners = election
    committee = _elect(world, vote, owners[:5])
    _ready(committee, owners)
    return life.submit_filing(actor=None, committee=committee)


@pytest.fixture
def district(world):
    return world.users[Role.DISTRICT_ADMIN]


@pytest.fixture
def street(world):
    return world.users[Role.STREET_STAFF]


def _status(committee):
    committee.refresh_from_db()
    return committee.status


def test_both_levels_accept_and_only_then_the_committee_is_filed(submitted, district, street):
    life.review_filing(actor=street, committee=submitted, accept=True)
    assert _status(submitted) == "filing"  # the street alone does not file it
    life.review_filing(actor=district, committee=submitted, accept=True)
    assert _status(submitted) == "filed"
    reviews = list(FilingReview.objects.values_list("level", "accepted", "actor"))
    assert reviews == [("street", True, street.pk), ("district", True, district.pk)]
    filed = CommitteeEvent.objects.filter(committee=submitted, to_status="filed").get()
    assert filed.actor == district and "区房管部门" in filed.note and "街道办事处" in filed.note
    assert AuditEvent.objects.filter(action="filing_review", user=street).count() == 1
    assert AuditEvent.objects.filter(action="filing_review", user=district).count() == 1


def test_the_district_returns_with_reasons_and_the_streets_acceptance_stays(submitted, district, street):
    life.review_filing(actor=street, committee=submitted, accept=True)
    with pytest.raises(ValidationError):  # a return needs its reasons
        life.review_filing(actor=district, committee=submitted, accept=False, reasons="  ")
    assert FilingReview.objects.count() == 1
    life.review_filing(actor=district, committee=submitted, accept=False, reasons="缺少委员书面承诺原件")
    assert _status(submitted) == "returned"
    assert "缺少委员书面承诺原件" in submitted.review_note and "区房管部门" in submitted.review_note
    assert FilingReview.objects.get(level="district").reasons == "缺少委员书面承诺原件"
    assert FilingReview.objects.get(level="street").accepted  # the other level's review stays recorded
    with pytest.raises(ValidationError):  # nothing left to review until it is submitted again
        life.review_filing(actor=street, committee=submitted, accept=True)


def test_the_same_level_cannot_review_one_submission_twice(world, submitted, street):
    life.review_filing(actor=street, committee=submitted, accept=True)
    colleague = user_with_role(Role.STREET_STAFF, world.e1.street)
    with pytest.raises(ValidationError) as exc:
        life.review_filing(actor=colleague, committee=submitted, accept=False, reasons="再审")
    assert "街道办事处已审查过" in exc.value.messages[0]
    assert FilingReview.objects.count() == 1 and _status(submitted) == "filing"


def test_after_resubmission_both_levels_review_again(submitted, district, street):
    life.review_filing(actor=street, committee=submitted, accept=True)
    life.review_filing(actor=district, committee=submitted, accept=False, reasons="议事规则缺少表决程序")
    life.submit_filing(actor=None, committee=submitted)
    states = {s.level: s for s in selectors.filing_review_states(submitted)}
    assert states["street"].pending and states["district"].pending and states["street"].review is None
    life.review_filing(actor=district, committee=submitted, accept=True)
    assert _status(submitted) == "filing"  # the street's acceptance of the first submission does not count
    life.review_filing(actor=street, committee=submitted, accept=True)
    assert _status(submitted) == "filed"
    assert FilingReview.objects.count() == 4
    assert FilingReview.objects.values("submission").distinct().count() == 2


@pytest.mark.parametrize("who", [Role.STREET_STAFF, Role.DISTRICT_ADMIN])
def test_with_the_rule_off_one_review_by_either_level_files(world, submitted, who):
    district_node = world.e1.district
    district_node.rule_set = RuleSet.objects.create(name="单一审查", filing_dual_review=False)
    district_node.save()
    life.review_filing(actor=world.users[who], committee=submitted, accept=True)
    assert _status(submitted) == "filed"
    assert FilingReview.objects.get().level == ("street" if who == Role.STREET_STAFF else "district")


def test_a_reviewer_without_a_level_on_the_estate_is_refused(world, submitted):
    other_street = user_with_role(Role.STREET_STAFF, StreetFactory(district=world.e1.district))
    superuser = UserFactory(username="root", is_superuser=True)
    for actor in (world.users[Role.COMMUNITY_STAFF], world.users[Role.COMMITTEE_MEMBER], other_street, superuser):
        with pytest.raises(PermissionDenied):
            life.review_filing(actor=actor, committee=submitted, accept=True)
    with pytest.raises(PermissionDenied):
        life.review_filing(actor=None, committee=submitted, accept=True)
    assert not FilingReview.objects.exists() and _status(submitted) == "filing"


def test_the_pages_show_each_levels_state_and_the_form_only_to_a_level_still_to_review(
    client, world, submitted, district, street
):
    url = reverse("committees:committee", args=[submitted.pk])
    act = reverse("committees:committee_act", args=[submitted.pk])
    login(client, street)
    page = client.get(url).content.decode()
    assert "以街道办事处身份审查" in page and page.count("待审查") == 2
    queue = client.get(reverse("committees:queue")).content.decode()
    assert "区房管部门" in queue and "街道办事处" in queue
    client.post(act, {"action": "accept"})
    page = client.get(url).content.decode()
    assert "准予备案" not in page and "同意" in page and "待审查" in page  # the district still to review
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert "准予备案" not in client.get(url).content.decode()
    login(client, district)
    queue = client.get(reverse("committees:queue")).content.decode()
    assert "区房管部门" in queue and "街道办事处</span>" not in queue
    assert "以区房管部门身份审查" in client.get(url).content.decode()
    refused = client.post(act, {"action": "return"}, follow=True).content.decode()
    assert "退回须写明理由" in refused and _status(submitted) == "filing"
    client.post(act, {"action": "return", "reasons": "管理规约未经业主大会表决"})
    assert _status(submitted) == "returned"
    page = client.get(url).content.decode()
    assert "管理规约未经业主大会表决" in page and "准予备案" not in page


@pytest.mark.postgres
def test_a_filing_review_cannot_be_changed_on_postgresql(submitted, street):
    life.review_filing(actor=street, committee=submitted, accept=True)
    review = FilingReview.objects.get()
    review.accepted = False
    review.reasons = "改为退回"
    with pytest.raises(DatabaseError), transaction.atomic():
        review.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        FilingReview.objects.all().delete()
    assert FilingReview.objects.get().accepted
