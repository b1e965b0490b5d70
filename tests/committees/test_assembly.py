"""The owners' extraordinary assembly (指导规则 art. 21, issue 22): proposed and supported from
owners' accounts or a signed paper list, counted by area and heads as the tally counts them,
reached at ≥ 1/5 of both, then convened within the rule set's days."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from committees import assembly
from committees.models import AssemblyProposal, ProposalSupport, Vote
from committees.votes import services as votes
from community.models import AuditEvent, Role, Unit
from notifications.models import Channel, Delivery, Event
from residents import coverage
from tests.factories import (
    BuildingFactory,
    EstateFactory,
    OwnerFactory,
    OwnershipFactory,
    UnitFactory,
    UserFactory,
    login,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _estate(world, areas, *, co_owned=None):
    """An estate in 江滨豪园's grid with one owner (with an account) per area, and optionally a
    unit of ``co_owned`` m² held by two co-owners. Returns the estate and its owners."""
    estate = EstateFactory(grid=world.e1.grid, name="临时大会测试小区")
    building = BuildingFactory(estate=estate, name="1栋")
    owners = []
    for i, area in enumerate(areas):
        owner = OwnerFactory(name=f"业主{i}", user=UserFactory(username=f"o{i}"))
        OwnershipFactory(unit=UnitFactory(building=building, room=f"{i + 1}01", registered_area=area), owner=owner)
        owners.append(owner)
    if co_owned:
        unit = UnitFactory(building=building, room="co", registered_area=co_owned)
        for n in (1, 2):
            owner = OwnerFactory(name=f"共有人{n}", user=UserFactory(username=f"co{n}"))
            OwnershipFactory(unit=unit, owner=owner)
            owners.append(owner)
    return estate, owners


def _open(owner, estate, subject="更换物业服务企业"):
    return assembly.open_proposal(actor=owner.user, estate=estate, subject=subject, reasons="服务质量差，多次整改无效")


def test_exactly_a_fifth_of_the_area_and_of_the_heads_reaches_it(world):
    estate, owners = _estate(world, [Decimal("100.00")] * 10)
    proposal = _open(owners[0], estate)
    assert proposal.status == "collecting" and proposal.support["heads_share"] == "1/10"
    proposal = assembly.support_proposal(actor=owners[1].user, proposal=proposal)
    today = timezone.localdate()
    assert proposal.status == "reached" and proposal.reached_on == today
    assert proposal.convene_by == today + timedelta(days=30)
    assert (proposal.support["area_share"], proposal.support["heads_share"]) == ("1/5", "1/5")
    told = Delivery.objects.filter(message__event=Event.ASSEMBLY_PROPOSED, channel=Channel.INBOX)
    assert world.users[Role.COMMUNITY_STAFF].pk in set(told.values_list("user", flat=True))
    with pytest.raises(ValidationError):  # support is no longer collected once reached
        assembly.support_proposal(actor=owners[2].user, proposal=proposal)


def test_a_fifth_of_the_area_with_the_heads_just_below_is_not_reached(world):
    # 11 heads, 1,000 m²: two owners of 100 m² hold exactly 1/5 of the area but 2/11 < 1/5 of the heads
    estate, owners = _estate(world, [Decimal("100.00")] * 3 + [Decimal("87.50")] * 8)
    proposal = _open(owners[0], estate)
    proposal = assembly.support_proposal(actor=owners[1].user, proposal=proposal)
    assert proposal.support["area_share"] == "1/5" and proposal.support["heads_share"] == "2/11"
    assert proposal.status == "collecting" and proposal.convene_by is None
    proposal = assembly.support_proposal(actor=owners[3].user, proposal=proposal)  # 3/11 heads, 287.5 m²
    assert proposal.status == "reached"


def test_support_twice_is_refused(world):
    estate, owners = _estate(world, [Decimal("100.00")] * 10)
    proposal = _open(owners[0], estate)
    with pytest.raises(ValidationError) as exc:
        assembly.support_proposal(actor=owners[0].user, proposal=proposal)
    assert "只计一次" in exc.value.messages[0]
    assert ProposalSupport.objects.count() == 1


def test_a_co_owners_support_stands_for_the_co_ownership_once(world):
    estate, owners = _estate(world, [Decimal("100.00")] * 9, co_owned=Decimal("100.00"))
    first, second = owners[-2], owners[-1]
    proposal = _open(owners[0], estate)
    proposal = assembly.support_proposal(actor=first.user, proposal=proposal)
    assert proposal.support["heads"] == 2 and proposal.status == "reached"  # 2/10 heads, 200/1000 m²
    # on a paper proposal still collecting, the second co-owner adds a supporter, not a head
    paper = assembly.open_proposal(
        actor=world.users[Role.COMMUNITY_STAFF], estate=estate, subject="罢免委员", reasons="联名", paper=True
    )
    paper = assembly.support_proposal(actor=first.user, proposal=paper)
    paper = assembly.support_proposal(actor=second.user, proposal=paper)
    assert paper.support["supporters"] == 2 and paper.support["heads"] == 1 and paper.status == "collecting"


def test_a_stranger_cannot_open_or_support_and_staff_record_a_paper_proposal(world):
    estate, owners = _estate(world, [Decimal("100.00")] * 10)
    stranger = OwnerFactory(user=UserFactory(username="stranger"))
    with pytest.raises(PermissionDenied):
        _open(stranger, estate)
    with pytest.raises(PermissionDenied):  # community staff hold no unit: a paper proposal only
        assembly.open_proposal(actor=world.users[Role.COMMUNITY_STAFF], estate=estate, subject="x", reasons="y")
    with pytest.raises(PermissionDenied):
        assembly.open_proposal(
            actor=world.users[Role.STREET_STAFF], estate=estate, subject="x", reasons="y", paper=True
        )
    with pytest.raises(ValidationError):
        assembly.open_proposal(actor=owners[0].user, estate=estate, subject=" ", reasons="y")
    assert not AssemblyProposal.objects.exists()
    proposal = assembly.open_proposal(
        actor=world.users[Role.COMMUNITY_STAFF], estate=estate, subject="更换物业", reasons="业主联名", paper=True
    )
    assert proposal.supporters.count() == 0 and proposal.support["supporters"] == 0
    with pytest.raises(PermissionDenied):
        assembly.support_proposal(actor=stranger.user, proposal=proposal)
    assert AuditEvent.objects.filter(action="assembly_proposal").count() == 1


def test_a_paper_list_must_be_a_pdf_jpeg_or_png_and_a_bad_one_writes_nothing(world):
    estate, owners = _estate(world, [Decimal("100.00")] * 10)
    staff = world.users[Role.COMMUNITY_STAFF]
    proposal = assembly.open_proposal(actor=staff, estate=estate, subject="更换物业", reasons="联名", paper=True)
    for bad in (SimpleUploadedFile("list.pdf", b"<html>not a scan</html>"), None):
        with pytest.raises(ValidationError):
            assembly.record_paper_support(actor=staff, proposal=proposal, owners=owners[:2], signed_list=bad)
    assert not ProposalSupport.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == "collecting"
    added = assembly.record_paper_support(
        actor=staff, proposal=proposal, owners=owners[:2], signed_list=SimpleUploadedFile("名单.pdf", PDF)
    )
    assert added == 2
    rows = list(ProposalSupport.objects.all())
    assert {r.via for r in rows} == {"paper"} and len({r.signed_list.name for r in rows}) == 1
    assert "名单" not in rows[0].signed_list.name and rows[0].signed_list.name.endswith(".pdf")
    proposal.refresh_from_db()
    assert proposal.status == "reached"
    with pytest.raises(PermissionDenied):  # the street watches, it does not record
        assembly.record_paper_support(
            actor=world.users[Role.STREET_STAFF],
            proposal=proposal,
            owners=owners[2:3],
            signed_list=SimpleUploadedFile("l.pdf", PDF),
        )


def test_only_the_opener_withdraws_and_only_before_it_is_reached(world):
    estate, owners = _estate(world, [Decimal("100.00")] * 10)
    proposal = _open(owners[0], estate)
    with pytest.raises(PermissionDenied):
        assembly.withdraw_proposal(actor=owners[1].user, proposal=proposal)
    assert assembly.withdraw_proposal(actor=owners[0].user, proposal=proposal).status == "withdrawn"
    reached = _open(owners[2], estate, subject="另一提议")
    reached = assembly.support_proposal(actor=owners[3].user, proposal=reached)
    with pytest.raises(ValidationError):
        assembly.withdraw_proposal(actor=owners[2].user, proposal=reached)


def test_the_assembly_is_convened_by_its_last_day_and_linked(world):
    estate, owners = _estate(world, [Decimal("100.00")] * 10)
    staff = world.users[Role.COMMUNITY_STAFF]
    proposal = _open(owners[0], estate)
    now = timezone.now()
    window = {"matter": 4, "question": "解聘现物业服务企业", "now": now}
    with pytest.raises(ValidationError):  # not reached yet
        assembly.convene_for_proposal(
            actor=staff,
            proposal=proposal,
            opens_at=now + timedelta(days=16),
            closes_at=now + timedelta(days=30),
            **window,
        )
    proposal = assembly.support_proposal(actor=owners[1].user, proposal=proposal)
    with pytest.raises(ValidationError) as exc:  # 30 days from today is the last day; 31 is too late
        assembly.convene_for_proposal(
            actor=staff,
            proposal=proposal,
            opens_at=now + timedelta(days=31),
            closes_at=now + timedelta(days=40),
            **window,
        )
    assert str(proposal.convene_by) in exc.value.messages[0] and not Vote.objects.filter(estate=estate).exists()
    with pytest.raises(PermissionDenied):
        assembly.convene_for_proposal(
            actor=world.users[Role.STREET_STAFF],
            proposal=proposal,
            opens_at=now + timedelta(days=16),
            closes_at=now + timedelta(days=30),
            **window,
        )
    proposal = assembly.convene_for_proposal(
        actor=staff, proposal=proposal, opens_at=now + timedelta(days=30), closes_at=now + timedelta(days=40), **window
    )
    assert proposal.status == "convened" and proposal.vote.matter == 4 and proposal.vote.estate == estate
    with pytest.raises(ValidationError):
        assembly.convene_for_proposal(
            actor=staff,
            proposal=proposal,
            opens_at=now + timedelta(days=20),
            closes_at=now + timedelta(days=40),
            **window,
        )
    assert Vote.objects.filter(estate=estate).count() == 1


# --------------------------------------------------------------------------- pages


@pytest.fixture
def e1_population(world):
    """江滨豪园: the `owner` login's 101 and nine more owners, every unit 100 m² (10 heads)."""
    Unit.objects.filter(building__estate=world.e1).update(registered_area=Decimal("100.00"))
    building = BuildingFactory(estate=world.e1, name="9栋")
    owners = []
    for i in range(9):
        owner = OwnerFactory(name=f"九栋业主{i}", user=UserFactory(username=f"nine{i}"))
        OwnershipFactory(unit=UnitFactory(building=building, room=f"{i + 1}01", registered_area=100), owner=owner)
        owners.append(owner)
    return owners


