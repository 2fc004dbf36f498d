"""``@frozen`` value classes (convergio_tui/frozen.py) behave as frozen dataclasses do:
construction by position and keyword with defaults, immutability, equality, hashing,
repr, and the dataclass helpers; and a configuration section built from data records
which keys the data gave."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from dataclasses import field

import pytest

from convergio_tui.config.schema import BudgetConfig, Config, ProjectConfig
from convergio_tui.engine.budget_status import BudgetStatus
from convergio_tui.frozen import Frozen, frozen


@frozen
class Point(Frozen):
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Reference:
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


def test_a_frozen_class_is_built_and_compared_as_the_dataclass_would_be() -> None:
    for cls in (Point, Reference):
        a, b = cls(1, 2), cls(x=1, y=2)
        assert (a.x, a.y, a.tags) == (1, 2, []) and a == b
        same = (cls(1, 2, ()), cls(1, 2, ()))  # type: ignore[arg-type]
        assert hash(same[0]) == hash(same[1])
        assert a != cls(1, 3) and cls(1).y == 0 and cls(1).tags is not cls(1).tags
        assert repr(a).endswith("(x=1, y=2, tags=[])")
        assert dataclasses.replace(a, y=5) == cls(1, 5) and dataclasses.asdict(a) == {
            "x": 1, "y": 2, "tags": []}  # fmt: skip
        assert pickle.loads(pickle.dumps(a)) == a == copy.deepcopy(a)
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.x = 3  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            del a.x  # type: ignore[misc]
        with pytest.raises(TypeError):
            cls()  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls(1, z=2)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls(1, 2, [], 4)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            cls(1, x=1)  # type: ignore[misc]
        with pytest.raises(TypeError):
            hash(a)  # a list field: unhashable, as the dataclass
    assert Point(1) != Reference(1)  # not the same class


def test_an_engine_value_keeps_its_properties() -> None:
    status = BudgetStatus("2026-12-02", 10.0, 8.0, 1.0, 80, True)
    assert status.alert and not status.capped and status.headroom_usd == pytest.approx(1.0)
    assert status.by_provider == {} and status.view().cap_usd == 10.0


def test_a_section_from_data_knows_the_keys_given_and_a_copy_adds_its_own(
    shipped_config: Config,
) -> None:
    budget = BudgetConfig.model_validate({"max_premium_per_day": "3.5"})  # coerced
    assert budget.max_premium_per_day == 3.5 and budget.model_fields_set == {"max_premium_per_day"}
    moved = budget.model_copy(update={"timezone": "UTC"})
    assert moved.timezone == "UTC" and moved.model_fields_set == {"max_premium_per_day", "timezone"}
    assert budget.timezone == "local"  # the original is untouched
    project = ProjectConfig.model_validate({"path": "/src/x", "thor": {"test_command": None}})
    assert project.thor is not None and project.thor.model_fields_set == {"test_command"}
    assert shipped_config.model_copy(deep=True) == shipped_config
    with pytest.raises(dataclasses.FrozenInstanceError):
        shipped_config.budget.max_premium_per_day = 99  # type: ignore[misc]
