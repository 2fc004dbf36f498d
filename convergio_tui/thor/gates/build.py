"""Gate 10, build & cross-review: the wave's full verification on its merged branch (build,
tests, every task's verify: gates/wave_verify.py), and optionally a review of the wave's
diff by another provider."""

from __future__ import annotations

import time

from convergio_tui.store.models import Wave
from convergio_tui.thor import crossreview as cr
from convergio_tui.thor import git as g
from convergio_tui.thor.gates.base import Blame, Gate, GateContext
from convergio_tui.thor.gates.wave_verify import verify_wave
from convergio_tui.thor.outcome import GateOutcome, mentions
from convergio_tui.thor.shell import tail


class BuildGate(Gate):
    """Gate 10 (wave scope)."""

    number = 10
    name = "build & cross-review"
    scopes = frozenset({"wave"})

    def check(self, ctx: GateContext) -> GateOutcome:
        """Fail when the wave's build, tests or a done task's verify fail on the merged
        wave branch (gates/wave_verify.py), or on a ``VERDICT: FAIL``; skip when nothing
        is configured or detected and cross_review is off."""
        blame = Blame(ctx)
        found = verify_wave(ctx, blame)
        problems, notes = found.problems, found.notes
        reviewed = False
        if ctx.thor.cross_review and problems:
            notes.append("cross-review not run: the wave's own checks already failed")
        elif ctx.thor.cross_review:
            review, note = self._cross_review(ctx)
            if note:
                notes.append(note)
            if review is not None and review.verdict is not None:
                reviewed = True
                if review.verdict == "fail":
                    codes = [task.code for task in ctx.tasks]
                    named = [c for c in codes if mentions(review.text, c)]
                    problems.append(
                        f"cross-review: VERDICT: FAIL ({review.detail})\n{tail(ctx.redact(review.text))}"
                    )
                    if named:
                        blame.tasks(named)
                    else:
                        blame.everyone()
                else:
                    notes.append(f"cross-review: VERDICT: PASS ({review.detail})")
        if problems:
            return self.failed("\n".join(problems + notes), blame.codes())
        if found.ran or reviewed:
            return self.passed("; ".join(notes))
        build, test = ctx.commands["build"], ctx.commands["test"]
        return self.skipped(
            "; ".join(notes)
            or f"{build.why_none()}; {test.why_none()}; no verify commands; cross_review is off"
        )

    def _cross_review(self, ctx: GateContext) -> tuple[cr.CrossReview | None, str]:
        if any(o.failed for o in ctx.earlier):
            return None, "cross-review not run: earlier gates already failed"
        if ctx.wave_id is None or ctx.diff is None or ctx.workdir is None or ctx.base is None:
            return None, "cross-review not run: no wave diff"
        if ctx.cross_review is None:
            return None, "cross-review not run: no engine to dispatch it"
        wave = Wave.get_by_id(ctx.wave_id)
        diff_text = g.git(
            ctx.repo, "diff", "--no-color", f"{ctx.base}...{ctx.head}", clock=ctx.git_clock
        ).stdout
        # The prompt may travel in the reviewer's argv: no vault value may ride along.
        diff_text = ctx.redact(diff_text)
        prompt = cr.review_prompt(str(wave.name), [x.code for x in ctx.tasks], diff_text)
        started = time.monotonic()
        review = ctx.cross_review(prompt, ctx.workdir)
        ctx.clock.add(time.monotonic() - started)  # the reviewer's time is not Thor's own
        if review.verdict is None:
            return None, f"cross-review gave no verdict: {review.detail}"
        return review, ""
