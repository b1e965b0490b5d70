"""Check digits of the identifiers the registry stores.

Pure Python, no Django: the models, forms, importers and ``seed_demo`` all
call these, and the demo data is generated with the same check functions so
that every generated code is valid by construction.
"""

from __future__ import annotations

import re
from datetime import date

# GB 32100-2015: 31 characters; I, O, Z, S and V are never used.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# GB 11643-1999 / ISO 7064 MOD 11-2.
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"
_RESIDENT_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")

# RULES.md §7: eleven digits, the first of them 1.
_MOBILE_SHAPE = re.compile(r"^1\d{10}$")


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a credit code."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """A unified social credit code: 18 characters with a correct check character."""
    if not isinstance(code, str) or not _USCC_SHAPE.match(code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def resident_id_check_digit(first17: str) -> str:
    """The check digit for the first 17 digits of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def resident_id_birth_date(number: str) -> date | None:
    """The birth date written in positions 7-14, or None when it is not a date."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid_resident_id(number: str, *, today: date | None = None) -> bool:
    """An 18-character resident ID with a real, past birth date and a correct check digit.

    A lower-case ``x`` is refused: the standard writes the check character as ``X``
    and the forms upper-case input before validating.
    """
    if not isinstance(number, str) or not _RESIDENT_ID_SHAPE.match(number):
        return False
    born = resident_id_birth_date(number)
    if born is None or born.year < 1900 or born > (today or date.today()):
        return False
    return resident_id_check_digit(number[:17]) == number[17]


def is_valid_mobile(number: str) -> bool:
    """A mainland mobile number: 11 digits starting with 1."""
    return isinstance(number, str) and bool(_MOBILE_SHAPE.match(number))
