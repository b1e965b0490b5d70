"""The assessment computed from the fixture by hand (scores_world.py says what is in it), each
component at its boundary, the bands at theirs, and the facts' fixed number of queries."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from community.rules import NATIONAL, Rules
from supervision import scoring
from supervision.facts import company_scores
from supervision.scoring import Facts, calendar_year, components, fee_statement_dues, last_12_months
from tests.supervision.scores_world import NOW, Scores, more_companies

pytestmark = pytest.mark.django_db


@pytest.fixture
def scores(world):
    return Scores(world)


def _by_name(parts):
    return {c.name: c for c in parts}


def test_the_year_scored_by_hand(scores):
    results = company_scores(scores.district, calendar_year(2025), now=NOW)
    by_company = {r.company: r for r in results}
    a = by_company[scores.a]
    f = a.facts
    # E1's ten units and E6's none; four requests, three judged (r3's limit is in 2026), one in time
    assert (f.units, f.requests, f.judged, f.in_time) == (10, 4, 3, 1)
    assert (f.rated, f.rating_sum, f.reopened) == (2, 6, 1)
    assert (f.dues, f.dues_in_time) == (2, 1)
    assert f.mediation == {scoring.MEDIATION_NO_AGREEMENT: 1, scoring.MEDIATION_AGREEMENT: 1}
    assert (f.left, f.left_unmanaged) == (1, 1)
    assert sorted(f.inspections) == [Decimal("80.0"), Decimal("91.0")]
    c = _by_name(a.components)
    assert c["volume"].value == Fraction(1, 3)  # 40 per 100 units against a ceiling of 60
    assert c["in_time"].value == Fraction(1, 3)
    assert c["rating"].value == Fraction(1, 2)  # mean 3
    assert c["reopened"].value == Fraction(3, 4)
    assert c["fee_disclosure"].value == Fraction(1, 2)
    assert (c["fund_disclosure"].value, c["fund_disclosure"].status) == (1, scoring.NOT_APPLICABLE)
    assert c["mediation"].value == Fraction(7, 10)  # 1.5 weighted of 5
    assert c["no_manager"].value == 0
    assert c["inspection"].value == Fraction(855, 1000)
    # 10/3 + 20/3 + 10 + 7.5 + 5 + 5 + 7 + 0 + 8.55 = 53.05, rounded half up
    assert a.total == Decimal("53.1")
    assert a.band == scoring.BLACK
    e1 = next(row for row in a.estates if row.estate == scores.e1)
    # per estate: no_manager does not apply, the estate's own inspection (80) only
    assert _by_name(e1.components)["no_manager"].status == scoring.NOT_APPLICABLE
    assert e1.total == Decimal("57.5")
    e6 = next(row for row in a.estates if row.estate == scores.e6)
    assert _by_name(e6.components)["volume"].status == scoring.NO_DATA
    b = by_company[scores.b]
    assert b.total == Decimal("100.0") and b.band == scoring.RED
    assert all(p.status in (scoring.NO_DATA, scoring.NOT_APPLICABLE) for p in b.components)
    assert [r.company for r in results] == [scores.b, scores.a]


def test_a_request_handled_exactly_at_its_limit_is_in_time_and_a_second_later_is_not(scores):
    (a,) = company_scores(scores.district, calendar_year(2025), now=NOW, companies=[scores.a])
    # r1 handled at its limit (in time), r2 one second after (late), r4 never (late)
    assert a.facts.in_time == 1 and a.facts.judged == 3


def test_volume_at_the_ceiling_is_zero_and_beyond_it_stays_zero():
    rules = NATIONAL
    at_ceiling = _by_name(components(Facts(units=100, requests=60), rules))["volume"]
    beyond = _by_name(components(Facts(units=100, requests=90), rules))["volume"]
    none = _by_name(components(Facts(units=100, requests=0), rules))["volume"]
    assert (at_ceiling.value, beyond.value, none.value) == (0, 0, 1)


def test_rating_one_is_zero_and_five_is_full():
    assert _by_name(components(Facts(rated=3, rating_sum=3), NATIONAL))["rating"].value == 0
    assert _by_name(components(Facts(rated=3, rating_sum=15), NATIONAL))["rating"].value == 1


def test_no_data_is_full_marks_and_says_so():
    parts = components(Facts(), NATIONAL)
    assert scoring.total(parts) == Decimal("100.0")
    statuses = {c.name: c.status for c in parts}
    assert statuses["fund_disclosure"] == scoring.NOT_APPLICABLE
    assert {s for n, s in statuses.items() if n != "fund_disclosure"} == {scoring.NO_DATA}


def test_mediation_at_its_ceiling_is_zero():
    facts = Facts(mediation={scoring.MEDIATION_NO_AGREEMENT: 4, scoring.MEDIATION_AGREEMENT: 2})  # 5 weighted
    assert _by_name(components(facts, NATIONAL))["mediation"].value == 0


@pytest.mark.parametrize(
    ("total", "band"),
    [("90.0", scoring.RED), ("89.9", scoring.NONE), ("60.0", scoring.NONE), ("59.9", scoring.BLACK)],
)
def test_the_bands_at_their_boundaries(total, band):
    assert scoring.band(Decimal(total), NATIONAL) == band


def test_the_bands_follow_the_district_rules():
    rules = Rules({"credit_red_list_min": "95", "credit_black_list_below": "70"})
    assert scoring.band(Decimal("94.9"), rules) == scoring.NONE
    assert scoring.band(Decimal("69.9"), rules) == scoring.BLACK


def test_rounding_is_half_up_and_exact():
    assert scoring.round_half_up(Fraction(1061, 20)) == Decimal("53.1")  # 53.05
    assert scoring.round_half_up(Fraction(10609, 200)) == Decimal("53.0")  # 53.045
    assert scoring.ranks([Decimal("90"), Decimal("80"), Decimal("90"), Decimal("70")]) == [1, 3, 1, 4]


def test_fee_dues_follow_the_duty_list():
    year = calendar_year(2025)
    # books from 1 Mar 2024, yearly: due 1 Mar 2025; published on that day: on time
    assert fee_statement_dues(
        books_start=date(2024, 3, 1),
        books_last=date(2030, 1, 1),
        statements=[(date(2025, 3, 1), date(2025, 2, 28))],
        months=12,
        period=year,
        as_of=date(2025, 12, 31),
    ) == (1, 1)
    # the day after: late
    assert fee_statement_dues(
        books_start=date(2024, 3, 1),
        books_last=date(2030, 1, 1),
        statements=[(date(2025, 3, 2), date(2025, 2, 28))],
        months=12,
        period=year,
        as_of=date(2025, 12, 31),
    ) == (1, 0)
    # never published: missed, and still missed the next year
    never = dict(books_start=date(2023, 3, 1), books_last=date(2030, 1, 1), statements=[], months=12)
    assert fee_statement_dues(**never, period=calendar_year(2024), as_of=date(2024, 12, 31)) == (1, 0)
    assert fee_statement_dues(**never, period=year, as_of=date(2025, 12, 31)) == (1, 0)
    # a due after the contract's last day is not the company's
    assert fee_statement_dues(
        books_start=date(2024, 3, 1),
        books_last=date(2025, 2, 27),
        statements=[],
        months=12,
        period=year,
        as_of=date(2025, 12, 31),
    ) == (0, 0)


def test_the_running_period_is_the_last_twelve_months():
    assert last_12_months(date(2026, 12, 3)).start == date(2025, 12, 4)
    assert last_12_months(date(2024, 2, 29)).start == date(2023, 3, 1)


def test_the_facts_take_a_fixed_number_of_queries(scores, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(10) as few:
        small = company_scores(scores.district, calendar_year(2025), now=NOW)
    more_companies(world, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = company_scores(scores.district, calendar_year(2025), now=NOW)
    assert len(large) == len(small) + 6
