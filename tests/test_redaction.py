"""The redactor's forms of a value, and Thor and the engine masking with the project's.

The end-to-end check (an agent leaking a vault value every way) is in
``test_redaction_e2e.py``; these pin each piece: the JSON-escaped and multi-line forms,
masking before any cut, the wave review, the journal, a person's note.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_thor_support import Sandbox, with_thor

from convergio_tui.config.schema import Config
from convergio_tui.engine.events import Bus, Notice, TaskChanged
from convergio_tui.providers.redact import REDACTED, Redactor, redactor_for
from convergio_tui.store.models import Event, GateResult, Task
from convergio_tui.store.queries.escalations import pending
from convergio_tui.thor.escalations import decide
from convergio_tui.thor.gates.lines import find_patterns
from convergio_tui.thor.git import DiffInfo
from convergio_tui.thor.review import WaveReviewInput, review_wave
from convergio_tui.thor.rounds import reject_task, reject_wave
from convergio_tui.thor.shell import TAIL_CHARS, run_shell
from convergio_tui.tools.vault import Vault, generate_key

VALUE = 'pa"ss\\wörd-\u2603-line-one\n  second-line-of-it\r\nthird'


def forms(value: str) -> list[str]:
    """The value, its lines, and each JSON-escaped (ensure_ascii both ways, and twice)."""
    pieces = [value, *(p.strip() for p in value.splitlines())]
    out = list(pieces)
    for piece in pieces:
        for ascii_only in (True, False):
            once = json.dumps(piece, ensure_ascii=ascii_only)[1:-1]
            out += [once, json.dumps(once, ensure_ascii=ascii_only)[1:-1]]
    return out


def test_every_form_of_a_value_is_masked_and_json_stays_json() -> None:
    redact = Redactor([VALUE])
    for form in forms(VALUE):
        assert form not in redact(f"<{form}>"), form
    upper = json.dumps(VALUE)[1:-1].replace("\\u00f6", "\\u00F6")  # Java-style hex
    assert redact(upper) == REDACTED
    for ascii_only in (True, False):
        line = json.dumps({"type": "text", "text": f"said {VALUE}!"}, ensure_ascii=ascii_only)
        assert json.loads(redact(line)) == {"type": "text", "text": f"said {REDACTED}!"}
    # A tool result quoting a JSON document: escaped twice.
    nested = json.dumps({"content": json.dumps({"secret": VALUE})})
    assert json.loads(json.loads(redact(nested))["content"]) == {"secret": REDACTED}


def test_short_values_and_lines_stay_unmasked_in_every_form() -> None:
    redact = Redactor(['a"b', "ok\nlong-enough-line"])
    assert redact('x a"b a\\"b a\\\\\\"b') == 'x a"b a\\"b a\\\\\\"b'  # 3 chars: never
    assert redact("ok long-enough-line") == f"ok {REDACTED}"


@given(st.text(min_size=4, max_size=16), st.text(max_size=20), st.booleans())
def test_a_value_inside_any_json_string_is_masked(value: str, noise: str, ascii: bool) -> None:
    assume("*" not in value and value not in REDACTED)  # the mask itself could spell it
    document = json.dumps({"k": noise + value + noise}, ensure_ascii=ascii)
    assert json.dumps(value, ensure_ascii=ascii)[1:-1] not in Redactor([value])(document)


def test_redactor_for_is_shared_and_empty_without_values() -> None:
    assert redactor_for(["abcd-1", "abcd-2"]) is redactor_for(("abcd-2", "abcd-1"))
    assert not redactor_for([])


def test_command_output_is_masked_before_its_tail_is_cut(tmp_path: Path) -> None:
    secret = "Secret-Value-0123456789-abcdefghij-KLMNOP"
    # The cut (the last TAIL_CHARS characters) falls in the middle of the value.
    command = f"printf '%s%s' '{secret}' \"$(printf 'y%.0s' $(seq {TAIL_CHARS - 20}))\""
    raw = run_shell(command, tmp_path, 30)
    assert secret[-20:] in raw.output_tail and secret not in raw.output_tail  # the fragment

    masked = run_shell(command, tmp_path, 30, redact=Redactor([secret]))

    assert not any(secret[i : i + 6] in masked.output_tail for i in range(len(secret) - 5))


def test_a_snippet_is_cut_from_the_masked_line() -> None:
    secret = "Secret-Value-0123456789-abcdefghij"
    line = "x" * 100 + f" TODO {secret}"
    diff = DiffInfo("a", "b", {"f.py": "M"}, {"f.py": [(1, line)]})
    (plain,) = find_patterns(diff, ["TODO"])
    assert secret[:8] in plain.text  # the snippet's cut leaves a fragment

    (hit,) = find_patterns(diff, ["TODO"], redact=Redactor([secret]))

    assert "Secret" not in hit.text and hit.text.endswith(f"TODO {REDACTED}")


def test_the_journal_and_events_are_masked(db_file: Path) -> None:
    seen: list[object] = []
    bus = Bus(seen.append, Redactor([VALUE]))
    bus.journal("provider.cooldown", f"error: {VALUE}", data={"quoted": [f"x {VALUE}"]})
    bus.emit(TaskChanged(1, "queued", "T1", f"why: {json.dumps(VALUE)}"))

    row = Event.get()
    assert (row.message, row.data) == (f"error: {REDACTED}", {"quoted": [f"x {REDACTED}"]})
    notice, changed = seen
    assert isinstance(notice, Notice) and notice.message == f"error: {REDACTED}"
    assert isinstance(changed, TaskChanged) and changed.detail == f'why: "{REDACTED}"'


@pytest.fixture
def box(tmp_path: Path, db_file: Path, shipped_config: Config) -> Sandbox:
    return Sandbox(tmp_path, with_thor(shipped_config, code_globs=[], debug_patterns=[]))


def test_a_wave_review_masks_its_evidence_and_the_prompts_it_sends_back(box: Sandbox) -> None:
    config = with_thor(box.config, code_globs=[], debug_patterns=[],
                       build_command="cat leak.txt; python -c 'import json; "
                       "print(json.dumps(open(\"leak.txt\").read()))'; exit 1")  # fmt: skip
    task = box.add_task("T1-01", files=["leak.txt"])
    box.finish(task, {"leak.txt": VALUE}, config)
    assert Task.get_by_id(task.id).status == "done"

    review = review_wave(WaveReviewInput(box.wave.id, box.repo, box.wave_branch, "main", config,
                                         secrets=(VALUE,)))  # fmt: skip
    assert not review.passed
    reject_wave(box.wave.id, review, config)

    stored = "\n".join(
        g.evidence for g in GateResult.select().where(GateResult.wave.is_null(False))
    )
    prompt = Task.get_by_id(task.id).prompt
    assert REDACTED in stored and "THOR-REJECTION round 1" in prompt and REDACTED in prompt
    for form in forms(VALUE):
        assert form not in stored and form not in prompt, form


def test_a_note_holding_a_vault_value_is_masked(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVERGIO_VAULT_KEY", generate_key())
    Vault().set("proj", "TOKEN", "tok-Note-Pasted-4242")
    task = box.add_task("T1-01", verify=["exit 1"])
    for _ in range(3):
        box.commit(task)
        reject_task(task.id, box.review(task), box.config)
    (view,) = pending()

    decided = decide(view.id, "retry", "eve", note="try with tok-Note-Pasted-4242 again")

    assert decided.note == f"try with {REDACTED} again"
    assert "tok-Note-Pasted-4242" not in Task.get_by_id(task.id).prompt
