"""Checks a regex match must also pass: placeholders, entropy, checksums, shapes.

Each validator takes the value and its match and returns True when it is a real
finding. Checksums come from python-stdnum (IBAN mod-97, Luhn, codice fiscale,
partita IVA), so random digit runs and typos are not reported.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.it import codicefiscale, iva

from convergio_tui.tools.harden.wordlists import (
    COUNTRY_CODES,
    EMAIL_SKIP_DOMAINS,
    EMAIL_SKIP_LOCAL,
    EMAIL_SKIP_SUFFIXES,
    FILE_TLDS,
    PLACEHOLDER_FRAGMENTS,
    PLACEHOLDER_VALUES,
    TEST_CARDS,
)

# Minimum entropy (bits/char) of a value assigned to a token/key/secret name.
GENERIC_MIN_ENTROPY = 3.0
# "{DB_PW}", "{0}", "{user.token}": an f-string or str.format field, not a value.
_FORMAT_FIELD = re.compile(r"\{[A-Za-z_0-9][\w.]*\}")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INTEGRITY = re.compile(r"^(?:sha(?:1|224|256|384|512)|md5)[-:]", re.IGNORECASE)
_DOTTED_IDENT = re.compile(r"^[A-Za-z_][\w\-]*(?:[.:/][A-Za-z_][\w\-]*)+$")
_SNAKE_WORDS = re.compile(r"^[A-Za-z]+(?:[_\-.][A-Za-z]+)*$")
_SYMBOLS = set("!@#$%^&*+=?~;,/|:'\"()[]{}")
_SECRET_KEY_NAME = re.compile(
    r"(?:secret|api|access|private|auth|signing|encryption|master|client|app|license|"
    r"subscription|service|account|storage|webhook)[_\-.]?key$"
)
_CODE_CALL = re.compile(r"^[A-Za-z_][\w.]*[(\[]")
# Words that end in "pass" without being a password.
_NOT_PASSWORDS = (
    "bypass",
    "compass",
    "overpass",
    "underpass",
    "surpass",
    "trespass",
    "multipass",
    "firstpass",
    "onepass",
    "singlepass",
    "secondpass",
)
_PASSWORD_NAME = re.compile(r"(?:password|passwd|passphrase|pwd|pass)$", re.IGNORECASE)


@dataclass(frozen=True)
class Ctx:
    """Where a value was found: the whole text, the value's span, the assigned name."""

    text: str
    start: int
    end: int
    name: str | None
    name_start: int
    match: re.Match[str]

    def group(self, group: str) -> str:
        """A regex group's text, taken from the original (not lower-cased) text."""
        a, b = self.match.span(group)
        return self.text[a:b] if a >= 0 else ""

    def before(self) -> str:
        """The character just before the value ("" at the start)."""
        return self.text[self.start - 1] if self.start > 0 else ""

    def after(self) -> str:
        """The character just after the value ("" at the end)."""
        return self.text[self.end] if self.end < len(self.text) else ""


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_placeholder(value: str) -> bool:
    """True for examples, templates, references and repeated characters."""
    low = value.lower()
    if low in PLACEHOLDER_VALUES or low.startswith(("$", "%", "env:", "env.", "process.env")):
        return True
    if any(fragment in low for fragment in PLACEHOLDER_FRAGMENTS) or _FORMAT_FIELD.search(value):
        return True
    stripped = low.strip("-_. ")
    return len(set(stripped)) <= 2  # "aaaaaaaa", "0000-0000", "----"


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _sequential(digits: str) -> bool:
    return digits in "01234567890123456789" or digits in "98765432109876543210"


def check_card(value: str, ctx: Ctx) -> bool:
    """Luhn-valid, 13-19 digits, a real issuer prefix, not a published test number."""
    if ctx.before().isalnum() or ctx.before() in "_.-" or ctx.after().isdigit():
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


def check_iban(value: str, ctx: Ctx) -> bool:
    """A valid IBAN: known country, right length, mod-97 check digits."""
    compact = value.replace(" ", "")
    # Check digits 00, 01 and 99 are never issued (mod-97 yields 02..98).
    return compact[2:4] not in ("00", "01", "99") and bool(std_iban.is_valid(compact))


def check_codice_fiscale(value: str, ctx: Ctx) -> bool:
    """A personal Italian codice fiscale with a correct check character."""
    return bool(codicefiscale.is_valid(value))


def check_partita_iva(value: str, ctx: Ctx) -> bool:
    """An Italian partita IVA with a correct check digit (not all zeros)."""
    return value.strip("0") != "" and bool(iva.is_valid(value)) and not _sequential(value[:10])


def check_jwt(value: str, ctx: Ctx) -> bool:
    """The first segment decodes to a JSON header naming an algorithm."""
    head = value.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and "alg" in header


