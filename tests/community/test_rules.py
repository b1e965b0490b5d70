import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from community.models import RuleSet
from community.rules import NATIONAL, RULE_SPECS, Rules, Threshold, rules_for
from tests.factories import DistrictFactory, EstateFactory, GridFactory


class TestThresholdBoundaries:
    def test_exactly_two_thirds_meets_an_inclusive_two_thirds(self):
        assert NATIONAL.vote_quorum_area.met(2, 3)
        assert NATIONAL.vote_quorum_heads.met(Decimal("200.00"), Decimal("300.00"))

    def test_one_unit_short_of_two_thirds_fails(self):
        assert not NATIONAL.vote_quorum_heads.met(199, 300)
        assert not NATIONAL.vote_quorum_area.met(Decimal("199.99"), Decimal("300.00"))

    def test_exactly_half_fails_more_than_half(self):
        assert not NATIONAL.vote_ordinary_approval_area.met(Decimal("50.00"), Decimal("100.00"))
        assert not NATIONAL.vote_ordinary_approval_heads.met(5, 10)

    def test_one_cent_over_half_passes(self):
        assert NATIONAL.vote_ordinary_approval_area.met(Decimal("50.01"), Decimal("100.00"))

    def test_exactly_three_quarters_passes_the_special_majority(self):
        area, heads = NATIONAL.approval_thresholds(7)
        assert area.met(3, 4) and heads.met(Decimal("75"), Decimal("100"))
        assert not area.met(Decimal("74.99"), Decimal("100"))

    def test_an_empty_whole_never_decides(self):
        assert not Threshold.parse("≥0/1").met(0, 0)

    def test_floats_are_refused(self):
        with pytest.raises(TypeError):
            NATIONAL.vote_quorum_area.met(0.7, 1)

    @given(st.integers(0, 10**6), st.integers(1, 10**6))
    def test_inclusive_and_strict_differ_only_at_the_boundary(self, part, whole):
        part = min(part, whole)
        at_least, more_than = Threshold(Fraction(1, 2), True), Threshold(Fraction(1, 2), False)
        assert at_least.met(part, whole) == (2 * part >= whole)
        assert more_than.met(part, whole) == (2 * part > whole)


def test_matters_six_to_eight_need_three_quarters_and_the_rest_more_than_half():
    for matter in range(1, 10):
        area, heads = NATIONAL.approval_thresholds(matter)
        expected = "≥3/4" if matter in (6, 7, 8) else ">1/2"
        assert str(area) == str(heads) == expected
    with pytest.raises(ValueError):
        NATIONAL.approval_thresholds(10)


@pytest.mark.parametrize("text", ["2/3", "≥3/2", "≥1/0", ">=a/b", ""])
def test_bad_threshold_text_is_refused(text):
    with pytest.raises(ValueError):
        Threshold.parse(text)


def test_every_rule_has_a_parsable_national_default():
    rules = Rules()
    for spec in RULE_SPECS:
        assert getattr(rules, spec.name) is not None
    assert rules.price_hotline == "12358"
    assert rules.fund_topup_below == Fraction(3, 10)
    assert rules.filing_requires_exam is False


@pytest.mark.django_db
class TestRuleSetOverrides:
    def test_a_district_without_a_rule_set_follows_national_defaults(self):
        estate = EstateFactory()
        assert rules_for(estate) is NATIONAL

    def test_a_district_override_wins_and_blank_fields_inherit(self):
        rule_set = RuleSet.objects.create(name="试点", filing_requires_exam=True, vote_quorum_area="≥3/4")
        estate = EstateFactory(grid=GridFactory(community__street__district=DistrictFactory(rule_set=rule_set)))
        rules = rules_for(estate)
        assert rules.filing_requires_exam is True
        assert str(rules.vote_quorum_area) == "≥3/4"
        assert str(rules.vote_quorum_heads) == "≥2/3"
        assert rules.overridden == {"filing_requires_exam", "vote_quorum_area"}

    def test_an_unreadable_override_is_refused_with_the_rule_named(self):
        rule_set = RuleSet(name="坏规则", vote_quorum_area="2/3")
        with pytest.raises(ValidationError) as exc:
            rule_set.full_clean()
        assert "表决参与：专有部分面积占比" in str(exc.value)


APPS = [
    "community",
    "notifications",
    "cms",
    "residents",
    "committees",
    "fees",
    "grid",
    "mediation",
    "supervision",
    "config",
]


def test_no_threshold_literal_outside_the_rule_set():
    """Fractions such as Fraction(2, 3) belong in community/rules.py only."""
    pattern = re.compile(r"Fraction\(\s*\d+\s*,\s*\d+\s*\)|[≥>]=?\s*\d+/\d+")
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if path.name == "rules.py" or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []
