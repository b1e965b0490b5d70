from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from community.models import Estate, ManagementState, Owner, OwnerKind, Unit
from community.tenure import services
from community.tenure.selectors import management_history
from tests.factories import BuildingFactory, CompanyFactory, EstateFactory, UnitFactory, contract, valid_uscc

pytestmark = pytest.mark.django_db


class TestEffectiveArea:
    def test_register_wins_then_survey_then_contract(self):
        building = BuildingFactory()
        both = Unit(
            building=building,
            room="1",
            registered_area=Decimal("90.10"),
            surveyed_area=Decimal("91"),
            contract_area=Decimal("92"),
        )
        survey = Unit(building=building, room="2", surveyed_area=Decimal("91.00"), contract_area=Decimal("92"))
        sale = Unit(building=building, room="3", contract_area=Decimal("92.00"))
        assert [u.effective_area for u in (both, survey, sale)] == [
            Decimal("90.10"),
            Decimal("91.00"),
            Decimal("92.00"),
        ]
        assert both.area_source == "产权登记面积（㎡）" and sale.area_source == "合同面积（㎡）"

    def test_database_annotation_agrees_with_the_property(self):
        building = BuildingFactory()
        UnitFactory(
            building=building,
            room="1",
            registered_area=None,
            surveyed_area=Decimal("70.00"),
            contract_area=Decimal("71.00"),
        )
        unit = Unit.objects.with_effective_area().get(building=building)
        assert unit.effective_area_db == unit.effective_area == Decimal("70.00")

    def test_a_unit_without_any_area_is_refused_by_the_database(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Unit.objects.create(building=BuildingFactory(), room="1")

    def test_a_non_positive_area_is_refused(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Unit.objects.create(building=BuildingFactory(), room="1", registered_area=Decimal("0"))


class TestOwnerIdentifiers:
    def test_bad_identifiers_get_a_message_naming_the_field(self):
        owner = Owner(name="李四", mobile="2381234567", id_number="110105194912310021")
        with pytest.raises(ValidationError) as exc:
            owner.full_clean()
        assert "手机号码" in str(exc.value.message_dict["mobile"])
        assert "居民身份证号码" in str(exc.value.message_dict["id_number"])

    def test_an_organisation_has_no_resident_id(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Owner.objects.create(kind=OwnerKind.ORGANISATION, name="某公司", id_number="11010519491231002X")

    def test_a_developer_is_an_organisation(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            Owner.objects.create(name="王五", is_developer=True)

    def test_a_company_credit_code_is_checked(self):
        company = CompanyFactory.build(
            uscc=valid_uscc(1)[:-1] + "0" if valid_uscc(1)[-1] != "0" else valid_uscc(1)[:-1] + "1"
        )
        with pytest.raises(ValidationError) as exc:
            company.full_clean()
        assert "统一社会信用代码" in str(exc.value.message_dict["uscc"])


class TestManagementState:
    def test_no_manager_to_company_history_and_current_state(self):
        today = timezone.localdate()
        estate = EstateFactory(delivered_on=date(2012, 3, 1))
        assert Estate.objects.with_management_state().get(pk=estate.pk).management_state == ManagementState.NONE
        contract(estate, starts_on=date(2021, 6, 1), ends_on=today + timedelta(days=365))
        assert Estate.objects.with_management_state().get(pk=estate.pk).management_state == ManagementState.COMPANY
        history = management_history(estate, today=today)
        assert [(s.state, s.start) for s in history] == [("none", date(2012, 3, 1)), ("company", date(2021, 6, 1))]

    def test_a_terminated_contract_ends_management_on_its_last_day(self):
        today = timezone.localdate()
        estate = EstateFactory()
        signed = contract(estate, starts_on=date(2020, 1, 1), ends_on=today + timedelta(days=100))
        services.terminate_contract(actor=None, contract=signed, last_day=today - timedelta(days=1))
        state = Estate.objects.with_management_state(today).get(pk=estate.pk).management_state
        assert state == ManagementState.NONE
        assert (
            Estate.objects.with_management_state(today - timedelta(days=1)).get(pk=estate.pk).management_state
            == "company"
        )

    def test_self_management(self):
        estate = EstateFactory()
        services.start_self_management(actor=None, estate=estate, on=date(2022, 1, 1))
        assert Estate.objects.with_management_state().get(pk=estate.pk).management_state == ManagementState.SELF
