"""Validators of personal numbers: the checks that keep ordinary numbers from being taken for them.

* Resident ID card (GB 11643-1999): a province code, a real birth date and,
  for the 18-digit form, the ISO 7064 MOD 11-2 check character.
* Bank card: the Luhn sum (ISO/IEC 7812) and the issuer prefix.
* Mainland mobile numbers (``1[3-9]`` + nine digits) and landlines (area
  code ``010``/``02x`` + eight digits, or ``0xxx`` + seven or eight).
"""
from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "PROVINCE_CODES",
    "id_card_check_char",
    "is_bank_card",
    "is_id_card",
    "is_landline",
    "is_mobile",
    "luhn_ok",
]

# First two digits of the administrative division code (GB/T 2260).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83", "91",
})
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = re.compile(r"(?:0086|86)?1[3-9]\d{9}")
# 010 and 020–029 are followed by eight digits (seven accepted: a customer's slip), other area codes
# (0 + three digits) by seven or eight.
# The leading 0 of the area code is dropped after the country code (+86 10 1234 5678).
_LANDLINE = re.compile(r"(?:0|0086|86)(?:(?:10|2\d)\d{7,8}|[3-9]\d{2}\d{7,8})")


def id_card_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of an ID-card number."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _date_ok(year: int, month: int, day: int) -> bool:
    if not 1900 <= year <= dt.date.today().year:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def is_id_card(digits: str) -> bool:
    """Whether ``digits`` (ASCII, last may be ``X``) is a resident ID-card number.

    18 characters: a real birth date at 7–14 or a correct check character
    (a customer may mistype one digit of the date, rarely both). 15 digits
    (the old form, 1984–1999 cards): a province code and a real 19YYMMDD date.
    """
    if digits[:2] not in PROVINCE_CODES and digits[6:8] not in ("19", "20"):
        return False  # neither a province nor a birth year: most candidates stop here, cheaply
    digits = digits.upper()
    if len(digits) == 18 and digits[0] != "0" and digits[:17].isdigit() and digits[17] in "0123456789X":
        birth = _date_ok(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
        return birth or (digits[:2] in PROVINCE_CODES and id_card_check_char(digits[:17]) == digits[17])
    if len(digits) == 15 and digits.isdigit():
        return digits[:2] in PROVINCE_CODES and _date_ok(1900 + int(digits[6:8]), int(digits[8:10]),
                                                         int(digits[10:12]))
    return False


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check of a card number."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def is_bank_card(digits: str, *, cue: bool = False) -> bool:
    """Whether 16–19 digits are a bank-card number.

    UnionPay (62), Visa (4), Mastercard (5), JCB/Amex (3) prefixes or a valid
    Luhn sum or a card word nearby (``cue``). An order number of that length
    starting otherwise passes only one time in ten (Luhn).
    """
    if not (16 <= len(digits) <= 19 and digits.isdigit()):
        return False
    return cue or digits[0] in "3456" or luhn_ok(digits)


def is_mobile(digits: str) -> bool:
    """A mainland mobile number, optionally with the 86 / 0086 country code."""
    return _MOBILE.fullmatch(digits) is not None


def is_landline(digits: str) -> bool:
    """A mainland landline with its area code (service numbers 400/800 are not personal)."""
    return _LANDLINE.fullmatch(digits) is not None
