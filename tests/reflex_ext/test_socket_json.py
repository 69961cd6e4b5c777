"""reflex_ext/socket_json.py: a state update's Socket.IO packet encoded by orjson is the text
Reflex's own encoder writes, and whatever orjson refuses is left to Reflex's encoder."""

from __future__ import annotations

import collections
import dataclasses
import enum
import inspect
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal_app.reflex_ext import socket_json
from portal_app.schemas.invoice import InvoiceRowView, PartyView

COMPACT = {"separators": (",", ":")}


class Colour(enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 3


class Word(enum.StrEnum):
    YES = "yes"


class Ratio(float):
    pass


class Pair(tuple):
    pass


Point = collections.namedtuple("Point", "x y")


@dataclasses.dataclass
class Plain:
    name: str
    when: date
    tags: tuple[str, ...] = ()


def _reflex_dumps():
    from reflex.app import _sio_dumps

    return _sio_dumps


def _update():
    row = InvoiceRowView(
        7, "INV-7", "open", "Ouverte", "12 janv.", "12 févr.", "1 234,56 €", "0,00 €", False, True
    )
    party = PartyView("Ünïcödé «ACME»", ["a\nb", 'q"\\\t\x01\x7f\u2028😀'])
    return [
        "event",
        {
            "delta": {
                "state.invoices_state": {
                    "rows_rx_state_": [row, row],
                    "party_rx_state_": party,
                    "plain_rx_state_": Plain("x", date(2026, 1, 2), ("a", "b")),
                    "when_rx_state_": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
                    "times_rx_state_": [time(1, 2), timedelta(days=1, seconds=3)],
                    "enums_rx_state_": [Colour.RED, Size.BIG, Word.YES],
                    "id_rx_state_": uuid.UUID("12345678-1234-5678-1234-567812345678"),
                    "money_rx_state_": Decimal("12.50"),
                    "set_rx_state_": {"only"},
                    "numbers_rx_state_": [0, -1, 2**63 - 1, True, False, None, 1.5, 100.0],
                    "nested_rx_state_": {"a": [{"b": ()}], "": {}},
                    "subclasses_rx_state_": [Ratio(0.25), Pair((1, "a")), Point(1, 2)],
                    "mappings_rx_state_": [collections.OrderedDict(a=1), range(3), b"x"],
                }
            },
            "events": [],
            "final": True,
        },
    ]


def test_an_update_is_encoded_as_reflex_encodes_it():
    reflex = _reflex_dumps()
    fast = socket_json.fast_dumps(reflex)
    assert fast(_update(), **COMPACT) == reflex(_update(), **COMPACT)


@pytest.mark.parametrize(
    "payload",
    [
        {1: "int key"},
        {"big": 2**70},
        ["lone \ud800 surrogate"],
        {"deep": [{2.5: None}]},
        {Word.YES: "str subclass key"},
    ],
    ids=["int-key", "big-int", "surrogate", "float-key", "enum-key"],
)
def test_what_orjson_refuses_is_left_to_reflexs_encoder(payload):
    reflex = _reflex_dumps()
    assert socket_json.fast_dumps(reflex)(payload, **COMPACT) == reflex(payload, **COMPACT)


def test_a_value_reflex_cannot_encode_fails_as_before():
    reflex = _reflex_dumps()

    class Unknown:
        pass

    # Reflex's serialize gives None for a type it does not know: both write null.
    assert socket_json.fast_dumps(reflex)([Unknown()], **COMPACT) == reflex([Unknown()], **COMPACT)
    circular: list = []
    circular.append(circular)
    with pytest.raises(ValueError):
        reflex(circular, **COMPACT)
    with pytest.raises(ValueError):
        socket_json.fast_dumps(reflex)(circular, **COMPACT)


def test_other_options_go_to_reflexs_encoder():
    calls = []

    def original(obj, **kwargs):
        calls.append(kwargs)
        return "original"

    fast = socket_json.fast_dumps(original)
    assert fast({"a": 1}) == "original"
    assert fast({"a": 1}, separators=(", ", ": ")) == "original"
    assert fast({"a": 1}, **COMPACT) == '{"a":1}'
    assert calls == [{}, {"separators": (", ", ": ")}]


def test_install_swaps_the_packet_classes_json_once():
    def dumps(obj, **kwargs):
        return "reflex"

    def loads(data, **kwargs):
        return "loaded"

    packet_class = type("Packet", (), {"json": SimpleNamespace(dumps=dumps, loads=loads)})
    app = SimpleNamespace(sio=SimpleNamespace(packet_class=packet_class))
    assert socket_json.install(app) is True
    installed = packet_class.json
    assert installed.dumps.portal_original is dumps and installed.loads is loads
    assert socket_json.install(app) is True
    assert packet_class.json is installed
    assert socket_json.install(SimpleNamespace()) is False


def test_canary_reflex_and_socketio_encode_packets_as_this_module_expects():
    """Reflex's server json module is `_sio_dumps` over `format.json_dumps`, and socket.io
    calls it once per packet with compact separators only."""
    import socketio.base_server
    import socketio.packet
    from reflex.app import App, _sio_dumps

    assert "dumps=staticmethod(_sio_dumps)" in inspect.getsource(App._setup_state)
    assert "format.json_dumps(obj, **kwargs)" in inspect.getsource(_sio_dumps)
    assert "self.json.dumps(data, separators=(',', ':'))" in inspect.getsource(
        socketio.packet.Packet.encode
    )
    assert "self.packet_class.json = json" in inspect.getsource(socketio.base_server.BaseServer)
    from reflex_base.utils import format

    encoder = format._get_json_encoder((",", ":"))
    assert encoder.ensure_ascii is False
    assert encoder.default is format._get_serialize()
