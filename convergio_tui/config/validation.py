"""Validate data into configuration sections with pydantic (imported only here).

One ``TypeAdapter`` per section class, built on first use. After validation the keys each
section's input gave are recorded on it (:attr:`Section.model_fields_set`), walking the
result beside the input: a project's ``thor:`` overrides only the keys it names.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import TypeAdapter

from convergio_tui.config.section import Section

S = TypeVar("S", bound=Section)
_adapters: dict[type, TypeAdapter[Any]] = {}


def validate(cls: type[S], data: object) -> S:
    """``data`` validated into ``cls``; raises ``pydantic.ValidationError``."""
    adapter = _adapters.get(cls)
    if adapter is None:
        adapter = _adapters[cls] = TypeAdapter(cls)
    result: S = adapter.validate_python(data)
    _mark_given(result, data)
    return result


def _mark_given(value: object, data: object) -> None:
    """Record on every section inside ``value`` which keys its part of ``data`` gave."""
    if isinstance(value, Section) and isinstance(data, dict):
        names = {f.name for f in dataclasses.fields(value)}  # type: ignore[arg-type]
        object.__setattr__(value, "_given", frozenset(k for k in data if k in names))
        for key in value._given:
            _mark_given(getattr(value, key), data[key])
    elif isinstance(value, dict) and isinstance(data, dict):
        for key, item in value.items():
            if key in data:
                _mark_given(item, data[key])
    elif isinstance(value, list) and isinstance(data, list | tuple):
        for item, raw in zip(value, data, strict=False):
            _mark_given(item, raw)
