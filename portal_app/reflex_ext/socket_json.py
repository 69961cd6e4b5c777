"""The JSON of outgoing Socket.IO packets (every state update a tab receives) through orjson.

Reflex 0.10.1 gives its `AsyncServer` a json module whose `dumps` (`reflex.app._sio_dumps`) is
`reflex_base.utils.format.json_dumps`: a shared `json.JSONEncoder(ensure_ascii=False,
default=serializers.serialize)`; python-socketio keeps that module on its packet class
(`packet_class.json`) and calls `dumps(data, separators=(",", ":"))` once per packet. Encoding
was ~3% of a loaded worker's CPU (issue 25); orjson does the same packet in about a third.

`install(app)` swaps in a module whose `dumps` asks orjson first and keeps Reflex's output:

- every value the standard encoder hands to `default` goes to the same `serializers.serialize`
  (dataclasses, dates and times are passed through to it instead of orjson's own encoding);
  enums and UUIDs, which orjson encodes itself, give what Reflex's serializers return for them:
  their value, their text; float and tuple subclasses, which orjson hands to `default` and the
  standard encoder writes itself, are written as it writes them (the float, a list);
- strings come out the same (`ensure_ascii=False`: only quotes, backslashes and control
  characters escaped), as do ints, bools, null, lists, tuples and dicts;
- whatever orjson refuses (a key that is not a string, an int beyond 64 bits, a lone
  surrogate, a `default` that raises) is encoded by Reflex's own `dumps`, which answers as
  before, its exception included.

Finite floats are the one difference in spelling, not in value: orjson writes `1e-7` and
`1e16` where Python writes `1e-07` and `1e+16` (the browser's JSON.parse reads the same
number); NaN and the infinities, which Python writes as `NaN` (not JSON: JSON.parse throws),
become `null`. The portal sends money and dates as text. With Reflex's OpenTelemetry on, or
other options than socket.io's separators, Reflex's `dumps` runs unchanged.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import orjson

# socket.io's own call: compact separators and nothing else (socketio/packet.py).
_COMPACT = (",", ":")
_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def fast_dumps(original: Any) -> Any:
    """`original` (Reflex's socket.io `dumps`) answered by orjson where the output is Reflex's."""
    from reflex_base import otel
    from reflex_base.utils import serializers

    serialize = serializers.serialize

    def default(value: Any) -> Any:
        # Subclasses the standard encoder writes itself and orjson hands over: a float's
        # (Python's repr of its value) and a tuple's (a list of its items).
        if isinstance(value, float):
            return float.__float__(value)
        if isinstance(value, tuple):
            return list(tuple.__iter__(value))
        return serialize(value)

    def dumps(obj: Any, **kwargs: Any) -> str:
        if kwargs.get("separators") == _COMPACT and len(kwargs) == 1 and not otel.enabled:
            try:
                return orjson.dumps(obj, default=default, option=_OPTIONS).decode()
            except TypeError:  # orjson.JSONEncodeError: Reflex's encoder decides
                pass
        return original(obj, **kwargs)

    dumps.portal_original = original  # type: ignore[attr-defined]
    return dumps


def install(app: Any) -> bool:
    """Give `app`'s Socket.IO server the orjson `dumps`; False when it has no server."""
    sio = getattr(app, "sio", None)
    if sio is None:
        return False
    packet_class = sio.packet_class
    current = packet_class.json
    if getattr(current.dumps, "portal_original", None) is None:
        packet_class.json = SimpleNamespace(dumps=fast_dumps(current.dumps), loads=current.loads)
    return True
