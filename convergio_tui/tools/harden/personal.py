"""Checks a personal-data match must pass: checksums, issuer prefixes, boundaries.

Checksums come from python-stdnum (IBAN mod-97, Luhn, codice fiscale, partita IVA), so
random digit runs and typos are not reported. A number that passes its checksum is not
dropped for looking like a placeholder (the IBAN registry's own samples contain runs of
zeros and ``1234567890``): whether it is an example is the verdict's call (verdict.py),
made from the words around it.
"""

from __future__ import annotations

import re

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.it import codicefiscale, iva

from convergio_tui.tools.harden.match_ctx import Ctx, is_placeholder, is_repeated
from convergio_tui.tools.harden.wordlists import (
    COUNTRY_CODES,
    EMAIL_SKIP_DOMAINS,
    EMAIL_SKIP_LOCAL,
    EMAIL_SKIP_SUFFIXES,
    FILE_TLDS,
    TEST_CARDS,
)

_IBAN_SEPARATORS = re.compile(r"[ .\-]+")
_ISO_DAY = re.compile(r"\d{4}[.\-]\d{2}[.\-]\d{2}")
# The shortest IBAN (Norway) has 15 characters.
IBAN_MIN = 15


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _sequential(digits: str) -> bool:
    return digits in "01234567890123456789" or digits in "98765432109876543210"


def check_card(value: str, ctx: Ctx) -> bool:
    """Luhn-valid, 13-19 digits, a real issuer prefix, not a published test number."""
    if ctx.before().isalnum() or ctx.before_in("_.-") or ctx.after().isdigit():
        return False
    digits = _digits(value)
    if not 13 <= len(digits) <= 19 or digits in TEST_CARDS or not luhn.is_valid(digits):
        return False
    if len(set(digits)) <= 2:
        return False
    two, four = int(digits[:2]), int(digits[:4])
    return (
        digits[0] == "4"
        or 51 <= two <= 55
        or 2221 <= four <= 2720
        or two in (34, 37)
        or digits.startswith(("6011", "65", "62", "35", "36", "38", "30"))
        or 644 <= int(digits[:3]) <= 649
    )


def _iban_valid(compact: str) -> bool:
    # Check digits 00, 01 and 99 are never issued (mod-97 yields 02..98).
    return compact[2:4] not in ("00", "01", "99") and bool(std_iban.is_valid(compact))


def check_iban(value: str, ctx: Ctx) -> bool:
    """A valid IBAN: known country, right length, mod-97 check digits.

    Written as people write it: grouped by spaces, dashes or dots, in either case. The
    regex may run on into a following word ("... 0130 00 ABCD"), so shorter readings
    that end at a separator are tried too."""
    if ctx.before_in("_-.") or ctx.after_in("_"):
        return False
    chunks = _IBAN_SEPARATORS.split(value.upper())
    while chunks:
        compact = "".join(chunks)
        if len(compact) < IBAN_MIN:
            return False
        if _iban_valid(compact):
            return True
        chunks.pop()
    return False


def check_codice_fiscale(value: str, ctx: Ctx) -> bool:
    """A personal Italian codice fiscale with a correct check character."""
    return bool(codicefiscale.is_valid(value))


def check_partita_iva(value: str, ctx: Ctx) -> bool:
    """An Italian partita IVA with a correct check digit (not all zeros)."""
    return value.strip("0") != "" and bool(iva.is_valid(value)) and not _sequential(value[:10])


def check_partita_iva_bare(value: str, ctx: Ctx) -> bool:
    """An unlabelled 11-digit partita IVA: a standalone number, not part of a version,
    a path, a URL parameter, a sum or a longer run of digits."""
    if ctx.before().isalnum() or ctx.before_in("_.-+/:#=\\$€£") or ctx.after_in("_.-/:%"):
        return False
    return check_partita_iva(value, ctx) and not is_repeated(value)


def check_email(value: str, ctx: Ctx) -> bool:
    """A personal address: not an example/test domain, a no-reply box or a file name."""
    local, _, domain = value.lower().rpartition("@")
    if not local or local[0] in "._-" or ctx.before_in("/:\\"):
        return False  # "@scope/pkg", "https://user@host": not an address
    tld = domain.rsplit(".", 1)[-1]
    if tld in FILE_TLDS or local in EMAIL_SKIP_LOCAL or local.startswith("noreply"):
        return False
    if domain in EMAIL_SKIP_DOMAINS or domain.endswith(EMAIL_SKIP_SUFFIXES):
        return False
    return not domain.startswith("example.") and not is_placeholder(local)


def check_phone(value: str, ctx: Ctx) -> bool:
    """An international number: a real country code and 8-15 digits, not a run."""
    if ctx.before().isalnum() or ctx.before_in("_+/=.-"):
        return False
    digits = _digits(value)
    if not 8 <= len(digits) <= 15 or len(set(digits)) <= 2 or _sequential(digits[1:]):
        return False
    return any(digits[:n] in COUNTRY_CODES for n in (1, 2, 3))


def check_phone_local(value: str, ctx: Ctx) -> bool:
    """A labelled national number: 7-15 digits, not a run, not a placeholder."""
    digits = _digits(value)
    if not 7 <= len(digits) <= 15 or len(set(digits)) <= 2 or _sequential(digits):
        return False
    return not _ISO_DAY.fullmatch(value.strip())  # a date


def check_phone_us(value: str, ctx: Ctx) -> bool:
    """A North American number outside the fictional 555-01xx range."""
    digits = _digits(value)
    return not (digits[3:6] == "555" and digits[6:8] == "01") and len(set(digits)) > 2