def check_private_key(value: str, ctx: Ctx) -> bool:
    """A PEM block with a real body (at least 40 base64 characters, no ellipsis)."""
    lines = value.replace("\\n", "\n").splitlines()[1:-1]
    body = "".join(line.strip() for line in lines if ":" not in line)
    return len(re.findall(r"[A-Za-z0-9+/=]", body)) >= 40 and not is_placeholder(body)


def check_url_password(value: str, ctx: Ctx) -> bool:
    """A password in ``scheme://user:password@host``, not a port or a template."""
    if value.isdigit() and len(value) <= 5:  # host:port@ is not a password
        return False
    return not is_placeholder(ctx.group("user") + value) and len(value) >= 3


def _password_like(value: str) -> bool:
    """Looks typed by a person: has a digit or a symbol, is not words or a reference."""
    if _DOTTED_IDENT.match(value) or _SNAKE_WORDS.match(value):
        return False
    has_digit = any(ch.isdigit() for ch in value)
    has_symbol = any(ch in _SYMBOLS for ch in value)
    return (has_digit or has_symbol) and not value.isdigit()


def check_assignment(value: str, ctx: Ctx) -> bool:
    """A value assigned to a secret-sounding name.

    Password names need a value that looks typed (digit or symbol, not letters only,
    so translations like "Passwort" pass). Other names (token, api_key, secret...)
    need a long random-looking value: letters and digits, 12+ characters, entropy
    of at least ``GENERIC_MIN_ENTROPY``, not a UUID or a hash tag.
    """
    name = ctx.name or ""
    low_name = name.lower()
    if low_name.endswith(_NOT_PASSWORDS):
        return False
    if low_name.endswith("key") and not _SECRET_KEY_NAME.search(low_name):
        return False  # sort_key, cache_key, primary_key: not secrets
    if _CODE_CALL.match(value):  # password = getpass.getpass(), token = env["X"]
        return False
    if _UUID.match(value) or _INTEGRITY.match(value) or value.lower().startswith("sha"):
        return False
    if value.startswith(("http://", "https://", "/", "./", "~/")) or "://" in value:
        return False
    if _PASSWORD_NAME.search(name):
        return _password_like(value) and value.lower() not in name.lower()
    has_alpha = any(ch.isalpha() for ch in value)
    has_digit = any(ch.isdigit() for ch in value)
    if len(value) < 12 or not (has_alpha and has_digit) or _DOTTED_IDENT.match(value):
        return False
    return shannon_entropy(value) >= GENERIC_MIN_ENTROPY


def check_email(value: str, ctx: Ctx) -> bool:
    """A personal address: not an example/test domain, a no-reply box or a file name."""
    local, _, domain = value.lower().rpartition("@")
    if not local or local[0] in "._-" or ctx.before() in ("/", ":", "\\"):
        return False  # "@scope/pkg", "https://user@host": not an address
    tld = domain.rsplit(".", 1)[-1]
    if tld in FILE_TLDS or local in EMAIL_SKIP_LOCAL or local.startswith("noreply"):
        return False
    if domain in EMAIL_SKIP_DOMAINS or domain.endswith(EMAIL_SKIP_SUFFIXES):
        return False
    return not domain.startswith("example.") and not is_placeholder(local)


def check_phone(value: str, ctx: Ctx) -> bool:
    """An international number: a real country code and 8-15 digits, not a run."""
    if ctx.before().isalnum() or ctx.before() in "_+/=.-":
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
    return not re.fullmatch(r"\d{4}[.\-]\d{2}[.\-]\d{2}", value.strip())  # a date


def check_phone_us(value: str, ctx: Ctx) -> bool:
    """A North American number outside the fictional 555-01xx range."""
    digits = _digits(value)
    return not (digits[3:6] == "555" and digits[6:8] == "01") and len(set(digits)) > 2


_LINE_LEAD = re.compile(r"[ \t]*(?:export[ \t]+|-[ \t]+)?[\"']?$")


def check_assignment_line(value: str, ctx: Ctx) -> bool:
    """``check_assignment`` for ``NAME=value`` lines: the name must open its line."""
    name_start = ctx.name_start if ctx.name_start >= 0 else ctx.start
    line_start = ctx.text.rfind("\n", 0, name_start) + 1
    if not _LINE_LEAD.match(ctx.text, line_start, name_start):
        return False
    value = value.rstrip(",;)")  # trailing punctuation of a call's keyword argument
    return len(value) >= 6 and check_assignment(value, ctx)


Validator = Callable[[str, Ctx], bool]

VALIDATORS: dict[str, Validator] = {
    "card": check_card,
    "iban": check_iban,
    "codice_fiscale": check_codice_fiscale,
    "partita_iva": check_partita_iva,
    "jwt": check_jwt,
    "private_key": check_private_key,
    "url_password": check_url_password,
    "assignment": check_assignment,
    "assignment_line": check_assignment_line,
    "email": check_email,
    "phone": check_phone,
    "phone_local": check_phone_local,
    "phone_us": check_phone_us,
}
