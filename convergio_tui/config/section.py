"""The base of the configuration's sections: frozen dataclasses that pydantic validates.

A section is a plain frozen dataclass, so a command whose configuration comes from the
cache (config/cache.py) never imports pydantic: it only unpickles dataclasses. Reading a
user's file goes through :meth:`Section.model_validate`, which builds a pydantic
validator for the class on first use (config/validation.py): unknown keys are errors,
values are coerced and checked as pydantic does, and the keys the input gave are
remembered (:attr:`Section.model_fields_set`). The constructor itself checks nothing:
build sections from data with ``model_validate``.

The ``model_*`` names are pydantic's, kept so a section reads like the model it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from convergio_tui.frozen import Frozen

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


class Section(Frozen):
    """The base of every configuration dataclass (decorated ``@frozen_kw_only``, from
    convergio_tui/frozen.py): validation, copies and the keys given."""

    # Read by pydantic when it validates a standard dataclass.
    __pydantic_config__: ClassVar[dict[str, object]] = {"extra": "forbid"}
    # The keys the validated input gave; an instance's own value shadows this default.
    _given: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def model_validate(cls, data: object) -> Self:
        """Validate ``data`` (a mapping as read from YAML) into this section; raises
        ``pydantic.ValidationError`` listing every problem."""
        from convergio_tui.config.validation import validate

        return validate(cls, data)

    @property
    def model_fields_set(self) -> frozenset[str]:
        """The keys the validated input gave (left-out keys took their defaults)."""
        return self._given

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied (unchecked, as pydantic's ``model_copy``; with
        ``deep`` its lists and dicts are copied too); its keys given are this section's and
        the updated ones."""
        changes = dict(update or {})
        source = self
        if deep:
            import copy as copying

            source = copying.deepcopy(self)
        copy = dataclasses.replace(source, **changes)  # type: ignore[type-var]
        for name, value in vars(self).items():  # what is not a field: _source, _given
            if name not in copy.__dict__:
                object.__setattr__(copy, name, value)
        object.__setattr__(copy, "_given", self._given | changes.keys())
        return copy

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]:
        """The section as nested dicts and lists; with ``mode="json"`` its enums are their
        values, so the result dumps as JSON or YAML (pydantic's ``model_dump``)."""
        data: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]
        return _json_ready(data) if mode == "json" else data


def _json_ready(value: Any) -> Any:
    """``value`` with every enum replaced by its value, in nested dicts and lists."""
    from enum import Enum

    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_json_ready(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


class Limits:
    """Bounds of a field as pydantic's ``Field`` takes them (``ge``, ``gt``, ``le``,
    ``min_length``), written in ``Annotated`` metadata; pydantic is imported only when a
    validator is built."""

    def __init__(self, **bounds: float) -> None:
        self.bounds = bounds

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """The field's schema with these bounds applied by pydantic itself."""
        from typing import Annotated

        from pydantic import Field

        return handler(Annotated[source, Field(**self.bounds)])  # type: ignore[call-overload]


class Check:
    """A check of a field (``Annotated`` metadata), run after the field is validated, or
    with ``before`` on the raw input first: it returns the value or raises ``ValueError``
    with what is wrong, reported at the field's key."""

    def __init__(self, check: Callable[[Any], Any], *, before: bool = False) -> None:
        self.check = check
        self.before = before

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """The field's schema with this check before or after it."""
        from pydantic_core import core_schema

        if self.before:
            return core_schema.no_info_before_validator_function(self.check, handler(source))
        return core_schema.no_info_after_validator_function(self.check, handler(source))


def check_regex(value: str) -> str:
    """Validate a regular expression from a user's file; return it unchanged."""
    import re

    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
    return value
