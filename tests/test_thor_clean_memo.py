"""Evidence already found clean is not scanned again (thor/secrets.py): the answer is
the same, and a text holding a secret is never remembered, so it is masked every time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from convergio_tui.thor import secrets
from convergio_tui.thor.secrets import sanitize

TOKEN = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_a_remembered_text_reads_as_a_fresh_scan_would(text: str) -> None:
    first = sanitize(text)
    assert sanitize(text) == first  # remembered or not, the same answer
    if secrets._is_clean(text):
        assert first == text


def test_a_text_with_a_secret_is_masked_every_time_and_never_kept() -> None:
    text = f"lint failed:\nAuthorization: token {TOKEN}\n"
    for _ in range(3):
        assert TOKEN not in sanitize(text)
    assert not secrets._is_clean(text)
    assert not any(TOKEN in kept for kept in secrets._clean)


def test_a_redacted_value_never_reaches_the_memory() -> None:
    def redact(text: str) -> str:
        return text.replace("hunter2-value", "[vault]")

    assert sanitize("password hunter2-value ok", redact) == "password [vault] ok"
    assert not any("hunter2-value" in kept for kept in secrets._clean)
    assert sanitize("password hunter2-value ok", redact) == "password [vault] ok"
