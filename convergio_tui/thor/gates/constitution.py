"""Gate 9, constitution: the project's rules file (forbidden patterns, limits, headers)."""

from __future__ import annotations

import re

from convergio_tui.thor import constitution as rules
from convergio_tui.thor import git as g
from convergio_tui.thor.gates.base import Blame, Gate, GateContext, bullet_list
from convergio_tui.thor.gates.lines import count_lines, find_patterns
from convergio_tui.thor.globs import matches
from convergio_tui.thor.outcome import GateOutcome


class ConstitutionGate(Gate):
    """Gate 9."""

    number = 9
    name = "constitution"

    def check(self, ctx: GateContext) -> GateOutcome:
        """Skip without a rules file; fail on an invalid one (it must not pass silently)."""
        name = ctx.thor.constitution_file
        if not name:
            return self.skipped("no constitution_file configured")
        if ctx.diff is None or ctx.head is None:
            return self.skipped("no git diff to check (git isolation is off)")
        try:
            found = rules.load(ctx.repo, ctx.base, name, ctx.git_clock)
        except rules.ConstitutionError as exc:
            return self.failed(f"the constitution file is invalid, fix it: {exc}")
        if found is None or found.is_empty():
            return self.skipped(f"constitution file {name} not found or sets no rule")
        problems: list[str] = []
        blame = Blame(ctx)
        for rule in found.forbidden:
            hits = find_patterns(ctx.diff, [rule.pattern], include=rule.globs, redact=ctx.redact)
            if hits:
                why = rule.message or f"forbidden pattern {rule.pattern!r}"
                items = [f"{ctx.label(h.path)}:{h.line}: {h.text}" for h in hits]
                problems.append(f"{why}:\n{bullet_list(items)}")
                blame.paths(h.path for h in hits)
        present = [p for p in ctx.diff.present if p not in ctx.diff.binary]
        needs_text = found.max_file_lines is not None or found.required_headers
        texts = g.blob_texts(ctx.repo, ctx.head, present, ctx.git_clock) if needs_text else {}
        if found.max_file_lines is not None:
            limit = found.max_file_lines
            long_files = [(p, count_lines(t)) for p, t in texts.items() if count_lines(t) > limit]
            if long_files:
                items = [f"{ctx.label(p)}: {n} lines" for p, n in long_files]
                problems.append(
                    f"files over the constitution's {limit} lines:\n{bullet_list(items)}"
                )
                blame.paths(p for p, _ in long_files)
        for header in found.required_headers:
            rx = re.compile(header.pattern)
            missing = [
                p for p, text in texts.items()
                if matches(p, header.globs)
                and not any(rx.search(line) for line in text.splitlines()[: header.within])
            ]  # fmt: skip
            if missing:
                why = header.message or f"required header {header.pattern!r} missing"
                items = [ctx.label(p) for p in missing]
                problems.append(f"{why} (first {header.within} lines):\n{bullet_list(items)}")
                blame.paths(missing)
        if problems:
            return self.failed("\n".join(problems), blame.codes())
        return self.passed(f"{len(present)} changed file(s) follow {name}")
