"""Cheap pickling for the frozen, slotted dataclasses a page keeps in its Reflex state.

Reflex pickles every state an event touches into Redis and unpickles every state an event
loads, so the rows a page holds (25 invoice rows, an invoice with its lines) are pickled and
unpickled on nearly every event of the page. A frozen dataclass with ``slots=True`` pickles
through the generic path: ``copyreg.__newobj__`` plus a state list from dataclasses'
``__getstate__`` and, when loaded, ``__setstate__`` calling ``dataclasses.fields()`` and
``object.__setattr__`` field by field. ``positional_pickle`` gives the class a
``__reduce_ex__`` that stores ``(cls, field values)``, so loading is one call of the class
(its generated ``__init__``): about a third of the time to load and a fifth to dump
(bench/state_pickle.py). Pickles written before keep loading: dataclasses' ``__setstate__``
stays in place.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, cast

T = TypeVar("T")

# The classes decorated, for pickles_positionally.
_POSITIONAL: set[type] = set()


def positional_pickle(cls: type[T]) -> type[T]:
    """Make instances of the dataclass ``cls`` pickle as a call of ``cls`` with every field.

    Put it above ``@dataclass``. Every field must be a positional ``__init__`` argument (else the
    constructor could not take it back); the values come from the dataclass's own field list
    when the class is decorated, so a field added later is pickled without a change here.
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__qualname__} is not a dataclass (put this above @dataclass)")
    fields = dataclasses.fields(cls)
    not_positional = [field.name for field in fields if not field.init or field.kw_only]
    if not_positional:
        raise TypeError(f"{cls.__qualname__}: {not_positional} are not positional arguments")
    names = [field.name for field in fields]
    values = _values_of(names)

    def __reduce_ex__(self: Any, protocol: Any) -> Any:
        # A subclass inheriting this may have fields of its own: it takes the generic path.
        if type(self) is not cls:
            return object.__reduce_ex__(self, protocol)
        return (cls, values(self))

    __reduce_ex__.__qualname__ = f"{cls.__qualname__}.__reduce_ex__"
    __reduce_ex__.__doc__ = "Pickle as a call of the class with the field values."
    setattr(cls, "__reduce_ex__", __reduce_ex__)  # noqa: B010 - a class attribute, set once
    _POSITIONAL.add(cls)
    return cls


def _values_of(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    # attrgetter (C) of several names returns their tuple; of one name the value alone.
    if len(names) > 1:
        return cast(Callable[[Any], tuple[Any, ...]], attrgetter(*names))
    if names:
        only = attrgetter(names[0])

        def one(obj: Any) -> tuple[Any, ...]:
            return (only(obj),)

        return one

    def none(obj: Any) -> tuple[Any, ...]:
        return ()

    return none


def pickles_positionally(cls: type) -> bool:
    """Whether ``cls`` itself was given ``positional_pickle``'s reducer (tests use it)."""
    return cls in _POSITIONAL
