"""An amount of money in Chinese capitals (大写金额), as a receipt prints it. Pure Python.

The rules are those for filling in bills and vouchers (《正确填写票据和结算凭证的基本规定》):

* the digits are 零壹贰叁肆伍陆柒捌玖, the units 拾佰仟万亿 and 元角分, after 人民币;
* an amount that stops at 元 ends in 整, one that stops at 角 ends in 整 too (the rule allows it, and
  it leaves nothing to add), one with 分 never does;
* zeros between digits are written as one 零 (壹仟零壹拾, 壹佰万零壹拾): a run of zeros, or a whole
  group of four, is one 零; trailing zeros of the yuan are not written (壹拾万元整);
* when 角 is zero and 分 is not, 零 follows 元 (壹元零伍分); an amount under one yuan starts at its
  first digit (壹分, 壹角整); nothing at all is 零元整;
* a leading 拾 keeps its 壹 (壹拾元整), since 拾 alone could be altered.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _group(value: int) -> str:
    """0 < value < 10000, without the zeros it starts with."""
    text, zero = "", False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
            zero = False
        text += DIGITS[digit] + PLACES[place]
    return text


def _yuan(value: int) -> str:
    if value >= 10**16:
        raise ValueError("amount too large")
    groups = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    text, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _group(group) + GROUPS[index]
        pending_zero = False
    return text


def rmb_capitals(amount) -> str:
    """``amount`` (Decimal, str or int, yuan) in capitals: 1234.56 -> 人民币壹仟贰佰叁拾肆元伍角陆分."""
    cents = int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if cents < 0:
        raise ValueError("a negative amount has no capitals on a receipt")
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    text = _yuan(yuan)
    if text:
        text += "元"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and text:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    if not text:
        text = "零元"
    if not fen:
        text += "整"
    return "人民币" + text
