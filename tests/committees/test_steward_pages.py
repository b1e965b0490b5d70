"""Red steward managed in the product: the branch and member services (bad input writes nothing),
the branch page and the branch coverage overview, each with its role matrix, and the overview's
figures against direct counts."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from committees import selectors, steward
from committees.models import BranchMember, Committee, Member, PartyBranch, Vote
from community.models import AuditEvent, Estate, Role
from residents.coverage import percent
from tests.factories import (
    CommunityFactory,
    EstateFactory,
    GridFactory,
    OwnerFactory,
    OwnershipFactory,
    StreetFactory,
    UnitFactory,
    login,
)

pytestmark = pytest.mark.django_db

STAFF = Role.COMMUNITY_STAFF


def _owner(estate, name):
    owner = OwnerFactory(name=name)
    OwnershipFactory(unit=UnitFactory(building__estate=estate), owner=owner, started_on=date(2018, 1, 1))
    return owner


def _sitting(estate, seats):
    """A sitting committee on ``estate``: ``seats`` is [(owner, role)] (test data, written directly)."""
    now = timezone.now()
    vote = Vote.objects.create(
        estate=estate,
        matter=3,
        question="选举业委会",
        opens_at=now - timedelta(days=20),
        closes_at=now - timedelta(days=5),
    )
    today = timezone.localdate()
    committee = Committee.objects.create(
        estate=estate, election_vote=vote, elected_on=today, term_ends_on=today + timedelta(days=1800)
    )
    for owner, role in seats:
        Member.objects.create(committee=committee, owner=owner, role=role)
    return committee


def _branch(world, estate=None, name="江滨豪园党支部"):
    return steward.create_branch(actor=None, estate=estate or world.e1, name=name, founded_on=date(2020, 7, 1))


def _audits(action):
    return AuditEvent.objects.filter(action=action).count()


# --------------------------------------------------------------------------- services


class TestServices:
    def test_community_staff_create_one_branch_per_estate_and_it_is_audited(self, world):
        branch = steward.create_branch(
            actor=world.users[STAFF], estate=world.e1, name=" 江滨豪园党支部 ", founded_on=date(2020, 7, 1)
        )
        assert branch.name == "江滨豪园党支部"
        event = AuditEvent.objects.get(action="branch_create")
        assert event.user == world.users[STAFF] and event.detail == {"estate": world.e1.pk}
        with pytest.raises(ValidationError) as exc:
            steward.create_branch(actor=world.users[STAFF], estate=world.e1, name="第二个", founded_on=date(2021, 1, 1))
        assert "已登记党支部" in exc.value.messages[0]
        assert PartyBranch.objects.count() == 1 and _audits("branch_create") == 1

    @pytest.mark.parametrize(
        "role,estate_attr",
        [
            (Role.COMMUNITY_STAFF, "e3"),  # another community's staff
            (Role.STREET_STAFF, "e1"),  # street staff read, they do not keep branches
            (Role.COMMITTEE_MEMBER, "e1"),
            (Role.COMPANY_STAFF, "e1"),
            (Role.GRID_WORKER, "e1"),
            (Role.DISTRICT_ADMIN, "e5"),  # another district
        ],
    )
    def test_only_holders_of_manage_branches_over_the_estate_may_create(self, world, role, estate_attr):
        with pytest.raises(PermissionDenied):
            steward.create_branch(
                actor=world.users[role], estate=getattr(world, estate_attr), name="党支部", founded_on=date(2020, 7, 1)
            )
        assert not PartyBranch.objects.exists() and _audits("branch_create") == 0

    def test_the_district_admin_creates_and_edits(self, world):
        branch = steward.create_branch(
            actor=world.users[Role.DISTRICT_ADMIN], estate=world.e4, name="党支部", founded_on=date(2020, 7, 1)
        )
        steward.edit_branch(
            actor=world.users[Role.DISTRICT_ADMIN],
            branch=branch,
            name="同区另一街道党支部",
            founded_on=date(2019, 7, 1),
        )
        branch.refresh_from_db()
        assert (branch.name, branch.founded_on) == ("同区另一街道党支部", date(2019, 7, 1))
        assert AuditEvent.objects.get(action="branch_change").detail["before"]["name"] == "党支部"

    @pytest.mark.parametrize(
        "name,founded,message",
        [(" ", date(2020, 7, 1), "请填写党支部名称"), ("党支部", date.today() + timedelta(days=30), "不能晚于今天")],
    )
    def test_a_branch_needs_a_name_and_a_past_founding_day(self, world, name, founded, message):
        with pytest.raises(ValidationError) as exc:
            steward.create_branch(actor=world.users[STAFF], estate=world.e1, name=name, founded_on=founded)
        assert message in exc.value.messages[0]
        assert not PartyBranch.objects.exists()
        branch = _branch(world)
        with pytest.raises(ValidationError):
            steward.edit_branch(actor=world.users[STAFF], branch=branch, name=name, founded_on=founded)
        branch.refresh_from_db()
        assert branch.name == "江滨豪园党支部" and _audits("branch_change") == 0

    def test_members_with_and_without_an_owner_record(self, world):
        branch = _branch(world)
        owner = _owner(world.e1, "王书记")
        secretary = steward.add_member(
            actor=world.users[STAFF], branch=branch, name="王书记", role="secretary", owner=owner
        )
        deputy = steward.add_member(actor=world.users[STAFF], branch=branch, name="社区选派 周建国", role="deputy")
        assert secretary.owner == owner and deputy.owner is None
        events = AuditEvent.objects.filter(action="branch_member").order_by("pk")
        assert [e.detail["change"] for e in events] == ["add", "add"]
        assert events[0].detail["owner"] == owner.pk and events[1].detail["owner"] is None

    def test_a_second_secretary_is_refused_in_chinese_and_nothing_is_written(self, world):
        branch = _branch(world)
        first = steward.add_member(actor=world.users[STAFF], branch=branch, name="王书记", role="secretary")
        with pytest.raises(ValidationError) as exc:
            steward.add_member(actor=world.users[STAFF], branch=branch, name="李书记", role="secretary")
        assert exc.value.messages[0] == "本党支部已有书记（王书记），请先调整其职务再任命新书记。"
        other = steward.add_member(actor=world.users[STAFF], branch=branch, name="李党员")
        with pytest.raises(ValidationError) as exc:
            steward.change_role(actor=world.users[STAFF], member=other, role="secretary")
        assert "已有书记" in exc.value.messages[0]
        assert BranchMember.objects.count() == 2 and BranchMember.objects.get(pk=other.pk).role == "member"
        assert _audits("branch_member") == 2
        # The secretary steps down to deputy; then the other member may become secretary.
        steward.change_role(actor=world.users[STAFF], member=first, role="deputy")
        steward.change_role(actor=world.users[STAFF], member=other, role="secretary")
        assert dict(BranchMember.objects.values_list("name", "role")) == {"王书记": "deputy", "李党员": "secretary"}
        assert AuditEvent.objects.filter(action="branch_member", detail__change="role").count() == 2

    def test_an_owner_of_another_estate_is_refused_and_nothing_is_written(self, world):
        branch = _branch(world)
        outsider = _owner(world.e2, "邻居")
        with pytest.raises(ValidationError) as exc:
            steward.add_member(actor=world.users[STAFF], branch=branch, name="邻居", owner=outsider)
        assert "不是本小区的业主" in exc.value.messages[0]
        former = OwnerFactory(name="已过户")
        OwnershipFactory(
            unit=UnitFactory(building__estate=world.e1),
            owner=former,
            started_on=date(2010, 1, 1),
            ended_on=date(2015, 1, 1),
        )
        with pytest.raises(ValidationError):  # held a unit here once, not today
            steward.add_member(actor=world.users[STAFF], branch=branch, name="已过户", owner=former)
        assert not BranchMember.objects.exists() and _audits("branch_member") == 0

    @pytest.mark.parametrize("name,role,message", [("  ", "member", "请填写党员姓名"), ("张三", "chief", "请选择书记")])
    def test_a_member_needs_a_name_and_a_known_role(self, world, name, role, message):
        branch = _branch(world)
        with pytest.raises(ValidationError) as exc:
            steward.add_member(actor=world.users[STAFF], branch=branch, name=name, role=role)
        assert message in exc.value.messages[0]
        assert not BranchMember.objects.exists() and _audits("branch_member") == 0

    def test_one_owner_sits_once(self, world):
        branch = _branch(world)
        owner = _owner(world.e1, "王党员")
        steward.add_member(actor=world.users[STAFF], branch=branch, name="王党员", owner=owner)
        with pytest.raises(ValidationError) as exc:
            steward.add_member(actor=world.users[STAFF], branch=branch, name="王党员", owner=owner)
        assert "已是本党支部成员" in exc.value.messages[0]
        assert BranchMember.objects.count() == 1

    def test_a_removed_member_keeps_their_row_and_frees_the_secretary_seat(self, world):
        branch = _branch(world)
        owner = _owner(world.e1, "王书记")
        _sitting(world.e1, [(owner, "chair")])
        secretary = steward.add_member(
            actor=world.users[STAFF], branch=branch, name="王书记", role="secretary", owner=owner
        )
        assert selectors.branch_page(world.e1).one_shoulder.name == "王书记"
        steward.remove_member(actor=world.users[STAFF], member=secretary, on=date(2026, 3, 1))
        secretary.refresh_from_db()
        assert secretary.left_on == date(2026, 3, 1)
        page = selectors.branch_page(world.e1)
        assert page.members == [] and page.former == [secretary] and page.cross == [] and page.one_shoulder is None
        with pytest.raises(ValidationError) as exc:
            steward.remove_member(actor=world.users[STAFF], member=secretary)
        assert "已不在本党支部" in exc.value.messages[0]
        with pytest.raises(ValidationError):
            steward.change_role(actor=world.users[STAFF], member=secretary, role="member")
        # The seat is free, and the same owner may join again (a new row).
        steward.add_member(actor=world.users[STAFF], branch=branch, name="李书记", role="secretary")
        steward.add_member(actor=world.users[STAFF], branch=branch, name="王书记", owner=owner)
        assert BranchMember.objects.count() == 3
        assert AuditEvent.objects.filter(action="branch_member", detail__change="remove").count() == 1

    def test_others_may_not_change_members(self, world):
        branch = _branch(world)
        member = steward.add_member(actor=None, branch=branch, name="王党员")
        for role in (Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF):
            with pytest.raises(PermissionDenied):
                steward.add_member(actor=world.users[role], branch=branch, name="外人")
            with pytest.raises(PermissionDenied):
                steward.change_role(actor=world.users[role], member=member, role="deputy")
            with pytest.raises(PermissionDenied):
                steward.remove_member(actor=world.users[role], member=member)
        member.refresh_from_db()
        assert BranchMember.objects.count() == 1 and member.role == "member" and member.left_on is None


# --------------------------------------------------------------------------- the branch page


def _url(estate):
    return reverse("committees:branch", args=[estate.pk])


class TestBranchPage:
    @pytest.mark.parametrize(
        "role,status,manages",
        [
            (Role.COMMUNITY_STAFF, 200, True),
            (Role.DISTRICT_ADMIN, 200, True),
            (Role.STREET_STAFF, 200, False),
            (Role.COMMITTEE_MEMBER, 200, False),
            (Role.COMPANY_STAFF, 404, False),  # the company serving the estate
            (Role.GRID_WORKER, 404, False),
            (Role.MEDIATOR, 404, False),
        ],
    )
    def test_role_matrix_on_the_own_estate(self, client, world, role, status, manages):
        _branch(world)
        login(client, world.users[role])
        response = client.get(_url(world.e1))
        assert response.status_code == status
        if status == 200:
            body = response.content.decode()
            assert "江滨豪园党支部" in body
            assert ('value="add"' in body) is manages and ('value="remove"' in body) is False  # no member yet
            assert ("您可以查看本页" in body) is not manages

    @pytest.mark.parametrize(
        "role",
        [Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.DISTRICT_ADMIN, Role.COMPANY_STAFF],
    )
    def test_an_estate_out_of_reach_is_not_found(self, client, world, role):
        estate = world.other[role]
        _branch(world, estate=estate, name="外面的党支部")
        login(client, world.users[role])
        assert client.get(_url(estate)).status_code == 404

    def test_owners_are_not_shown_the_page(self, client, world):
        _branch(world)
        login(client, world.owner_user)
        assert client.get(_url(world.e1)).status_code == 404
        client.logout()
        assert client.get(_url(world.e1)).status_code == 302  # to the sign-in page

    def test_readers_may_not_post_and_nothing_is_written(self, client, world):
        branch = _branch(world)
        for role in (Role.STREET_STAFF, Role.COMMITTEE_MEMBER):
            login(client, world.users[role])
            response = client.post(_url(world.e1), {"action": "add", "name": "外人", "role": "member"})
            assert response.status_code == 403
            client.logout()
        login(client, world.users[Role.COMPANY_STAFF])
        assert client.post(_url(world.e1), {"action": "add", "name": "外人", "role": "member"}).status_code == 404
        assert not branch.members.exists()

    def test_community_staff_create_the_branch_add_change_and_remove_members(self, client, world):
        owner = _owner(world.e1, "王书记")
        login(client, world.users[STAFF])
        body = client.get(_url(world.e1)).content.decode()
        assert "本小区尚未登记党支部" in body and 'value="create"' in body
        response = client.post(
            _url(world.e1), {"action": "create", "name": "江滨豪园党支部", "founded_on": "2020-07-01"}
        )
        assert response.status_code == 302 and response["Location"] == _url(world.e1)
        body = client.get(_url(world.e1)).content.decode()
        assert "王** · " in body and "王书记" not in body  # the owner choices are masked
        client.post(_url(world.e1), {"action": "add", "name": "王书记", "role": "secretary", "owner": owner.pk})
        client.post(_url(world.e1), {"action": "add", "name": "周建国", "role": "member", "owner": ""})
        member = BranchMember.objects.get(name="周建国")
        client.post(_url(world.e1), {"action": "role", "member": member.pk, "role": "deputy"})
        assert BranchMember.objects.get(pk=member.pk).role == "deputy"
        client.post(_url(world.e1), {"action": "remove", "member": member.pk})
        member.refresh_from_db()
        assert member.left_on == timezone.localdate()
        body = client.get(_url(world.e1)).content.decode()
        assert "<s>周建国</s>" in body and "王书记" in body
        client.post(_url(world.e1), {"action": "edit", "name": "江滨豪园第一党支部", "founded_on": "2020-07-01"})
        assert PartyBranch.objects.get().name == "江滨豪园第一党支部"

    @pytest.mark.parametrize(
        "data,message",
        [
            ({"action": "add", "name": "李书记", "role": "secretary"}, "本党支部已有书记（王书记）"),
            ({"action": "add", "name": " ", "role": "member"}, "姓名"),
            ({"action": "add", "name": "邻居", "role": "member", "owner": "OUTSIDER"}, "对应业主"),
            ({"action": "add", "name": "李党员", "role": "chief"}, "职务"),
        ],
    )
    def test_bad_input_is_shown_in_chinese_and_nothing_is_written(self, client, world, data, message):
        branch = _branch(world)
        steward.add_member(actor=None, branch=branch, name="王书记", role="secretary")
        if data.get("owner") == "OUTSIDER":
            data = {**data, "owner": _owner(world.e2, "邻居").pk}
        login(client, world.users[STAFF])
        events = AuditEvent.objects.count()
        response = client.post(_url(world.e1), data, follow=True)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert list(branch.members.values_list("name", flat=True)) == ["王书记"]
        assert AuditEvent.objects.count() == events

    def test_a_member_of_another_estate_is_not_found(self, client, world):
        branch = _branch(world)
        elsewhere = steward.add_member(actor=None, branch=_branch(world, estate=world.e2, name="邻居党支部"), name="甲")
        steward.add_member(actor=None, branch=branch, name="乙")
        login(client, world.users[STAFF])
        for action in ("role", "remove"):
            response = client.post(_url(world.e1), {"action": action, "member": elsewhere.pk, "role": "deputy"})
            assert response.status_code == 404
        elsewhere.refresh_from_db()
        assert elsewhere.left_on is None and elsewhere.role == "member"

    def test_cross_appointments_and_one_shoulder_are_shown(self, client, world):
        branch = _branch(world)
        chair, member, outsider = _owner(world.e1, "王主任"), _owner(world.e1, "李委员"), _owner(world.e1, "赵业主")
        _sitting(world.e1, [(chair, "chair"), (member, "member")])
        steward.add_member(actor=None, branch=branch, name="王主任", role="secretary", owner=chair)
        steward.add_member(actor=None, branch=branch, name="李委员", owner=member)
        steward.add_member(actor=None, branch=branch, name="赵业主", owner=outsider)
        login(client, world.users[Role.STREET_STAFF])
        body = client.get(_url(world.e1)).content.decode()
        cross = body[body.index('id="cross"') :]
        assert "王主任：书记 / 业委会主任" in cross and "李委员：党员 / 业委会委员" in cross and "赵业主：" not in cross
        assert "王主任：党支部书记兼任业委会主任" in body
        assert 'id="cross-count">2 人' in body

    def test_the_committee_page_and_the_estate_page_link_here(self, client, world):
        _branch(world)
        committee = _sitting(world.e1, [(_owner(world.e1, "王主任"), "chair")])
        login(client, world.users[STAFF])
        link = f'href="{_url(world.e1)}"'
        assert link in client.get(reverse("committees:committee", args=[committee.pk])).content.decode()
        assert link in client.get(reverse("community:estate_detail", args=[world.e1.pk])).content.decode()
        nav = client.get(reverse("committees:steward")).content.decode()
        assert f'href="{reverse("committees:steward")}"' in nav

    def test_the_page_runs_a_fixed_number_of_queries(self, client, world, django_assert_max_num_queries):
        branch = _branch(world)
        owners = [_owner(world.e1, f"党员{i}") for i in range(6)]
        _sitting(world.e1, [(owners[0], "chair"), (owners[1], "member")])
        steward.add_member(actor=None, branch=branch, name="党员0", role="secretary", owner=owners[0])
        login(client, world.users[STAFF])
        client.get(_url(world.e1))
        with django_assert_max_num_queries(40) as small:
            assert client.get(_url(world.e1)).status_code == 200
        for i, owner in enumerate(owners[1:], start=1):
            steward.add_member(actor=None, branch=branch, name=f"党员{i}", owner=owner)
        gone = steward.add_member(actor=None, branch=branch, name="离开的")
        steward.remove_member(actor=None, member=gone)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(_url(world.e1)).status_code == 200


# --------------------------------------------------------------------------- the overview


@pytest.fixture
def spread(world):
    """Branches, committees and cross-appointments across the district: e1 (一肩挑), e2 (a branch
    member on the committee, not the secretary), e3 (a branch, no committee), e4 (a committee, no
    branch), and more estates in a second community of street 1 and in street 2."""

    def cross(estate, *, one):
        chair, member = _owner(estate, "主任"), _owner(estate, "委员")
        _sitting(estate, [(chair, "chair"), (member, "member")])
        branch = _branch(world, estate=estate, name=f"{estate.name}党支部")
        if one:
            steward.add_member(actor=None, branch=branch, name="主任", role="secretary", owner=chair)
        else:
            steward.add_member(actor=None, branch=branch, name="委员", role="member", owner=member)
            steward.add_member(actor=None, branch=branch, name="书记", role="secretary")
        return branch

    cross(world.e1, one=True)
    cross(world.e2, one=False)
    _branch(world, estate=world.e3, name="e3党支部")
    _sitting(world.e4, [(_owner(world.e4, "主任"), "chair")])
    # a secretary who left: the estate keeps its branch but is no longer 一肩挑 nor cross-appointed
    e6 = EstateFactory(grid=GridFactory(community=world.e3.grid.community), name="书记离任")
    gone = cross(e6, one=True).members.get(role="secretary")
    steward.remove_member(actor=None, member=gone)
    e7 = EstateFactory(grid=GridFactory(community=world.e4.grid.community), name="街道二另一小区")
    cross(e7, one=True)
    return world


def _direct(estates):
    """The overview's figures counted the plain way, estate by estate."""
    out = {"estates": 0, "branch": 0, "cross": 0, "one": 0}
    for estate in estates:
        out["estates"] += 1
        branch = PartyBranch.objects.filter(estate=estate).first()
        out["branch"] += branch is not None
        committee = Committee.objects.filter(estate=estate, status__in=selectors.ACTIVE).first()
        if branch is None or committee is None:
            continue
        seats = {m.owner_id: m.role for m in committee.members.filter(left_on=None)}
        current = [bm for bm in branch.members.filter(left_on=None) if bm.owner_id in seats]
        out["cross"] += bool(current)
        out["one"] += any(bm.role == "secretary" and seats[bm.owner_id] == "chair" for bm in current)
    return out


