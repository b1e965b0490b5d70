from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from community.identifiers import (
    USCC_CHARSET,
    is_valid_mobile,
    is_valid_resident_id,
    is_valid_uscc,
    resident_id_check_digit,
    uscc_check_char,
)

# Published examples: a real-format credit code and the GB 11643 sample ID.
VALID_USCC = "91350100M000100Y43"
VALID_ID = "11010519491231002X"


def test_known_credit_code_is_valid_and_every_single_corruption_is_caught():
    assert is_valid_uscc(VALID_USCC)
    for position in range(18):
        for replacement in USCC_CHARSET:
            if replacement == VALID_USCC[position]:
                continue
            corrupted = VALID_USCC[:position] + replacement + VALID_USCC[position + 1 :]
            if position in range(2, 8) and not replacement.isdigit():
                assert not is_valid_uscc(corrupted)  # region code is digits
            else:
                assert not is_valid_uscc(corrupted), corrupted


@pytest.mark.parametrize(
    "code",
    ["", "91350100M000100Y4", "91350100M000100Y433", "91350100m000100y43", "91350100I000100Y43", None, 913501],
)
def test_malformed_credit_codes_are_refused(code):
    assert not is_valid_uscc(code)


@given(
    st.text(alphabet=USCC_CHARSET, min_size=2, max_size=2),
    st.text("0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_CHARSET, min_size=9, max_size=9),
)
def test_any_body_with_its_check_char_is_valid(head, region, org):
    body = head + region + org
    assert is_valid_uscc(body + uscc_check_char(body))


def test_known_resident_id_is_valid_and_a_wrong_check_digit_is_not():
    assert is_valid_resident_id(VALID_ID)
    for digit in "0123456789":
        assert not is_valid_resident_id(VALID_ID[:17] + digit)


def test_resident_id_needs_a_real_past_birth_date():
    for birth in ("19490230", "19491301", "18991231"):
        body = "110105" + birth + "002"
        assert not is_valid_resident_id(body + resident_id_check_digit(body))
    body = "110105" + "20300101" + "002"
    assert not is_valid_resident_id(body + resident_id_check_digit(body), today=date(2026, 11, 24))
    body = "110105" + "20261124" + "002"
    assert is_valid_resident_id(body + resident_id_check_digit(body), today=date(2026, 11, 24))


@pytest.mark.parametrize("number", ["", "11010519491231002x", "1101051949123100", "A1010519491231002X", None])
def test_malformed_resident_ids_are_refused(number):
    assert not is_valid_resident_id(number)


@pytest.mark.parametrize(
    "number,ok",
    [
        ("13812345678", True),
        ("19912345678", True),
        ("10000000000", True),
        ("23812345678", False),
        ("1381234567", False),
        ("138123456789", False),
        ("138-1234-567", False),
        ("", False),
    ],
)
def test_mobile_numbers(number, ok):
    assert is_valid_mobile(number) is ok
