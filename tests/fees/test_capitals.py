"""The amount in Chinese capitals on a receipt, at its boundaries (fees.capitals, pure)."""

from decimal import Decimal

import pytest

from fees.capitals import rmb_capitals


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0", "人民币零元整"),
        ("0.00", "人民币零元整"),
        ("0.01", "人民币壹分"),
        ("0.10", "人民币壹角整"),
        ("0.15", "人民币壹角伍分"),
        ("1.00", "人民币壹元整"),
        ("1.05", "人民币壹元零伍分"),
        ("10.00", "人民币壹拾元整"),
        ("15.00", "人民币壹拾伍元整"),
        ("100.50", "人民币壹佰元伍角整"),
        ("1234.56", "人民币壹仟贰佰叁拾肆元伍角陆分"),
        ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),
        ("1001.00", "人民币壹仟零壹元整"),
        ("1010.00", "人民币壹仟零壹拾元整"),
        ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
        ("100000.00", "人民币壹拾万元整"),
        ("107000.53", "人民币壹拾万柒仟元伍角叁分"),
        ("100100.00", "人民币壹拾万零壹佰元整"),
        ("1000010.05", "人民币壹佰万零壹拾元零伍分"),
        ("10000000.00", "人民币壹仟万元整"),
        ("100000001.00", "人民币壹亿零壹元整"),
        ("120000000.00", "人民币壹亿贰仟万元整"),
        ("100010000.00", "人民币壹亿零壹万元整"),
    ],
)
def test_capitals_follow_the_rules_for_zero_and_whole(amount, capitals):
    assert rmb_capitals(Decimal(amount)) == capitals


def test_capitals_take_the_amount_to_the_cent_and_refuse_a_negative_one():
    assert rmb_capitals("12.345") == "人民币壹拾贰元叁角伍分"
    assert rmb_capitals(7) == "人民币柒元整"
    with pytest.raises(ValueError):
        rmb_capitals("-0.01")