def test_the_estate_page_by_role(client, world, e1_population):
    url = reverse("committees:assembly", args=[world.e1.pk])
    proposal = _open(world.resident, world.e1)
    for role in (Role.COMMUNITY_STAFF, Role.COMMITTEE_MEMBER):
        login(client, world.users[role])
        page = client.get(url).content.decode()
        assert proposal.subject in page and "录入签名名单" in page and "登记业主书面提议" in page
    for role in (Role.STREET_STAFF, Role.DISTRICT_ADMIN):
        login(client, world.users[role])
        page = client.get(url).content.decode()
        assert proposal.subject in page and "录入签名名单" not in page
        assert client.post(url, {"action": "open", "subject": "x", "reasons": "y"}).status_code == 403
    for user in (
        world.users[Role.GRID_WORKER],
        world.users[Role.COMPANY_STAFF],
        world.users[Role.MEDIATOR],
        world.owner_user,
        UserFactory(username="nobody"),
    ):
        login(client, user)
        assert client.get(url).status_code == 404
    login(client, world.users[Role.COMMUNITY_STAFF])
    other = reverse("committees:assembly", args=[world.other[Role.COMMUNITY_STAFF].pk])
    assert client.get(other).status_code == 404


def test_the_estate_page_records_a_paper_list_and_shows_bad_input(client, world, e1_population):
    url = reverse("committees:assembly", args=[world.e1.pk])
    login(client, world.users[Role.COMMUNITY_STAFF])
    empty = client.post(url, {"action": "open", "subject": "", "reasons": "联名"}, follow=True).content.decode()
    assert "提议事项" in empty and not AssemblyProposal.objects.exists()
    client.post(url, {"action": "open", "subject": "更换物业服务企业", "reasons": "联名提议"})
    proposal = AssemblyProposal.objects.get()
    bad_line = client.post(
        url,
        {
            "action": "paper",
            "proposal": proposal.pk,
            "units": "9栋 101\n9栋 999",
            "signed_list": SimpleUploadedFile("l.pdf", PDF),
        },
        follow=True,
    ).content.decode()
    assert "第 2 行" in bad_line and not ProposalSupport.objects.exists()
    not_a_scan = client.post(
        url,
        {
            "action": "paper",
            "proposal": proposal.pk,
            "units": "9栋 101",
            "signed_list": SimpleUploadedFile("l.pdf", b"GIF89a"),
        },
        follow=True,
    ).content.decode()
    assert "只接受 PDF、JPEG、PNG" in not_a_scan and not ProposalSupport.objects.exists()
    done = client.post(
        url,
        {
            "action": "paper",
            "proposal": proposal.pk,
            "units": "9栋 101\n9栋 201",
            "signed_list": SimpleUploadedFile("l.pdf", PDF),
        },
        follow=True,
    ).content.decode()
    assert "已登记 2 位业主的支持" in done and "最迟召开" in done
    support = ProposalSupport.objects.first()
    download = client.get(reverse("committees:assembly_list", args=[world.e1.pk, support.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    login(client, world.users[Role.STREET_STAFF])
    assert client.get(reverse("committees:assembly_list", args=[world.e1.pk, support.pk])).status_code == 404


def test_the_overdue_convene_by_date_is_red(client, world, e1_population):
    proposal = _open(world.resident, world.e1)
    assembly.support_proposal(actor=e1_population[0].user, proposal=proposal)
    AssemblyProposal.objects.filter(pk=proposal.pk).update(convene_by=timezone.localdate() - timedelta(days=1))
    login(client, world.users[Role.COMMITTEE_MEMBER])
    page = client.get(reverse("committees:assembly", args=[world.e1.pk])).content.decode()
    assert 'class="overdue"' in page and "已逾期" in page


def test_owners_page_by_role_support_and_opening(client, world, e1_population):
    url = reverse("committees:my_assembly")
    act = reverse("committees:my_assembly_act")
    for user in (world.users[Role.COMMUNITY_STAFF], UserFactory(username="nobody")):
        login(client, user)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    login(client, world.owner_user)
    page = client.get(url).content.decode()
    assert "发起临时业主大会提议" in page and "临时业主大会" in page
    bad = client.post(act, {"action": "open", "estate": world.e1.pk, "subject": "", "reasons": "x"}, follow=True)
    assert "提议事项" in bad.content.decode() and not AssemblyProposal.objects.exists()
    client.post(act, {"action": "open", "estate": world.e1.pk, "subject": "更换物业服务企业", "reasons": "服务差"})
    proposal = AssemblyProposal.objects.get()
    page = client.get(url).content.decode()
    assert "我已支持" in page and "10.00%" in page and "撤回提议" in page
    again = client.post(act, {"action": "support", "proposal": proposal.pk}, follow=True).content.decode()
    assert "只计一次" in again
    login(client, e1_population[0].user)
    page = client.get(url).content.decode()
    assert "支持该提议" in page and "撤回提议" not in page
    client.post(act, {"action": "support", "proposal": proposal.pk})
    proposal.refresh_from_db()
    assert proposal.status == "reached"
    assert "最迟" in client.get(url).content.decode()
    outsider = OwnerFactory(user=UserFactory(username="outsider"))
    OwnershipFactory(unit=UnitFactory(building__estate=world.e2), owner=outsider)
    login(client, outsider.user)
    assert client.post(act, {"action": "support", "proposal": proposal.pk}).status_code == 404
    assert proposal.subject not in client.get(url).content.decode()


def test_the_pages_queries_do_not_grow_with_proposals(client, world, e1_population, django_assert_max_num_queries):
    for n in range(4):
        _open(e1_population[n], world.e1, subject=f"提议{n}")
    login(client, world.owner_user)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("committees:my_assembly")).status_code == 200
    login(client, world.users[Role.COMMUNITY_STAFF])
    with django_assert_max_num_queries(30):
        assert client.get(reverse("committees:assembly", args=[world.e1.pk])).status_code == 200


def test_a_share_just_short_of_the_threshold_is_shown_rounded_down():
    from fractions import Fraction

    assert coverage.percent(Fraction(19996, 100000)) == "19.99%"  # not "20.00%": not reached
    assert coverage.percent(Fraction(1, 5)) == "20.00%" and coverage.percent(Fraction(0, 1)) == "0.00%"
    assert coverage.percent(Fraction(2, 3)) == "66.66%"


def test_a_proposal_posted_as_anything_but_digits_is_not_found(client, world, e1_population):
    proposal = _open(world.resident, world.e1)
    login(client, world.owner_user)
    for bad in ("abc", "1.5", "١", ""):
        response = client.post(reverse("committees:my_assembly_act"), {"action": "support", "proposal": bad})
        assert response.status_code == 404
    login(client, world.users[Role.COMMUNITY_STAFF])
    url = reverse("committees:assembly", args=[world.e1.pk])
    assert client.post(url, {"action": "convene", "proposal": "x1"}).status_code == 404
    assert client.post(url, {"action": "convene", "proposal": "١"}).status_code == 404
    assert proposal.supporters.count() == 1


def test_only_those_who_see_personal_data_download_a_signed_list(client, world, e1_population):
    proposal = _open(world.resident, world.e1)
    assembly.record_paper_support(
        actor=world.users[Role.COMMUNITY_STAFF],
        proposal=proposal,
        owners=[e1_population[0]],
        signed_list=SimpleUploadedFile("l.pdf", PDF),
    )
    support = ProposalSupport.objects.exclude(signed_list="").get()
    download = reverse("committees:assembly_list", args=[world.e1.pk, support.pk])
    page_url = reverse("committees:assembly", args=[world.e1.pk])
    login(client, world.users[Role.COMMUNITY_STAFF])
    assert download in client.get(page_url).content.decode()
    assert client.get(download).status_code == 200
    login(client, world.users[Role.COMMITTEE_MEMBER])  # runs the votes, sees the registry masked
    page = client.get(page_url).content.decode()
    assert "签名名单" in page and download not in page
    assert client.get(download).status_code == 404


def test_the_owners_page_reads_the_proposals_votes_with_them(client, world, e1_population):
    now = timezone.now()

    def convened(n):
        proposal = _open(e1_population[n], world.e1, subject=f"提议{n}")
        vote = votes.convene_vote(
            actor=None,
            estate=world.e1,
            matter=3,
            question=f"临时业主大会{n}",
            opens_at=now + timedelta(days=20),
            closes_at=now + timedelta(days=30),
            now=now,
        )
        AssemblyProposal.objects.filter(pk=proposal.pk).update(
            vote=vote, status="convened", convene_by=timezone.localdate() + timedelta(days=30)
        )

    url = reverse("committees:my_assembly")
    login(client, world.owner_user)
    convened(0)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).content.decode().count("去表决") == 1
    for n in (1, 2, 3):
        convened(n)
    with CaptureQueriesContext(connection) as four:
        assert client.get(url).content.decode().count("去表决") == 4
    assert len(four.captured_queries) == len(one.captured_queries)
