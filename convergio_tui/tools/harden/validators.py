"""Checks a credential match must also pass: placeholders, entropy, shapes.

Each validator takes the value and its match and returns True when it is a real
finding. The personal-data checks (checksums, boundaries) live in personal.py; this
module also holds the registry of every validator a rule may name.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable

from convergio_tui.tools.harden import personal
from convergio_tui.tools.harden.match_ctx import Ctx, is_placeholder, shannon_entropy

__all__ = ["VALIDATORS", "Ctx", "Validator", "is_placeholder", "shannon_entropy"]

# Minimum entropy (bits/char) of a value assigned to a token/key/secret name.
GENERIC_MIN_ENTROPY = 3.0
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INTEGRITY = re.compile(r"^(?:sha(?:1|224|256|384|512)|md5)[-:]", re.IGNORECASE)
_DOTTED_IDENT = re.compile(r"^[A-Za-z_][\w\-]*(?:[.:/][A-Za-z_][\w\-]*)+$")
_SNAKE_WORDS = re.compile(r"^[A-Za-z]+(?:[_\-.][A-Za-z]+)*$")
# "3.0-3.12", "1.2.3": a version or a range of them (typeshed's "spwd: 3.0-3.12").
_VERSION = re.compile(r"^\d+(?:\.\d+)+(?:-(?:\d+(?:\.\d+)*)?)?$")
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


def check_jwt(value: str, ctx: Ctx) -> bool:
    """The first segment decodes to a JSON header naming an algorithm."""
    head = value.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError):
        return False
    return isinstance(header, dict) and "alg" in header


def check_jwt_base64(value: str, ctx: Ctx) -> bool:
    """Base64 of a JWT (a Kubernetes secret's ``data:``, a header copied twice): the
    decoded text must itself pass :func:`check_jwt`."""
    compact = "".join(value.split()).replace("\\n", "").replace("\\r", "")
    try:
        decoded = base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=b"-_")
        token = decoded.decode("ascii")
    except (binascii.Error, ValueError):
        return False
    return token.startswith("eyJ") and "." in token and check_jwt(token, ctx)


def check_slack(value: str, ctx: Ctx) -> bool:
    """A Slack token's last segment is random and has digits: "xoxp-1-SlackAppToken"
    is a name in a tutorial, not a token."""
    return any(ch.isdigit() for ch in value.rsplit("-", 1)[-1])


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
    if _DOTTED_IDENT.match(value) or _SNAKE_WORDS.match(value) or _VERSION.match(value):
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
    "card": personal.check_card,
    "iban": personal.check_iban,
    "codice_fiscale": personal.check_codice_fiscale,
    "partita_iva": personal.check_partita_iva,
    "partita_iva_bare": personal.check_partita_iva_bare,
    "jwt": check_jwt,
    "jwt_base64": check_jwt_base64,
    "slack": check_slack,
    "private_key": check_private_key,
    "url_password": check_url_password,
    "assignment": check_assignment,
    "assignment_line": check_assignment_line,
    "email": personal.check_email,
    "phone": personal.check_phone,
    "phone_local": personal.check_phone_local,
    "phone_us": personal.check_phone_us,
}
