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
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, dataclass_transform

if TYPE_CHECKING:
    from pydantic import GetCoreSchemaHandler
    from pydantic_core import CoreSchema


T = TypeVar("T")


@dataclass_transform(frozen_default=True, kw_only_default=True)
def section(cls: type[T]) -> type[T]:
    """Make ``cls`` (a :class:`Section`) a frozen, keyword-only dataclass. Its constructor,
    immutability, equality and repr are :class:`Section`'s, written once: generating them
    for each class (``exec`` of each method's source) cost more than the rest of loading
    a cached configuration."""
    return dataclasses.dataclass(init=False, kw_only=True, eq=False, repr=False)(cls)


class Section:
    """Mixin of every configuration dataclass: validation, copies and the keys given."""

    # Read by pydantic when it validates a standard dataclass.
    __pydantic_config__: ClassVar[dict[str, object]] = {"extra": "forbid"}
    # The keys the validated input gave; an instance's own value shadows this default.
    _given: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **values: Any) -> None:
        """Set each field from ``values`` or its default, unchecked (as the dataclass's own
        constructor would; :meth:`model_validate` checks)."""
        for f in _fields(self):
            if f.name in values:
                value = values.pop(f.name)
            elif f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                raise TypeError(f"{type(self).__name__}: missing argument {f.name!r}")
            object.__setattr__(self, f.name, value)
        if values:
            raise TypeError(f"{type(self).__name__}: unexpected argument {next(iter(values))!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

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

    def __eq__(self, other: object) -> bool:
        """Equal when of the same class with equal fields (as the dataclass would be)."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in _fields(self))

    __hash__ = None  # type: ignore[assignment]  # equal by value, and they hold lists

    def __repr__(self) -> str:
        """``Name(field=value, ...)``, as the dataclass would write it."""
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in _fields(self))
        return f"{self.__class__.__qualname__}({inner})"

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


def _fields(value: Section) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(value)  # type: ignore[arg-type]


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
