"""Each form the hardening scanner recognises, with the near misses it must not report.

Credential values are synthesised here from the public formats (random characters, a
fixed seed): nothing in this file is a real secret. The IBANs are the samples of the
SWIFT IBAN registry and of national banking documentation: public examples, and exactly
what the scanner must not throw away as placeholders.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from pathlib import Path

import pytest

from convergio_tui.tools.harden import scan_paths, scan_text
from convergio_tui.tools.harden.keywords import KeywordIndex, trie_pattern
from convergio_tui.tools.harden.rules import default_rules

RNG = random.Random(1717)
ALNUM = string.ascii_letters + string.digits
LETTERS = string.ascii_letters


def rand(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def found(text: str, path: str = "notes.txt") -> list[tuple[str, str]]:
    """(rule, value) of each kept finding."""
    return [(f.rule, f.secret) for f in scan_text(text, path) if f.kept]


# ---- the start of a text ------------------------------------------------------------
CARD = "4539148803436467"  # Luhn-valid, Visa prefix, not a processor's test number


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (f"{CARD} is the card", "card-number"),
        ("4539 1488 0343 6467\n", "card-number"),
        ("+39 347 123 4567 call me", "phone-international"),
        ("+44 7911 123456", "phone-international"),
    ],
)
def test_value_at_the_very_start_of_a_text_is_reported(text: str, rule: str) -> None:
    assert [r for r, _ in found(text)] == [rule]


def test_value_at_the_start_of_a_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "cards.csv").write_text(f"{CARD},mario\n")
    (tmp_path / "phones.txt").write_text("+39 347 123 4567\n")
    report = scan_paths(tmp_path, tracked_only=False, workers=1)
    assert sorted((f.path, f.line, f.kind) for f in report.findings) == [
        ("cards.csv", 1, "card"),
        ("phones.txt", 1, "phone"),
    ]


@pytest.mark.parametrize("glued", [f"x{CARD}", f"_{CARD}", f"v1.{CARD}", "a+39 347 123 4567"])
def test_a_number_glued_to_a_word_is_still_not_reported(glued: str) -> None:
    assert found(glued) == []


# ---- partita IVA ----------------------------------------------------------------------
PIVA = "00743110157"  # the check-digit example of python-stdnum's documentation


@pytest.mark.parametrize(
    "text",
    [
        f"P.IVA {PIVA}",
        f"Partita IVA: {PIVA}",
        f"P.IVA: IT-{PIVA}",
        f"{PIVA}",
        f"fornitore;{PIVA};Milano",
        f"IT{PIVA}",
        f"IT {PIVA}",
        f"IT-{PIVA}",
        f"IT:{PIVA}",
        f"VAT number: IT {PIVA}",
    ],
)
def test_partita_iva_in_every_form(text: str) -> None:
    assert [v for _, v in found(text)] == [PIVA]


@pytest.mark.parametrize(
    "text",
    [
        "P.IVA 00743110158",  # wrong check digit
        "12345678903",  # sequential
        "SPLIT00743110157",  # "IT" inside a word
        "v1.00743110157",
        "id=00743110157",
        "+00743110157",
        "007431101570",  # twelve digits
        "00000000000",
    ],
)
def test_partita_iva_near_misses(text: str) -> None:
    assert [k for k in found(text) if k[0].startswith("it-")] == []


# ---- IBAN ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("IBAN NO 02 15037577003", "NO 02 15037577003"),
        ("NO9386011117947", "NO9386011117947"),
        ("GB29 NWBK 6016 1331 9268 19", "GB29 NWBK 6016 1331 9268 19"),
        ("DE89-3704-0044-0532-0130-00", "DE89-3704-0044-0532-0130-00"),
        ("DE89.3704.0044.0532.0130.00", "DE89.3704.0044.0532.0130.00"),
        ("iban: de89 3704 0044 0532 0130 00", "de89 3704 0044 0532 0130 00"),
        ("IBAN DE89 3704 0044 0532 0130 00 ABCD", "DE89 3704 0044 0532 0130 00"),
        # Registry samples with runs the placeholder list used to drop.
        ("KW81CBKU0000000000001234560101", "KW81CBKU0000000000001234560101"),
        ("QA58DOHB00001234567890ABCDEFG", "QA58DOHB00001234567890ABCDEFG"),
        ("SV62CENR00000000000000700025", "SV62CENR00000000000000700025"),
    ],
)
def test_iban_as_people_write_it(text: str, value: str) -> None:
    assert [v for r, v in found(text) if r.startswith("iban")] == [value]


@pytest.mark.parametrize(
    "text",
    [
        "IBAN DE88 3704 0044 0532 0130 00",  # mod-97 fails
        "de89 3704 0044 0532 0130 00",  # lower case without the word "iban"
        "GB00 NWBK 6016 1331 9268 19",  # check digits never issued
    ],
)
def test_iban_near_misses(text: str) -> None:
    assert [r for r, _ in found(text) if r.startswith("iban")] == []


def test_a_registry_sample_marked_as_an_example_is_skipped_with_the_reason() -> None:
    findings = scan_text("e.g. IBAN GB29NWBK60161331926819", "notes.txt")
    assert [(f.kind, f.kept, f.why) for f in findings] == [("iban", False, "marked as an example")]


# ---- e-mail -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    ["josé@bücher.de", "mario@例え.jp", "иван@почта.рф", "mario@xn--bcher-kva.de"],
)
def test_idn_email_addresses(address: str) -> None:
    assert found(f"Contatto: {address}") == [("email", address)]


@pytest.mark.parametrize(
    "text", ["mario@例え.test", "noreply@bücher.de", "@scope/pkg", "logo@2x.png"]
)
def test_email_near_misses(text: str) -> None:
    assert found(text) == []


# ---- credential families --------------------------------------------------------------
def _jwt() -> str:
    def enc(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    payload = {"sub": rand(string.digits, 8), "iat": 1_700_000_000}
    return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(payload)}.{rand(ALNUM + '-_', 43)}"


FAMILIES = {
    "huggingface-org-token": lambda: "api_org_" + rand(LETTERS, 34),
    "slack-config-token": lambda: RNG.choice(["xoxe.xoxp-1-", "xoxe.xoxb-1-"]) + rand(ALNUM, 164),
    "slack-config-refresh": lambda: "xoxe-1-" + rand(ALNUM, 146),
    "slack-webhook-services": lambda: (
        "https://hooks.slack.com/services/T"
        + rand(string.ascii_uppercase + string.digits, 8)
        + "/B"
        + rand(string.ascii_uppercase + string.digits, 10)
        + "/"
        + rand(ALNUM, 24)
    ),
    "slack-webhook-workflows": lambda: (
        "https://hooks.slack.com/workflows/T"
        + rand(string.ascii_uppercase + string.digits, 10)
        + "/A"
        + rand(string.ascii_uppercase + string.digits, 10)
        + "/"
        + rand(string.digits, 18)
        + "/"
        + rand(ALNUM, 24)
    ),
    "slack-webhook-triggers": lambda: "hooks.slack.com/triggers/" + rand(ALNUM, 56),
    "gitlab-feed": lambda: "glft-" + rand(ALNUM, 20),
    "gitlab-incoming-mail": lambda: "glimt-" + rand(ALNUM, 25),
    "gitlab-agent": lambda: "glagent-" + rand(ALNUM, 50),
    "gitlab-scim": lambda: "glsoat-" + rand(ALNUM, 20),
    "gitlab-feature-flags": lambda: "glffct-" + rand(ALNUM, 20),
    "gitlab-routable-pat": lambda: "glpat-" + rand(ALNUM, 27) + "." + rand("0123456789abc", 9),
    "gitlab-runner-registration": lambda: "GR1348941" + rand(ALNUM, 20),
    "gitlab-session": lambda: "_gitlab_session=" + rand("0123456789abcdef", 32),
    "jwt-base64": lambda: base64.b64encode(_jwt().encode()).decode(),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_credential_family_is_found_in_code_and_config(family: str) -> None:
    value = FAMILIES[family]()
    for text, path in [
        (f'TOKEN = "{value}"\n', "settings.py"),
        (f"token: {value}\n", "deploy.yaml"),
        (f"curl -H 'X: {value}' https://api.internal\n", "run.sh"),
    ]:
        findings = [f for f in scan_text(text, path) if f.kept]
        assert findings, (family, path)
        assert findings[0].category == "credential"
        assert all(value not in f.excerpt for f in findings)


@pytest.mark.parametrize(
    "text",
    [
        "const api_org_controller = require('../controllers').organizations;",
        "xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "GR1348941XXXXXXXXXXXXXXXXXXXX",
        "GR134894112312312312312312312",
        "glft-xxxxxxxxxxxxxxxxxxxx",
        "_gitlab_session=00000000000000000000000000000000",
        base64.b64encode(b"eyJhIjoxLCJiIjoyfQ.not-a-jwt-at-all-just-base64-of-text").decode(),
    ],
)
def test_credential_near_misses(text: str) -> None:
    assert found(text, "app.js") == []


# ---- how the scan finds keywords ------------------------------------------------------
def test_uppercase_names_are_found_in_a_file_with_non_ascii_text() -> None:
    assert [r for r, _ in found("# café\nDB_PASSWORD=Xk82!pqLm9\n", ".env")] == [
        "secret-assignment-unquoted"
    ]


def test_keyword_index_finds_what_a_search_per_keyword_finds() -> None:
    """One pass over the text finds overlapping keywords ("xoxe.xoxp-": "xoxe.xox" and
    "xoxp-") and keywords that begin a longer one, exactly as ``k in text`` would."""
    rules = default_rules()
    index = KeywordIndex(rules)
    keywords = {k for rule in rules for k in rule.keywords}
    texts = ["x passphrase; task-sk-1; xoxe.xoxp-", "glagent-glpat- p.iva piva", ""]
    texts += [rand(ALNUM + " .-_:+@(~/", 4000).lower() for _ in range(20)]
    for text in texts:
        assert index.present(text) == {k for k in keywords if k in text}
    pattern = re.compile(trie_pattern(["ab", "abcd", "b", "a.c"]))
    assert [m.group() for m in pattern.finditer("abcd ab b a.c abc")] == [
        "abcd", "ab", "b", "a.c", "ab"
    ]  # fmt: skip
