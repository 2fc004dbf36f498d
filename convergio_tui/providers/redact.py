"""Replace secret values in text before it is logged, shown or stored.

A value is masked in every form it takes on its way out of an agent or a command:

* as it is, and each of its lines on its own (output is redacted line by line, so a
  multi-line value such as a PEM key must be caught one line at a time too);
* JSON-escaped, as it appears inside a JSON string (agent CLIs print JSON events, so a
  value holding ``"``, ``\\``, a newline or non-ASCII text is printed escaped), with
  ``ensure_ascii`` on and off and with upper-case ``\\uXXXX`` hex (other encoders);
* JSON-escaped twice: a JSON document quoted inside another one's string (a tool
  result holding JSON).

Values (and lines of values) shorter than :data:`MIN_SECRET_LENGTH` are never masked,
in any form: they would mask ordinary words and digits.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterable

log = logging.getLogger(__name__)

REDACTED = "***REDACTED***"
MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words and digits
_HEX_ESCAPE = re.compile(r"\\u([0-9a-f]{4})")


def _escaped(piece: str) -> set[str]:
    """``piece`` as it reads inside a JSON string, once and twice escaped."""
    forms: set[str] = set()
    for ascii_only in (True, False):
        once = json.dumps(piece, ensure_ascii=ascii_only)[1:-1]
        twice = json.dumps(once, ensure_ascii=ascii_only)[1:-1]
        forms.update((once, twice))
    # Python writes \u00e9; Java and .NET encoders write \u00E9.
    forms.update(_HEX_ESCAPE.sub(lambda m: "\\u" + m.group(1).upper(), f) for f in list(forms))
    return forms


def variants(secret: str) -> set[str]:
    """Every form of ``secret`` that is masked (empty when it is too short to mask)."""
    pieces = {secret, *(part.strip() for part in secret.splitlines())}
    forms: set[str] = set()
    for piece in pieces:
        # The length rule applies to the value as stored, not to its longer escaped form.
        if len(piece) >= MIN_SECRET_LENGTH:
            forms.add(piece)
            forms.update(_escaped(piece))
    return forms


class Redactor:
    """Replaces every form of every secret (see :func:`variants`) with ``***REDACTED***``.

    One compiled alternation, longest forms first, so a secret that contains another
    secret is replaced whole and the text is scanned once.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            forms.update(variants(secret))
        ordered = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def __call__(self, text: str) -> str:
        """Return ``text`` with every secret value replaced."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(REDACTED, text)

    def __bool__(self) -> bool:
        return self._pattern is not None


@functools.lru_cache(maxsize=16)
def _cached(values: frozenset[str]) -> Redactor:
    return Redactor(values)


def redactor_for(secrets: Iterable[str]) -> Redactor:
    """The redactor of a set of secret values (a project's vault values).

    The engine passes ``ctx.secrets().values()`` and Thor its review input's
    ``secrets``; the compiled pattern is shared, so asking again is cheap.
    """
    return _cached(frozenset(secrets))


def project_secrets(project: str) -> tuple[str, ...]:
    """The values in ``project``'s vault; none when it has no vault or no key is set.

    For code outside an engine run (a person's decision); the engine reads the vault
    once per execution (``EngineContext.secrets``) because the key derivation is slow.
    """
    from convergio_tui.tools.vault import Vault, VaultError

    try:
        return tuple(Vault().items(project).values())
    except (VaultError, ValueError, OSError) as exc:
        log.info("vault of %s not used for redaction: %s", project, exc)
        return ()


def project_redactor(project: str) -> Redactor:
    """The redactor for ``project``'s vault values (see :func:`project_secrets`)."""
    return redactor_for(project_secrets(project))
