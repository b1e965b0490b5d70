from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community import services
from community.models import Building, Estate, Ownership, Role, SelfManagementPeriod, ServiceContract, Unit
from community.tenure import services as tenure
from tests.factories import (
    CompanyFactory,
    EstateFactory,
    GridFactory,
    OwnerFactory,
    OwnershipFactory,
    UnitFactory,
    contract,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def _buildings(*rooms_per_building):
    return [
        services.BuildingSpec(
            name=f"{i + 1}号楼", units=[services.UnitSpec(room=r, registered_area=Decimal("80.00")) for r in rooms]
        )
        for i, rooms in enumerate(rooms_per_building)
    ]


class TestRegisterEstate:
    def test_estate_buildings_and_units_are_written_together(self):
        estate = services.register_estate(
            actor=None,
            grid=GridFactory(),
            name="新小区",
            code="X1",
            delivered_on=date(2020, 1, 1),
            buildings=_buildings(["101", "102"], ["101"]),
        )
        assert Unit.objects.filter(building__estate=estate).count() == 3

    def test_a_duplicate_room_writes_nothing(self):
        with pytest.raises(ValidationError) as exc:
            services.register_estate(
                actor=None,
                grid=GridFactory(),
                name="新小区",
                code="X1",
                delivered_on=date(2020, 1, 1),
                buildings=_buildings(["101", "101"]),
            )
        assert "房号重复：101" in exc.value.messages[0]
        assert not Estate.objects.exists() and not Building.objects.exists()

    def test_a_unit_without_area_writes_nothing(self):
        spec = services.BuildingSpec(name="1号楼", units=[services.UnitSpec(room="101")])
        with pytest.raises(ValidationError) as exc:
            services.register_estate(
                actor=None,
                grid=GridFactory(),
                name="新小区",
                code="X1",
                delivered_on=date(2020, 1, 1),
                buildings=[spec],
            )
        assert "1号楼-101" in exc.value.messages[0]
        assert not Estate.objects.exists()

    def test_staff_cannot_register_in_another_community(self):
        staff = user_with_role(Role.COMMUNITY_STAFF, GridFactory().community)
        with pytest.raises(PermissionDenied):
            services.register_estate(
                actor=staff, grid=GridFactory(), name="越权", code="X2", delivered_on=date(2020, 1, 1)
            )
        assert not Estate.objects.exists()


class TestTransfer:
    def test_a_sale_ends_the_old_ownership_and_starts_the_new(self):
        old = OwnershipFactory(started_on=date(2016, 1, 1))
        buyer_a, buyer_b = OwnerFactory(), OwnerFactory()
        services.transfer_unit(actor=None, unit=old.unit, new_owners=[buyer_a, buyer_b], on=date(2024, 7, 1))
        old.refresh_from_db()
        assert old.ended_on == date(2024, 6, 30)
        current = Ownership.objects.in_force(date(2024, 7, 1)).filter(unit=old.unit)
        assert {o.owner for o in current} == {buyer_a, buyer_b}
        assert list(Ownership.objects.in_force(date(2024, 6, 30)).filter(unit=old.unit)) == [old]

    def test_a_sale_dated_before_the_current_ownership_writes_nothing(self):
        old = OwnershipFactory(started_on=date(2016, 1, 1))
        with pytest.raises(ValidationError):
            services.transfer_unit(actor=None, unit=old.unit, new_owners=[OwnerFactory()], on=date(2016, 1, 1))
        old.refresh_from_db()
        assert old.ended_on is None and Ownership.objects.count() == 1

    def test_a_sale_needs_a_buyer(self):
        with pytest.raises(ValidationError):
            services.transfer_unit(actor=None, unit=UnitFactory(), new_owners=[], on=date(2024, 1, 1))


class TestContracts:
    def test_overlapping_contracts_are_refused_and_nothing_is_written(self):
        estate = EstateFactory()
        contract(estate, starts_on=date(2020, 1, 1), ends_on=date(2022, 12, 31))
        with pytest.raises(ValidationError) as exc:
            contract(estate, starts_on=date(2022, 12, 31), ends_on=date(2025, 12, 31))
        assert "不能重叠" in exc.value.messages[0]
        assert ServiceContract.objects.count() == 1

    def test_a_contract_ends_a_running_self_management_period(self):
        estate = EstateFactory()
        tenure.start_self_management(actor=None, estate=estate, on=date(2020, 1, 1))
        contract(estate, starts_on=date(2023, 5, 1), ends_on=date(2026, 4, 30))
        assert SelfManagementPeriod.objects.get().ended_on == date(2023, 4, 30)

    def test_a_contract_ending_before_it_starts_is_refused(self):
        with pytest.raises(ValidationError):
            contract(EstateFactory(), starts_on=date(2020, 1, 1), ends_on=date(2019, 1, 1))
        assert not ServiceContract.objects.exists()

    def test_termination_outside_the_term_is_refused(self):
        signed = contract(EstateFactory(), starts_on=date(2020, 1, 1), ends_on=date(2022, 12, 31))
        with pytest.raises(ValidationError):
            tenure.terminate_contract(actor=None, contract=signed, last_day=date(2023, 1, 1))
        signed.refresh_from_db()
        assert signed.terminated_on is None

    def test_self_management_cannot_start_while_a_company_serves(self):
        estate = EstateFactory()
        contract(estate, starts_on=date(2020, 1, 1), ends_on=timezone.localdate() + timedelta(days=10))
        with pytest.raises(ValidationError):
            tenure.start_self_management(actor=None, estate=estate, on=timezone.localdate())
        assert not SelfManagementPeriod.objects.exists()

    def test_self_management_cannot_be_opened_twice_or_closed_when_not_open(self):
        estate = EstateFactory()
        with pytest.raises(ValidationError):
            tenure.end_self_management(actor=None, estate=estate, last_day=date(2020, 1, 1))
        tenure.start_self_management(actor=None, estate=estate, on=date(2020, 1, 1))
        with pytest.raises(ValidationError):
            tenure.start_self_management(actor=None, estate=estate, on=date(2021, 1, 1))
        tenure.end_self_management(actor=None, estate=estate, last_day=date(2021, 6, 30))
        assert SelfManagementPeriod.objects.get().ended_on == date(2021, 6, 30)


class TestRecordOwnerships:
    def test_units_of_another_estate_are_refused(self):
        estate, stray = EstateFactory(), UnitFactory()
        with pytest.raises(ValidationError):
            services.record_ownerships(
                actor=None,
                estate=estate,
                ownerships=[Ownership(unit=stray, owner=OwnerFactory(), started_on=date(2020, 1, 1))],
            )
        assert not Ownership.objects.exists()


def test_a_new_company_gets_a_checked_credit_code():
    company = CompanyFactory.build(uscc="91350100M000100Y44")
    with pytest.raises(ValidationError):
        services.save_registry_object(actor=None, obj=company)