def _figures(row):
    return {"estates": row.estates, "branch": row.branch, "cross": row.cross, "one": row.one}


class TestOverview:
    @pytest.mark.parametrize(
        "role,status",
        [
            (Role.DISTRICT_ADMIN, 200),
            (Role.STREET_STAFF, 200),
            (Role.COMMUNITY_STAFF, 200),
            (Role.COMMITTEE_MEMBER, 403),
            (Role.COMPANY_STAFF, 403),
            (Role.GRID_WORKER, 403),
            (Role.MEDIATOR, 403),
        ],
    )
    def test_role_matrix(self, client, world, role, status):
        login(client, world.users[role])
        assert client.get(reverse("committees:steward")).status_code == status
        assert client.get(reverse("committees:steward_estates")).status_code == status
        nav = client.get(reverse("community:my_security")).content.decode()
        assert (f'href="{reverse("committees:steward")}"' in nav) is (status == 200)

    def test_owners_are_refused(self, client, world):
        login(client, world.owner_user)
        assert client.get(reverse("committees:steward")).status_code == 403

    def test_the_district_sees_streets_and_the_figures_match_direct_counts(self, client, spread):
        world = spread
        user = world.users[Role.DISTRICT_ADMIN]
        board = selectors.steward_board(user)
        assert board.level == "street"
        district = world.e1.grid.community.street.district
        in_district = Estate.objects.filter(grid__community__street__district=district)
        assert _figures(board.total) == _direct(in_district) == {"estates": 6, "branch": 5, "cross": 3, "one": 2}
        for row in board.rows:
            assert _figures(row) == _direct(in_district.filter(grid__community__street=row.pk))
        login(client, user)
        body = client.get(reverse("committees:steward")).content.decode()
        assert f'id="fig-coverage">{percent(board.total.coverage)}' in body and "83.33%" in body
        for show, expected in {
            "all": set(in_district),
            "branch": set(in_district.filter(party_branch__isnull=False)),
            "none": {world.e4},
            "cross": {world.e1, world.e2, in_district.get(name="街道二另一小区")},
            "one": {world.e1, in_district.get(name="街道二另一小区")},
        }.items():
            listed = client.get(reverse("committees:steward_estates"), {"show": show}).context["page"].object_list
            assert set(listed) == expected, show
            assert f'href="{reverse("committees:steward_estates")}?show={show}"' in body

    def test_street_staff_see_their_communities_and_the_district_drills_into_a_street(self, client, spread):
        world = spread
        street = world.e1.grid.community.street
        board = selectors.steward_board(world.users[Role.STREET_STAFF])
        assert board.level == "community"
        assert {row.pk for row in board.rows} == {world.e1.grid.community_id, world.e3.grid.community_id}
        for row in board.rows:
            assert _figures(row) == _direct(Estate.objects.filter(grid__community=row.pk))
        drilled = selectors.steward_board(world.users[Role.DISTRICT_ADMIN], street=street)
        assert [(_figures(r), r.pk) for r in drilled.rows] == [(_figures(r), r.pk) for r in board.rows]
        login(client, world.users[Role.STREET_STAFF])
        body = client.get(reverse("committees:steward")).content.decode()
        c1 = world.e1.grid.community_id
        link = reverse("committees:steward_estates") + f"?show=one&amp;community={c1}"
        assert link in body
        listed = client.get(reverse("committees:steward_estates"), {"show": "one", "community": c1})
        assert list(listed.context["page"].object_list) == [world.e1]
        # another street, and a community outside the street, are not found
        other_street = world.e4.grid.community.street_id
        assert client.get(reverse("committees:steward"), {"street": other_street}).status_code == 404
        assert (
            client.get(reverse("committees:steward_estates"), {"community": world.e4.grid.community_id}).status_code
            == 404
        )
        assert client.get(reverse("committees:steward_estates"), {"show": "everything"}).status_code == 404
        assert client.get(reverse("committees:steward_estates"), {"street": "１"}).status_code == 404

    def test_community_staff_see_their_community_only(self, client, spread):
        world = spread
        board = selectors.steward_board(world.users[STAFF])
        assert [row.pk for row in board.rows] == [world.e1.grid.community_id]
        assert _figures(board.total) == {"estates": 2, "branch": 2, "cross": 2, "one": 1}

    def test_the_overview_runs_a_fixed_number_of_queries(self, client, spread, django_assert_max_num_queries):
        world = spread
        login(client, world.users[Role.DISTRICT_ADMIN])
        url = reverse("committees:steward")
        client.get(url)
        with django_assert_max_num_queries(30) as small:
            assert client.get(url).status_code == 200
        district = world.e1.grid.community.street.district
        for n in range(3):
            street = StreetFactory(district=district)
            estate = EstateFactory(grid=GridFactory(community=CommunityFactory(street=street)), name=f"新街道小区{n}")
            _branch(world, estate=estate, name=f"新党支部{n}")
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get(url)
        assert len(response.context["rows"]) == 5
        list_url = reverse("committees:steward_estates")
        client.get(list_url)
        with django_assert_max_num_queries(30) as small:
            client.get(list_url)
        EstateFactory(grid=GridFactory(community=world.e1.grid.community), name="再一个")
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get(list_url)
