"""Frozen value classes whose methods are written once instead of generated per class.

``@dataclass(frozen=True)`` writes each class's ``__init__``, ``__setattr__``,
``__delattr__``, ``__eq__``, ``__hash__`` and ``__repr__`` as source and compiles it: about
a millisecond a class, and the everyday commands define two dozen before printing a
line (bench/cli_startup.py). A class decorated with :func:`frozen` is still a dataclass
(``dataclasses.fields``, ``replace``, ``asdict`` and pydantic see it as one) and type
checkers treat it as a frozen dataclass, but those methods are :class:`Frozen`'s, shared.
Construction is a little slower, so a class built in bulk (a task row of a 50,000-task
plan) stays a plain dataclass.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def frozen(cls: type[T]) -> type[T]:
    """Make ``cls`` (a :class:`Frozen`) a frozen dataclass with :class:`Frozen`'s methods."""
    return _fields_kept(dataclasses.dataclass(init=False, eq=False, repr=False)(cls))


@dataclass_transform(frozen_default=True, kw_only_default=True)
def frozen_kw_only(cls: type[T]) -> type[T]:
    """:func:`frozen` for a class built only with keyword arguments."""
    return _fields_kept(dataclasses.dataclass(init=False, eq=False, repr=False, kw_only=True)(cls))


def _fields_kept(cls: type[T]) -> type[T]:
    # The fields, listed once: the methods below read them on every call (the router
    # builds several of these values per dispatch).
    cls._frozen_fields = dataclasses.fields(cls)  # type: ignore[attr-defined,arg-type]
    return cls


class Frozen:
    """The methods of every :func:`frozen` class, as the dataclass would generate them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Each field from ``args`` in order, then ``kwargs``, else its default."""
        fields = _fields(self)
        if len(args) > len(fields):
            raise TypeError(
                f"{type(self).__name__}: {len(args)} arguments for {len(fields)} fields"
            )
        for i, f in enumerate(fields):
            if i < len(args):
                if f.name in kwargs:
                    raise TypeError(f"{type(self).__name__}: {f.name!r} given twice")
                value = args[i]
            elif f.name in kwargs:
                value = kwargs.pop(f.name)
            elif f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                raise TypeError(f"{type(self).__name__}: missing argument {f.name!r}")
            object.__setattr__(self, f.name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected argument {next(iter(kwargs))!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, f.name) for f in _fields(self))

    def __eq__(self, other: object) -> bool:
        """Equal when of the same class with equal fields."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        """The hash of the fields (a field holding a list makes it unhashable)."""
        return hash(self._values())

    def __repr__(self) -> str:
        """``Name(field=value, ...)``."""
        inner = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in _fields(self))
        return f"{self.__class__.__qualname__}({inner})"


def _fields(value: Frozen) -> tuple[dataclasses.Field[Any], ...]:
    fields: tuple[dataclasses.Field[Any], ...] = type(value)._frozen_fields  # type: ignore[attr-defined]
    return fields
