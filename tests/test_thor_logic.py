"""Pure pieces of Thor, with hypothesis for the invariants that keep rounds honest."""

from __future__ import annotations

import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from convergio_tui.sim.behaviour import count_round, resolve
from convergio_tui.thor.feedback import rejection_section
from convergio_tui.thor.globs import matches
from convergio_tui.thor.outcome import GateOutcome, make_review
from convergio_tui.thor.rounds import blamed_codes
from convergio_tui.thor.secrets import sanitize

TOKEN_CHARS = string.ascii_letters + string.digits
lines = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40), max_size=8
)


@settings(max_examples=200, deadline=None)
@given(lines, st.integers(min_value=1, max_value=9))
def test_a_rejection_adds_exactly_one_round_and_no_directive(
    evidence: list[str], round_no: int
) -> None:
    prompt = "Do the thing.\nSIM: write a.txt <<<a>>>\n"
    section = rejection_section(round_no, ["compliance"], "\n".join(evidence), "task")

    assert count_round(prompt + section) == count_round(prompt) + 1
    assert len(resolve(prompt + section, "claude", {}).ops) == 1  # evidence never acts


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=TOKEN_CHARS, min_size=36, max_size=36), lines, lines)
def test_sanitize_never_lets_a_token_through(
    body: str, before: list[str], after: list[str]
) -> None:
    # Real tokens are random; "ghp_000..." is a placeholder the scanner rightly ignores.
    assume(len(set(body)) >= 12 and not body.isalpha() and not body.isdigit())
    token = "ghp_" + body
    text = "\n".join([*before, f"Authorization: token {token}", *after])

    assert token not in sanitize(text)


@given(st.lists(st.sampled_from(["src", "pkg", "a b", "tests", "x.y"]), max_size=4),
       st.sampled_from(["mod.py", "mod.pyc", "README.md", "test_mod.py"]))  # fmt: skip
def test_globs_match_names_anywhere_and_anchored_paths_at_the_root(
    dirs: list[str], name: str
) -> None:
    path = "/".join([*dirs, name])

    assert matches(path, ["**/*.py"]) == name.endswith(".py")
    assert matches(path, ["*.py"]) == name.endswith(".py")
    assert matches(path, ["tests/**"]) == (bool(dirs) and dirs[0] == "tests")
    assert matches(path, ["README.md"]) == (name == "README.md")


def fail(tasks: tuple[str, ...], evidence: str = "", attributed: bool = True) -> GateOutcome:
    return GateOutcome(2, "quality", "fail", evidence, tasks, attributed)


def test_blame_goes_to_named_tasks_else_the_whole_wave() -> None:
    codes = ["T1-01", "T1-02", "T1-10"]
    named = make_review([fail(("T1-02",)), GateOutcome(1, "compliance", "pass", "")])
    assert blamed_codes(named, codes) == {"T1-02"}
    assert blamed_codes(make_review([fail(()), fail(("T1-02",))]), codes) is None
    # an outcome built outside the gates: codes are read from its evidence, as words
    loose = make_review([fail((), "T1-10 breaks the build", attributed=False)])
    assert blamed_codes(loose, codes) == {"T1-10"}
    assert blamed_codes(make_review([fail((), "something broke", attributed=False)]), codes) is None


def test_a_review_passes_only_with_a_real_pass_and_no_failure() -> None:
    skip = GateOutcome(2, "quality", "skip", "nothing configured")
    ok = GateOutcome(1, "compliance", "pass", "verify passed")
    assert not make_review([skip]).passed
    assert make_review([ok, skip]).passed
    assert not make_review([ok, fail(())]).passed
