"""The real-world labelled corpus of the hardening scanner: tests/harden_samples/.

``samples.yaml`` holds snippets in the shapes they take in public documentation and
code (where each comes from: ``source:``, listed in tests/harden_samples/README.md).
Credential values are never stored: a snippet names its value's public format with a
``%%generator:arg%%`` marker, filled at load time from a seed derived from the sample's
id (same id, same value). Published sample data that is not anyone's secret (the IBAN
registry's samples, documentation example keys) is stored as published.

Each sample is one file. ``split`` is ``tuning`` or ``held-out``, fixed by a hash of the
id (a third held out), so nobody chooses which samples the rules are tuned on.
Used by tests/test_harden_corpus.py and bench/harden_accuracy.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from stdnum import luhn
from stdnum.it import codicefiscale

SAMPLES_FILE = Path(__file__).parent / "harden_samples" / "samples.yaml"
README = Path(__file__).parent / "harden_samples" / "README.md"
ALPHABETS = {
    "alnum": string.ascii_letters + string.digits,
    "alpha": string.ascii_letters,
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "updig": string.ascii_uppercase + string.digits,
    "b32": string.ascii_uppercase + "234567",
    "digits": string.digits,
    "hex": "0123456789abcdef",
    "b64": string.ascii_letters + string.digits + "+/",
    "b64url": string.ascii_letters + string.digits + "-_",
}
_MARK = re.compile(r"%%(\w+)(?::([^%]*))?%%")
NAMES = ["mario", "giulia", "luca", "anna", "sofia", "marco", "elena", "paolo", "chiara"]
SURNAMES = ["rossi", "bianchi", "ferrari", "esposito", "romano", "colombo", "ricci"]


@dataclass(frozen=True)
class Labelled:
    """One sample file: its text, path, label and where its shape comes from."""

    id: str
    text: str
    path: str
    positive: bool
    kind: str
    source: str
    split: str


def split_of(sample_id: str) -> str:
    """``held-out`` for a third of the ids (by hash), ``tuning`` for the rest."""
    digest = int(hashlib.sha256(sample_id.encode()).hexdigest(), 16)
    return "held-out" if digest % 3 == 0 else "tuning"


class _Fill:
    """Expands the ``%%generator:arg%%`` markers of one sample."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(hashlib.sha256(seed.encode()).hexdigest())

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def card(self, arg: str) -> str:
        prefix, _, style = arg.partition(":")
        length = 15 if prefix in ("34", "37") else 16
        body = prefix + self.s("0123456789", length - len(prefix) - 1)
        number = body + luhn.calc_check_digit(body)
        if style in ("spaced", "dashed") and length == 16:
            sep = " " if style == "spaced" else "-"
            return sep.join(number[i : i + 4] for i in range(0, 16, 4))
        return number

    def piva(self, _: str) -> str:
        body = f"{self.rng.randint(1, 9_999_999):07d}{self.rng.randint(1, 100):03d}"
        return body + luhn.calc_check_digit(body)

    def cf(self, _: str) -> str:
        while True:
            day = self.rng.randint(1, 28) + self.rng.choice([0, 40])
            head = (
                self.s(string.ascii_uppercase, 6)
                + f"{self.rng.randint(40, 99):02d}"
                + self.rng.choice("ABCDEHLMPRST")
                + f"{day:02d}"
                + self.rng.choice("ABCDEFGHILM")
                + self.s("0123456789", 3)
            )
            number = head + codicefiscale.calc_check_digit(head)
            if codicefiscale.is_valid(number):
                return number

    def jwt(self, _: str) -> str:
        def enc(obj: dict[str, object]) -> str:
            raw = json.dumps(obj, separators=(",", ":")).encode()
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        head = {"alg": self.rng.choice(["HS256", "RS256", "ES256"]), "typ": "JWT"}
        body = {
            "sub": self.s("0123456789", 9),
            "iat": self.rng.randint(1_600_000_000, 1_800_000_000),
        }
        return f"{enc(head)}.{enc(body)}.{self.s(ALPHABETS['b64url'], 43)}"

    def jwtb64(self, arg: str) -> str:
        return base64.b64encode(self.jwt(arg).encode()).decode()

    def pem(self, label: str) -> str:
        lines = [self.s(ALPHABETS["b64"], 64) for _ in range(self.rng.randint(5, 9))]
        return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"

    def password(self, _: str) -> str:
        core = self.s(string.ascii_letters, self.rng.randint(5, 8)) + self.s("0123456789", 2)
        return core + self.rng.choice("!#$%&*@") + self.s(ALPHABETS["alnum"], 3)

    def person(self, _: str) -> str:
        name, surname = self.rng.choice(NAMES), self.rng.choice(SURNAMES)
        return f"{name}.{surname}{self.rng.randint(2, 99)}"

    def expand(self, text: str) -> str:
        makers: dict[str, Callable[[str], str]] = {
            "card": self.card, "piva": self.piva, "cf": self.cf, "jwt": self.jwt,
            "jwtb64": self.jwtb64, "pem": self.pem, "password": self.password,
            "person": self.person,
        }  # fmt: skip

        def one(m: re.Match[str]) -> str:
            name, arg = m.group(1), m.group(2) or ""
            if name in ALPHABETS:
                return self.s(ALPHABETS[name], int(arg))
            return makers[name](arg)

        return _MARK.sub(one, text)


def load(path: Path = SAMPLES_FILE) -> list[Labelled]:
    """Every sample of ``path``, markers filled in."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    samples = []
    for entry in doc["samples"]:
        sid = str(entry["id"])
        samples.append(
            Labelled(
                id=sid,
                text=_Fill(sid).expand(str(entry["text"])),
                path=str(entry.get("path", f"{sid}.txt")),
                positive=bool(entry["positive"]),
                kind=str(entry["kind"]),
                source=str(entry["source"]),
                split=split_of(sid),
            )
        )
    return samples


def sources(path: Path = SAMPLES_FILE) -> dict[str, str]:
    """The ``sources:`` map of ``path``: id -> where the shapes come from."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in doc["sources"].items()}
