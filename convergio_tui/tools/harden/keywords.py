"""Which rule keywords a text contains, found in one pass.

A rule's regex only runs over a text holding one of its keywords. Asking ``k in text``
for each of the ~90 keywords reads the text ~90 times, which cost a third of a whole
scan; one regex built as a trie of the keywords (``a(?:iza|kia|ws)|gh(?:p_|s_)...``)
reads it once. Keywords of one character are frequent, so ``in`` is cheaper for them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence

from convergio_tui.tools.harden.rules import Rule

_Trie = dict[str, "_Trie"]
_END = ""


def trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, longest alternative first at each branch."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = {}

    def build(node: _Trie) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if _END in node:
            return f"(?:{body})?"
        return body

    return build(trie)


class KeywordIndex:
    """Finds, in a lower-cased text, the keywords of a rule set."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        words = {k for rule in rules for k in rule.keywords}
        self.single = tuple(sorted(k for k in words if len(k) == 1))
        multi = sorted(k for k in words if len(k) > 1)
        self.pattern = re.compile(trie_pattern(multi)) if multi else None
        # The trie prefers the longest keyword ("passphrase" over "pass"): a match
        # also stands for every keyword it begins with.
        self.prefixes = {k: tuple(p for p in multi if k.startswith(p)) for k in multi}

    def present(self, lowered: str) -> set[str]:
        """Every keyword occurring in ``lowered``; overlapping ones too (the search
        restarts one character after each match start, not after its end)."""
        found = {k for k in self.single if k in lowered}
        if self.pattern is None:
            return found
        search, pos = self.pattern.search, 0
        while (m := search(lowered, pos)) is not None:
            found.update(self.prefixes[m.group()])
            pos = m.start() + 1
        return found


_LOCK = threading.Lock()
# id(rules) -> (rules, index): the rules are kept so that their id is not reused.
_CACHE: dict[int, tuple[Sequence[Rule], KeywordIndex]] = {}


def index_for(rules: Sequence[Rule]) -> KeywordIndex:
    """The index of ``rules``, built once per rule set."""
    cached = _CACHE.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    with _LOCK:
        index = KeywordIndex(rules)
        if len(_CACHE) > 16:  # rule sets built on the fly (tests): keep the cache small
            _CACHE.clear()
        _CACHE[id(rules)] = (rules, index)
        return index
