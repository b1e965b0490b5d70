"""Binding codes and SMS codes as plain values (no database).

A binding code is 12 characters from an alphabet of 31 without look-alikes (no 0/O, 1/I/L):
59 bits from ``secrets``, so guessing one among even a million live letters takes on the order
of 10^12 tries, and the lock after five wrong ones stops that. It is printed in three groups
of four and read back however it is typed: spaces, dashes and case do not matter.
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 signs: no 0 O 1 I L
LENGTH = 12
GROUP = 4
SMS_DIGITS = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """What was typed or scanned, as the code it stands for: upper case, no separators."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def digest(code: str) -> str:
    """The only form in which a code is stored."""
    return hashlib.sha256(f"binding:{code}".encode()).hexdigest()


def printed(code: str) -> str:
    """A code as the letter prints it: ``ABCD-EFGH-JKMN``."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def new_sms_code() -> str:
    return f"{secrets.randbelow(10**SMS_DIGITS):0{SMS_DIGITS}d}"


def sms_digest(mobile: str, purpose: str, code: str) -> str:
    return hashlib.sha256(f"sms:{mobile}:{purpose}:{code}".encode()).hexdigest()


def id_tail(owner) -> str:
    """The last six characters of an owner's ID number (a person) or credit code (an
    organisation), upper case; "" when the registry holds neither."""
    number = owner.id_number or owner.uscc or ""
    return number[-6:].upper() if len(number) >= 6 else ""
