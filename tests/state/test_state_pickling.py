"""The dataclasses pages keep in their Reflex state pickle through their constructor (issue 25).

Reflex pickles the states an event touches into Redis and unpickles the ones it loads, so
the rows a page holds go through pickle on nearly every event. core/pickling.positional_pickle
makes that a call of the class with the field values (bench/state_pickle.py). These tests find
every dataclass a state var can hold (from the states' type hints, nested fields included),
check each has that reducer, and that an instance with every field set comes back equal: a
field the reducer dropped or put in the wrong place would fail here.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import pickle
import types
import typing
from typing import Any, ClassVar

import pytest
from reflex.state import State

from portal_app.core.pickling import pickles_positionally, positional_pickle
from portal_app.pages.route_table import PAGES
from portal_app.reflex_ext.state_deps import all_states
from portal_app.schemas.invoice import InvoiceRowView, InvoiceView

assert PAGES  # every page module imported: their states are in the tree


def _dataclasses_in(hint: Any, found: dict[type, str], where: str) -> None:
    origin = typing.get_origin(hint)
    if origin is ClassVar:
        return  # a class constant, not part of the pickled state
    if origin is not None:
        for arg in typing.get_args(hint):
            _dataclasses_in(arg, found, where)
        return
    if isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint not in found:
        found[hint] = where
        for name, field_hint in typing.get_type_hints(hint).items():
            _dataclasses_in(field_hint, found, f"{where}.{name}")


def _state_dataclasses() -> dict[type, str]:
    found: dict[type, str] = {}
    for state in all_states(State):
        if not state.__module__.startswith("portal_app"):
            continue
        # Every annotated name: vars and backend vars (class constants are ClassVar).
        for name, hint in typing.get_type_hints(state).items():
            _dataclasses_in(hint, found, f"{state.__name__}.{name}")
    return {cls: where for cls, where in found.items() if cls.__module__.startswith("portal_app")}


STATE_DATACLASSES = _state_dataclasses()


def _sample(hint: Any, seed: int) -> Any:
    """A value of `hint` that differs per field (`seed`), so swapped fields do not compare equal."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(arg for arg in args if arg is not type(None)), seed)
    if origin is list:
        return [_sample(args[0], seed), _sample(args[0], seed + 1)]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return (_sample(args[0], seed),)
        return tuple(_sample(arg, seed + i) for i, arg in enumerate(args))
    if origin is dict:
        return {_sample(args[0], seed): _sample(args[1], seed)}
    if origin is typing.Literal:
        return args[seed % len(args)]
    if dataclasses.is_dataclass(hint):
        return _instance(hint, seed)
    if hint is bool:
        return seed % 2 == 0
    if hint is int:
        return 1000 + seed
    if hint is float:
        return seed + 0.5
    if hint is str:
        return f"value {seed}"
    raise AssertionError(f"no sample for {hint!r}: teach _sample this type")


def _instance(cls: type, seed: int = 0) -> Any:
    hints = typing.get_type_hints(cls)
    values = [
        _sample(hints[field.name], seed + 10 * i) for i, field in enumerate(dataclasses.fields(cls))
    ]
    return cls(*values)


def test_the_states_hold_the_dataclasses_this_test_covers():
    # A canary for the search above: the invoice list's rows and the invoice page's view.
    assert STATE_DATACLASSES.keys() >= {InvoiceRowView, InvoiceView}
    assert len(STATE_DATACLASSES) > 50


@pytest.mark.parametrize(
    "cls", sorted(STATE_DATACLASSES, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
)
def test_a_state_dataclass_pickles_through_its_constructor_and_back_equal(cls):
    where = STATE_DATACLASSES[cls]
    assert pickles_positionally(cls), (
        f"{cls.__module__}.{cls.__qualname__} (in {where}): add @positional_pickle above @dataclass"
    )
    value = _instance(cls)
    back = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == value
    assert type(back) is cls
    # Every field compared one by one too: a field left out of __eq__ (compare=False) counts.
    for field in dataclasses.fields(cls):
        assert getattr(back, field.name) == getattr(value, field.name), field.name
    assert copy.copy(value) == value


class _GenericPickler(pickle.Pickler):
    """Pickles dataclasses the way they were pickled before the reducer (copyreg, setstate)."""

    def reducer_override(self, obj):
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return object.__reduce_ex__(obj, pickle.DEFAULT_PROTOCOL)
        return NotImplemented


def test_pickles_written_before_the_reducer_still_load():
    # States in Redis when a release with the reducer starts were pickled the generic way.
    view = _instance(InvoiceView)
    buffer = io.BytesIO()
    _GenericPickler(buffer).dump(view)

    assert buffer.getvalue() != pickle.dumps(view)
    assert pickle.loads(buffer.getvalue()) == view


def test_the_reducer_refuses_fields_the_constructor_cannot_take():
    with pytest.raises(TypeError, match="positional"):

        @positional_pickle
        @dataclasses.dataclass(frozen=True, slots=True)
        class Counted:
            name: str
            seen: int = dataclasses.field(default=0, init=False)

    with pytest.raises(TypeError, match="not a dataclass"):
        positional_pickle(int)


def test_a_subclass_with_fields_of_its_own_takes_the_generic_path():
    @positional_pickle
    @dataclasses.dataclass(frozen=True)
    class Base:
        a: int

    @dataclasses.dataclass(frozen=True)
    class Child(Base):
        b: int

    globals()["Base"], globals()["Child"] = Base, Child  # picklable by name for this test
    Base.__qualname__, Child.__qualname__ = "Base", "Child"
    try:
        assert pickle.loads(pickle.dumps(Child(1, 2))) == Child(1, 2)
        assert pickle.loads(pickle.dumps(Base(1))) == Base(1)
    finally:
        del globals()["Base"], globals()["Child"]
