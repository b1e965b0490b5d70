"""Management changes (issue 10): registering companies, renewing, ending, self-management,
marking an estate unmanaged, the notice drafted when an unmanaged estate gets a company, and
the link from a contract to the owners' vote that decided it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cms.models import NoticePage
from committees.models import ContractDecision, Matter, Vote, VoteStatus
from committees.votes import services as links
from community.models import Estate, PropertyCompany, Role, SelfManagementPeriod, ServiceContract
from community.tenure import services
from tests.factories import CompanyFactory, EstateFactory, UserFactory, contract, user_with_role, valid_uscc

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def state(estate, on):
    return Estate.objects.with_management_state(on).get(pk=estate.pk).management_state


def notices(estate=None):
    qs = NoticePage.objects.filter(source__startswith="community.ServiceContract:")
    return qs.filter(title__startswith=estate.name) if estate else qs


def refused(message, call):
    """``call`` raises ValidationError with exactly this message constant (whatever its parameters)."""
    with pytest.raises(ValidationError) as info:
        call()
    assert any(e.message == message for e in info.value.error_list), info.value.messages
    return info.value


# --------------------------------------------------------------------------- companies


class TestRegisterCompany:
    def test_registers_a_company_with_a_valid_credit_code(self):
        company = services.register_company(
            actor=None, name=" 新城物业有限公司 ", uscc=valid_uscc(901).lower(), phone="0598-1"
        )
        assert company.pk and company.name == "新城物业有限公司" and company.uscc == valid_uscc(901)

    def test_a_bad_credit_code_is_refused_and_nothing_is_written(self):
        code = valid_uscc(902)
        bad = code[:-1] + ("0" if code[-1] != "0" else "1")
        refused(services.COMPANY_USCC_INVALID, lambda: services.register_company(actor=None, name="甲物业", uscc=bad))
        assert not PropertyCompany.objects.filter(name="甲物业").exists()

    def test_a_duplicate_credit_code_names_the_company_already_registered(self):
        services.register_company(actor=None, name="乙物业", uscc=valid_uscc(903))
        error = refused(
            services.COMPANY_DUPLICATE,
            lambda: services.register_company(actor=None, name="丙物业", uscc=valid_uscc(903)),
        )
        assert "乙物业" in error.messages[0]
        assert PropertyCompany.objects.filter(uscc=valid_uscc(903)).count() == 1

    def test_a_name_is_required(self):
        refused(
            services.COMPANY_NAME_MISSING,
            lambda: services.register_company(actor=None, name="  ", uscc=valid_uscc(904)),
        )

    def test_only_registry_keepers_may_register(self, world):
        for role in (Role.COMMUNITY_STAFF, Role.GRID_WORKER, Role.DISTRICT_ADMIN):
            services.register_company(actor=world.users[role], name=f"{role}物业", uscc=valid_uscc(910 + len(role)))
        for role in (Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR):
            with pytest.raises(PermissionDenied):
                services.register_company(actor=world.users[role], name="丁物业", uscc=valid_uscc(950))
        with pytest.raises(PermissionDenied):
            services.register_company(actor=world.owner_user, name="丁物业", uscc=valid_uscc(950))
        assert not PropertyCompany.objects.filter(uscc=valid_uscc(950)).exists()


# --------------------------------------------------------------------------- renewals


class TestRenewContract:
    def test_a_renewal_is_a_new_contract_from_the_day_after_the_old_last_day(self):
        estate = EstateFactory()
        old = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31), mode="remuneration")
        new = services.renew_contract(actor=None, contract=old, ends_on=date(2026, 12, 31), today=date(2023, 12, 1))
        assert (new.company, new.mode, new.starts_on, new.ends_on) == (
            old.company,
            "remuneration",
            date(2024, 1, 1),
            date(2026, 12, 31),
        )
        old.refresh_from_db()
        assert old.ends_on == date(2023, 12, 31) and old.terminated_on is None  # the signed term stays as signed
        assert state(estate, date(2023, 12, 31)) == state(estate, date(2024, 1, 1)) == "company"

    def test_the_mode_may_change_at_renewal(self):
        old = contract(EstateFactory(), starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        new = services.renew_contract(
            actor=None, contract=old, ends_on=date(2024, 12, 31), mode="remuneration", today=date(2023, 6, 1)
        )
        assert new.mode == "remuneration"

    def test_renewing_on_the_last_day_is_allowed_and_the_day_after_is_refused(self):
        estate = EstateFactory()
        old = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        refused(
            services.RENEW_TOO_LATE,
            lambda: services.renew_contract(
                actor=None, contract=old, ends_on=date(2026, 12, 31), today=date(2024, 1, 1)
            ),
        )
        assert ServiceContract.objects.filter(estate=estate).count() == 1
        services.renew_contract(actor=None, contract=old, ends_on=date(2026, 12, 31), today=date(2023, 12, 31))
        assert ServiceContract.objects.filter(estate=estate).count() == 2

    def test_a_renewal_ending_before_it_starts_is_refused_and_one_day_is_enough(self):
        old = contract(EstateFactory(), starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        refused(
            services.RENEW_ENDS_TOO_EARLY,
            lambda: services.renew_contract(
                actor=None, contract=old, ends_on=date(2023, 12, 31), today=date(2023, 6, 1)
            ),
        )
        one_day = services.renew_contract(actor=None, contract=old, ends_on=date(2024, 1, 1), today=date(2023, 6, 1))
        assert one_day.starts_on == one_day.ends_on == date(2024, 1, 1)

    def test_a_terminated_contract_cannot_be_renewed(self):
        old = contract(EstateFactory(), starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        services.terminate_contract(actor=None, contract=old, last_day=date(2022, 6, 30))
        refused(
            services.RENEW_TERMINATED,
            lambda: services.renew_contract(
                actor=None, contract=old, ends_on=date(2026, 12, 31), today=date(2022, 1, 1)
            ),
        )

    def test_only_the_latest_contract_is_renewed(self):
        estate = EstateFactory()
        old = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        services.renew_contract(actor=None, contract=old, ends_on=date(2024, 12, 31), today=date(2023, 6, 1))
        refused(
            services.RENEW_NOT_LATEST,
            lambda: services.renew_contract(
                actor=None, contract=old, ends_on=date(2026, 12, 31), today=date(2023, 6, 1)
            ),
        )
        assert ServiceContract.objects.filter(estate=estate).count() == 2

    def test_a_renewal_may_not_overlap_a_later_self_management_period(self):
        estate = EstateFactory()
        old = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        services.start_self_management(actor=None, estate=estate, on=date(2024, 1, 1))
        refused(
            services.SELF_WHILE_CONTRACT,
            lambda: services.renew_contract(
                actor=None, contract=old, ends_on=date(2026, 12, 31), today=date(2023, 6, 1)
            ),
        )

    def test_a_renewal_needs_change_on_the_estate(self, world):
        old = ServiceContract.objects.get(estate=world.e1)
        for role in (Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF):
            with pytest.raises(PermissionDenied):
                services.renew_contract(
                    actor=world.users[role], contract=old, ends_on=old.ends_on + timedelta(days=365)
                )
        services.renew_contract(
            actor=world.users[Role.GRID_WORKER], contract=old, ends_on=old.ends_on + timedelta(days=365)
        )


# --------------------------------------------------------------------------- ending


class TestTerminateAndOverlap:
    def test_a_contract_may_end_on_its_first_day_or_its_agreed_last_day_but_not_outside(self):
        estate = EstateFactory()
        signed = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        refused(
            services.TERMINATION_OUTSIDE,
            lambda: services.terminate_contract(actor=None, contract=signed, last_day=date(2020, 12, 31)),
        )
        refused(
            services.TERMINATION_OUTSIDE,
            lambda: services.terminate_contract(actor=None, contract=signed, last_day=date(2024, 1, 1)),
        )
        services.terminate_contract(actor=None, contract=signed, last_day=date(2023, 12, 31))
        services.terminate_contract(actor=None, contract=signed, last_day=date(2021, 1, 1))
        assert state(estate, date(2021, 1, 1)) == "company" and state(estate, date(2021, 1, 2)) == "none"

    def test_an_early_end_is_never_pushed_back(self):
        estate = EstateFactory()
        signed = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        services.terminate_contract(actor=None, contract=signed, last_day=date(2022, 6, 30))
        contract(estate, starts_on=date(2022, 7, 1), ends_on=date(2025, 6, 30))
        refused(
            services.TERMINATION_LATER,
            lambda: services.terminate_contract(actor=None, contract=signed, last_day=date(2022, 7, 1)),
        )
        signed.refresh_from_db()
        assert signed.terminated_on == date(2022, 6, 30)

    def test_contracts_overlapping_by_one_day_are_refused_and_adjacent_ones_are_not(self):
        estate = EstateFactory()
        contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        refused(
            services.CONTRACT_OVERLAP, lambda: contract(estate, starts_on=date(2023, 12, 31), ends_on=date(2025, 1, 1))
        )
        contract(estate, starts_on=date(2024, 1, 1), ends_on=date(2025, 1, 1))
        assert ServiceContract.objects.filter(estate=estate).count() == 2


class TestMarkUnmanaged:
    def test_ends_the_contract_in_force_on_the_day(self):
        estate = EstateFactory()
        signed = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2030, 12, 31))
        services.mark_unmanaged(actor=None, estate=estate, last_day=date(2024, 5, 31))
        signed.refresh_from_db()
        assert signed.terminated_on == date(2024, 5, 31)
        assert state(estate, date(2024, 5, 31)) == "company" and state(estate, date(2024, 6, 1)) == "none"

    def test_ends_self_management(self):
        estate = EstateFactory()
        services.start_self_management(actor=None, estate=estate, on=date(2022, 1, 1))
        services.mark_unmanaged(actor=None, estate=estate, last_day=date(2024, 5, 31))
        assert SelfManagementPeriod.objects.get(estate=estate).ended_on == date(2024, 5, 31)
        assert state(estate, date(2024, 6, 1)) == "none"

    def test_refused_when_nothing_is_in_force_that_day(self):
        estate = EstateFactory()
        contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        refused(
            services.NOTHING_IN_FORCE,
            lambda: services.mark_unmanaged(actor=None, estate=estate, last_day=date(2024, 1, 1)),
        )
        refused(
            services.NOTHING_IN_FORCE,
            lambda: services.mark_unmanaged(actor=None, estate=EstateFactory(), last_day=date(2024, 1, 1)),
        )

    def test_refused_when_a_later_contract_follows(self):
        estate = EstateFactory()
        first = contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        contract(estate, starts_on=date(2024, 1, 1), ends_on=date(2026, 12, 31))
        refused(
            services.LATER_MANAGEMENT,
            lambda: services.mark_unmanaged(actor=None, estate=estate, last_day=date(2023, 6, 30)),
        )
        first.refresh_from_db()
        assert first.terminated_on is None

    def test_needs_change_on_the_estate(self, world):
        with pytest.raises(PermissionDenied):
            services.mark_unmanaged(
                actor=world.users[Role.STREET_STAFF], estate=world.e1, last_day=timezone.localdate()
            )
        assert state(world.e1, timezone.localdate() + timedelta(days=1)) == "company"


# --------------------------------------------------------------------------- the public notice


class TestNoticeOnNoneToCompany:
    def test_an_unmanaged_estate_coming_under_a_company_drafts_one_notice(self):
        estate = EstateFactory(delivered_on=date(2015, 1, 1))
        company = CompanyFactory(name="新城物业服务有限公司", phone="0598-8000001")
        signed = contract(estate, company, starts_on=date(2021, 3, 1), ends_on=date(2024, 2, 29), mode="remuneration")
        drafted = list(notices(estate))
        assert len(drafted) == 1
        notice = drafted[0]
        assert not notice.live and notice.source == f"community.ServiceContract:{signed.pk}"
        assert (
            "新城物业服务有限公司" in notice.body
            and "2021年03月01日" in notice.body
            and "2024年02月29日" in notice.body
        )
        assert "酬金制" in notice.body
        assert notice.get_parent().specific.estate == estate

    def test_a_renewal_or_a_change_of_company_drafts_nothing(self):
        estate = EstateFactory(delivered_on=date(2015, 1, 1))
        first = contract(estate, starts_on=date(2021, 3, 1), ends_on=date(2022, 2, 28))
        assert notices(estate).count() == 1
        renewal = services.renew_contract(actor=None, contract=first, ends_on=date(2023, 2, 28), today=date(2022, 1, 1))
        contract(estate, starts_on=renewal.ends_on + timedelta(days=1), ends_on=date(2026, 2, 28))  # another company
        assert notices(estate).count() == 1

    def test_a_contract_from_the_delivery_day_or_after_self_management_drafts_nothing(self):
        new = EstateFactory(delivered_on=date(2020, 1, 1))
        contract(new, starts_on=date(2020, 1, 1), ends_on=date(2022, 12, 31))
        self_managed = EstateFactory(delivered_on=date(2015, 1, 1))
        services.start_self_management(actor=None, estate=self_managed, on=date(2015, 1, 1))
        contract(self_managed, starts_on=date(2021, 1, 1), ends_on=date(2022, 12, 31))
        assert notices().count() == 0

    def test_a_company_after_a_gap_without_manager_drafts_a_notice(self):
        estate = EstateFactory(delivered_on=date(2015, 1, 1))
        contract(estate, starts_on=date(2015, 1, 1), ends_on=date(2020, 12, 31))
        contract(estate, starts_on=date(2021, 1, 2), ends_on=date(2023, 12, 31))  # one day without a manager
        assert notices(estate).count() == 1

    def test_a_refused_contract_drafts_nothing(self):
        estate = EstateFactory(delivered_on=date(2015, 1, 1))
        contract(estate, starts_on=date(2021, 1, 1), ends_on=date(2023, 12, 31))
        with pytest.raises(ValidationError):
            contract(estate, starts_on=date(2023, 1, 1), ends_on=date(2025, 12, 31))
        assert notices(estate).count() == 1


# --------------------------------------------------------------------------- contract ↔ vote


def closed_vote(estate, *, matter=Matter.MANAGER, passed=True, status=VoteStatus.CLOSED):
    opens = datetime(2023, 3, 1, 9, tzinfo=TZ)
    return Vote.objects.create(
        estate=estate,
        matter=matter,
        question="选聘物业服务企业",
        opens_at=opens,
        closes_at=opens + timedelta(days=10),
        status=status,
        result={"decided": passed, "quorum_met": True} if status == VoteStatus.CLOSED else None,
    )


class TestLinkContractToVote:
    def test_links_a_passed_matter_4_vote_of_the_same_estate(self, world):
        signed = ServiceContract.objects.get(estate=world.e1)
        vote = closed_vote(world.e1)
        decision = links.link_contract_to_vote(actor=world.users[Role.COMMUNITY_STAFF], contract=signed, vote=vote)
        assert (decision.contract, decision.vote, decision.kind) == (signed, vote, "hire")
        assert decision.linked_by == world.users[Role.COMMUNITY_STAFF]

    @pytest.mark.parametrize(
        ("make", "message"),
        [
            (lambda w: closed_vote(w.e2), links.VOTE_OTHER_ESTATE),
            (lambda w: closed_vote(w.e1, matter=Matter.COMMITTEE), links.VOTE_OTHER_MATTER),
            (lambda w: closed_vote(w.e1, status=VoteStatus.OPEN), links.VOTE_NOT_CLOSED),
            (lambda w: closed_vote(w.e1, passed=False), links.VOTE_NOT_PASSED),
        ],
        ids=["other estate", "other matter", "open vote", "failed vote"],
    )
    def test_refusals(self, world, make, message):
        signed = ServiceContract.objects.get(estate=world.e1)
        refused(message, lambda: links.link_contract_to_vote(actor=None, contract=signed, vote=make(world)))
        assert not ContractDecision.objects.exists()

    def test_one_vote_per_contract_and_one_contract_per_vote(self, world):
        signed = ServiceContract.objects.get(estate=world.e1)
        vote, other_vote = closed_vote(world.e1), closed_vote(world.e1)
        links.link_contract_to_vote(actor=None, contract=signed, vote=vote)
        refused(links.ALREADY_LINKED, lambda: links.link_contract_to_vote(actor=None, contract=signed, vote=other_vote))
        renewal = services.renew_contract(actor=None, contract=signed, ends_on=signed.ends_on + timedelta(days=365))
        refused(links.VOTE_ALREADY_USED, lambda: links.link_contract_to_vote(actor=None, contract=renewal, vote=vote))
        links.link_contract_to_vote(actor=None, contract=renewal, vote=other_vote)
        assert ContractDecision.objects.count() == 2

    def test_a_dismissal_needs_the_contract_ended_early(self, world):
        signed = ServiceContract.objects.get(estate=world.e1)
        vote = closed_vote(world.e1)
        refused(
            links.DISMISS_NOT_ENDED,
            lambda: links.link_contract_to_vote(actor=None, contract=signed, vote=vote, kind="dismiss"),
        )
        services.terminate_contract(actor=None, contract=signed, last_day=timezone.localdate())
        assert links.link_contract_to_vote(actor=None, contract=signed, vote=vote, kind="dismiss").kind == "dismiss"

    def test_only_registry_keepers_of_the_estate_may_link(self, world):
        signed = ServiceContract.objects.get(estate=world.e1)
        vote = closed_vote(world.e1)
        for role in (Role.STREET_STAFF, Role.COMMITTEE_MEMBER, Role.COMPANY_STAFF, Role.MEDIATOR):
            with pytest.raises(PermissionDenied):
                links.link_contract_to_vote(actor=world.users[role], contract=signed, vote=vote)
        outsider = user_with_role(Role.COMMUNITY_STAFF, world.e3.grid.community)
        with pytest.raises(PermissionDenied):
            links.link_contract_to_vote(actor=outsider, contract=signed, vote=vote)
        with pytest.raises(PermissionDenied):
            links.link_contract_to_vote(actor=UserFactory(), contract=signed, vote=vote)
        assert not ContractDecision.objects.exists()
