from datetime import date

from community.tenure.history import COMPANY, NONE, SELF, Period, timeline

TODAY = date(2026, 11, 24)


def test_no_records_is_no_manager_since_delivery():
    (segment,) = timeline([], since=date(2010, 5, 1), today=TODAY)
    assert (segment.start, segment.last, segment.state) == (date(2010, 5, 1), None, NONE)
    assert segment.days(TODAY) == (TODAY - date(2010, 5, 1)).days + 1


def test_no_manager_then_a_company():
    segments = timeline(
        [Period(date(2021, 6, 1), date(2027, 5, 31), COMPANY, "甲物业")], since=date(2012, 1, 1), today=TODAY
    )
    assert [(s.start, s.last, s.state) for s in segments] == [
        (date(2012, 1, 1), date(2021, 5, 31), NONE),
        (date(2021, 6, 1), None, COMPANY),
    ]


def test_a_gap_between_contracts_shows_as_no_manager_and_renewals_merge():
    periods = [
        Period(date(2010, 1, 1), date(2012, 12, 31), COMPANY, "甲"),
        Period(date(2013, 1, 1), date(2015, 12, 31), COMPANY, "甲"),
        Period(date(2016, 3, 1), date(2019, 2, 28), COMPANY, "乙"),
        Period(date(2019, 3, 1), None, SELF),
    ]
    segments = timeline(periods, since=date(2010, 1, 1), today=TODAY)
    assert [(s.start, s.last, s.state, s.label) for s in segments] == [
        (date(2010, 1, 1), date(2015, 12, 31), COMPANY, "甲"),
        (date(2016, 1, 1), date(2016, 2, 29), NONE, ""),
        (date(2016, 3, 1), date(2019, 2, 28), COMPANY, "乙"),
        (date(2019, 3, 1), None, SELF, ""),
    ]


def test_a_contract_that_ended_yesterday_leaves_the_estate_without_a_manager_today():
    segments = timeline(
        [Period(date(2020, 1, 1), TODAY.replace(day=23), COMPANY, "甲")], since=date(2020, 1, 1), today=TODAY
    )
    assert segments[-1].state == NONE and segments[-1].start == TODAY and segments[-1].last is None


def test_a_company_outranks_self_management_where_they_overlap():
    periods = [Period(date(2020, 1, 1), None, SELF), Period(date(2022, 1, 1), None, COMPANY, "丙")]
    segments = timeline(periods, since=date(2020, 1, 1), today=TODAY)
    assert [s.state for s in segments] == [SELF, COMPANY]
