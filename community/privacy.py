"""Masking of personal information for anything shown beyond its owner (PIPL, RULES.md §6).

Plain Python. Public pages and roles without the ``view_personal_data``
permission only ever see the masked forms produced here.
"""

from __future__ import annotations

import re

MASK = "*"


def mask_name(name: str) -> str:
    """张三 -> 张**; an organisation's name is public and is not passed here."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + MASK * 2


def mask_mobile(number: str) -> str:
    """13812345678 -> 138****5678."""
    number = (number or "").strip()
    if len(number) < 8:
        return MASK * len(number)
    return number[:3] + MASK * (len(number) - 7) + number[-4:]


def mask_id_number(number: str) -> str:
    """110101199003074578 -> 110***********4578: the birth date never shows."""
    number = (number or "").strip()
    if len(number) < 8:
        return MASK * len(number)
    return number[:3] + MASK * (len(number) - 7) + number[-4:]


_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def mask_text(text: str, names: tuple[str, ...] | list[str] = ()) -> str:
    """Mask every ID number and mobile number in free text, and each of ``names``."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text or "")
    text = _MOBILE_IN_TEXT.sub(lambda m: mask_mobile(m.group(0)), text)
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    return text
