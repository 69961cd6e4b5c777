"""An event's Redis lock and state I/O in two scripts (reflex_ext/redis_round_trips.py), against
the Redis at 127.0.0.1:6379: same states read and written, same lock rules as Reflex's four
commands."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid

import pytest
import reflex as rx
from redis.asyncio import Redis
from reflex.istate.manager.redis import StateManagerRedis
from reflex.istate.manager.token import BaseStateToken
from reflex_base.event import Event
from reflex_base.utils.exceptions import LockExpiredError

from portal_app.reflex_ext import page_load, redis_round_trips

REDIS_URL = os.environ.get("PORTAL_TEST_ROUND_TRIPS_REDIS_URL", "redis://127.0.0.1:6379/14")


# Registered in Reflex's state tree for the whole test process: a parent and its own substate
# only (as tests/reflex_ext/test_state_deps.py does), so no other test sees a stray sibling.
class RoundTripParent(rx.State):
    amount: int = 0
    _backend_note: str = ""


class RoundTripChild(RoundTripParent):
    label: str = "start"

    @rx.var
    def shout(self) -> str:
        return self.label.upper()


class RoundTripPage(RoundTripParent):
    """A sibling of RoundTripChild: not read with a RoundTripChild event unless prefetched."""

    rows: list[str] = []

    @rx.event
    def load(self):
        self.rows = ["loaded"]


class CountingRedis(Redis):
    """Redis that notes each command it sends and can hold an EVAL's reply back a while."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands: list[str] = []
        self.eval_reply_delay = 0.0

    async def execute_command(self, *args, **options):
        name = str(args[0]).upper()
        if not name.startswith("CONFIG"):  # the lock subscriber's keyspace set-up, not an event's
            self.commands.append(name)
        reply = await super().execute_command(*args, **options)
        if args[0] == "EVAL" and self.eval_reply_delay:
            await asyncio.sleep(self.eval_reply_delay)  # done on the server, reply on its way
        return reply


@pytest.fixture(autouse=True)
def _redis_up():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            pass
    except OSError:
        pytest.skip("no Redis at 127.0.0.1:6379")


def _manager(redis: CountingRedis) -> StateManagerRedis:
    manager = StateManagerRedis(redis=redis, lock_expiration=2000, lock_warning_threshold=1000)
    assert not manager._oplock_enabled  # how the portal runs it
    return manager


def _patched():
    method = StateManagerRedis._try_modify_state
    if getattr(method, "portal_two_round_trips", False):
        return method
    return redis_round_trips.two_round_trip_modify_state(method)


def _original():
    method = StateManagerRedis._try_modify_state
    return getattr(method, "portal_original", method)


async def _modify(manager, token, try_modify_state, change) -> None:
    async with try_modify_state(manager, token) as root:
        child = await root.get_state(RoundTripChild)
        change(child)


def _token() -> BaseStateToken:
    return BaseStateToken(ident=str(uuid.uuid4()), cls=RoundTripChild)


def _set_label(child, text="paid"):
    child.label = text
    child._backend_note = f"note {text}"


def test_an_event_takes_two_round_trips_instead_of_four_and_keeps_its_change():
    async def run(try_modify_state) -> list[str]:
        redis = CountingRedis.from_url(REDIS_URL)
        manager = _manager(redis)
        token = _token()
        try:
            await _modify(manager, token, try_modify_state, _set_label)
            sent, redis.commands = redis.commands, []
            stored = await (await manager.get_state(token)).get_state(RoundTripChild)
            assert (stored.label, stored._backend_note, stored.shout) == (
                "paid",
                "note paid",
                "PAID",
            )
            assert await redis.exists(manager._lock_key(token)) == 0  # released
            return sent
        finally:
            await manager.close()

    assert asyncio.run(run(_original())) == ["SET", "MGET", "EVAL", "GETDEL"]
    assert asyncio.run(run(_patched())) == ["EVAL", "EVAL"]


def test_the_tree_read_with_the_lock_is_the_one_reflex_reads():
    async def run():
        redis = CountingRedis.from_url(REDIS_URL)
        manager = _manager(redis)
        token = _token()
        try:
            await _modify(manager, token, _patched(), lambda child: _set_label(child, "x"))
            lock_key = manager._lock_key(token)
            read = await redis_round_trips._acquire_and_read(manager, token, lock_key, b"me")
            assert read is not None
            ours = redis_round_trips._tree_from(token, *read)
            await redis.delete(lock_key)
            theirs = await manager.get_state(token)

            def tree(state):
                return {
                    "name": state.get_full_name(),
                    "vars": {k: v for k, v in vars(state).items() if k in state.base_vars},
                    "subs": {name: tree(sub) for name, sub in state.substates.items()},
                }

            assert tree(ours) == tree(theirs)
            assert RoundTripChild.get_full_name() in str(tree(ours))
        finally:
            await manager.close()

    asyncio.run(run())


def test_a_taken_lock_is_waited_for_then_the_state_is_read_after_its_holder_wrote():
    async def run():
        redis = CountingRedis.from_url(REDIS_URL)
        manager = _manager(redis)
        token = _token()
        lock_key = manager._lock_key(token)
        try:
            await redis.set(lock_key, b"another-event", px=2000)
            seen: list[str] = []

            def change(child):
                seen.append(child.label)
                _set_label(child)

            waiting = asyncio.create_task(_modify(manager, token, _patched(), change))
            await asyncio.sleep(0.3)
            assert not waiting.done()
            # The holder writes its change and releases, as an event of another worker would.
            state = await manager.get_state(token)
            child = await state.get_state(RoundTripChild)
            child.label = "holder"
            await manager.set_state(token, state)
            await redis.delete(lock_key)
            await asyncio.wait_for(waiting, 3)
            assert seen == ["holder"]
            stored = await (await manager.get_state(token)).get_state(RoundTripChild)
            assert stored.label == "paid"
            assert await redis.exists(lock_key) == 0
        finally:
            await manager.close()

    asyncio.run(run())


def test_a_failing_event_writes_nothing_and_releases_the_lock():
    def fail(child):
        child.label = "half done"
        raise RuntimeError("handler failed")

    async def run():
        redis = CountingRedis.from_url(REDIS_URL)
        manager = _manager(redis)
        token = _token()
        try:
            with pytest.raises(RuntimeError, match="handler failed"):
                await _modify(manager, token, _patched(), fail)
            assert await redis.exists(manager._lock_key(token)) == 0
            stored = await (await manager.get_state(token)).get_state(RoundTripChild)
            assert stored.label == "start"
        finally:
            await manager.close()

    asyncio.run(run())


def test_a_lock_lost_during_the_event_writes_nothing_and_is_left_to_its_new_holder():
    def lose_the_lock_then_change(manager, token):
        async def change():
            async with _patched()(manager, token) as root:
                (await root.get_state(RoundTripChild)).label = "late"
                # The lock expired and another event took it.
                await manager.redis.set(manager._lock_key(token), b"next-event", px=2000)

        return change()

    async def run():
        redis = CountingRedis.from_url(REDIS_URL)
        manager = _manager(redis)
        token = _token()
        try:
            with pytest.raises(LockExpiredError):
                await lose_the_lock_then_change(manager, token)
            assert await redis.get(manager._lock_key(token)) == b"next-event"
            await redis.delete(manager._lock_key(token))
            stored = await (await manager.get_state(token)).get_state(RoundTripChild)
            assert stored.label == "start"
        finally:
            await manager.close()

    asyncio.run(run())


def test_a_cancel_during_the_first_script_gives_the_lock_back():
    async def run():
        redis = CountingRedis.from_url(REDIS_URL)
        redis.eval_reply_delay = 0.2
        manager = _manager(redis)
        token = _token()
        try:
            task = asyncio.create_task(_modify(manager, token, _patched(), _set_label))
            await asyncio.sleep(0.05)  # the script took the lock; its reply is not read yet
            assert await redis.exists(manager._lock_key(token)) == 1
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await redis.exists(manager._lock_key(token)) == 0
        finally:
            await manager.close()

    asyncio.run(run())


def test_states_an_event_will_ask_for_come_with_its_first_read(monkeypatch):
    # Without the prefetch, RoundTripPage (not in a RoundTripChild event's tree) would be
    # Reflex's second MGET, through the running event's context.
    monkeypatch.setattr(redis_round_trips, "PREFETCH", lambda event: [RoundTripPage])

    async def run() -> list[str]:
        redis = CountingRedis.from_url(REDIS_URL)
        manager = _manager(redis)
        token = _token()
        try:
            async with _patched()(manager, token, event=_Event("page_load")) as root:
                page = root._get_state_from_cache(RoundTripPage)  # no Redis: already read
                page.rows = ["a", "b"]
            sent, redis.commands = redis.commands, []
            stored = await manager.get_state(token.with_cls(RoundTripPage))
            assert stored._get_state_from_cache(RoundTripPage).rows == ["a", "b"]
            return sent
        finally:
            await manager.close()

    assert asyncio.run(run()) == ["EVAL", "EVAL"]


def test_a_failing_prefetch_only_means_no_prefetch(monkeypatch):
    monkeypatch.setattr(redis_round_trips, "PREFETCH", lambda event: [1 / 0])

    async def run():
        redis = CountingRedis.from_url(REDIS_URL)
        manager = _manager(redis)
        token = _token()
        try:
            async with _patched()(manager, token, event=_Event("page_load")) as root:
                with pytest.raises(ValueError):
                    root._get_state_from_cache(RoundTripPage)
                _set_label(await root.get_state(RoundTripChild))
            assert redis.commands == ["EVAL", "EVAL"]
            stored = await (await manager.get_state(token)).get_state(RoundTripChild)
            assert stored.label == "paid"
        finally:
            await manager.close()

    asyncio.run(run())


class _App:
    """The one App method navigation_states uses: the load events of a page path."""

    def __init__(self):
        self.paths: list[str] = []

    def get_load_events(self, path: str):
        self.paths.append(path)
        return [RoundTripPage.load] if path == "/round/7" else []


def test_a_navigation_prefetches_the_states_of_its_pages_load_handlers():
    app = _App()
    states = page_load.navigation_states(app)
    navigation = page_load.navigation_event_name()
    router_data = {"pathname": "/round/[id]", "asPath": "/round/7?tab=2", "query": {"id": "7"}}

    assert states(Event(name=navigation, router_data=router_data)) == [RoundTripPage]
    assert app.paths == ["/round/7"]  # the path, as the tab's router parses asPath
    assert states(Event(name=navigation, router_data={**router_data, "asPath": "/other"})) == []
    # Any other event: nothing to guess.
    assert states(Event(name="state.round_trip_parent.round_trip_page.load")) == []


def test_a_navigation_prefetches_the_states_its_load_handlers_declare_they_read(monkeypatch):
    # RoundTripPage's load reads RoundTripChild too: both come with the first read.
    monkeypatch.setattr(page_load, "_LOAD_READS", {})
    assert page_load.load_reads(RoundTripChild)(RoundTripPage) is RoundTripPage
    states = page_load.navigation_states(_App())
    router_data = {"pathname": "/round/[id]", "asPath": "/round/7", "query": {"id": "7"}}
    navigation = Event(name=page_load.navigation_event_name(), router_data=router_data)
    assert states(navigation) == [RoundTripPage, RoundTripChild]
    assert states(Event(name=navigation.name, router_data={**router_data, "asPath": "/x"})) == []


class _Event:
    def __init__(self, name: str):
        self.name = name


def test_install_is_idempotent_and_keeps_the_original():
    redis_round_trips.install()
    patched = StateManagerRedis._try_modify_state
    redis_round_trips.install()
    assert StateManagerRedis._try_modify_state is patched
    assert patched.portal_two_round_trips
    assert not getattr(patched.portal_original, "portal_two_round_trips", False)


def test_the_states_to_read_are_reflexs_and_kept_until_a_state_class_changes(monkeypatch):
    import inspect

    from reflex.state import BaseState

    manager = StateManagerRedis(redis=CountingRedis.from_url(REDIS_URL))
    token = _token()
    expected = sorted(
        manager._get_required_state_classes(RoundTripChild, subclasses=True),
        key=lambda cls: cls.get_full_name(),
    )
    walks = []
    walk = StateManagerRedis._get_required_state_classes

    def counting(self, *args, **kwargs):
        walks.append(args[0])
        return walk(self, *args, **kwargs)

    monkeypatch.setattr(StateManagerRedis, "_get_required_state_classes", counting)
    assert redis_round_trips.required_classes(manager, token) == expected
    assert redis_round_trips.required_classes(manager, token, [RoundTripPage]) == sorted(
        {*expected, RoundTripPage, RoundTripParent}, key=lambda cls: cls.get_full_name()
    )
    again = len(walks)
    assert redis_round_trips.required_classes(manager, token, [RoundTripPage]) != expected
    assert len(walks) == again  # asked before: not walked again
    assert redis_round_trips.required_classes(manager, token) == expected
    assert len(walks) == again
    # Reflex re-initialises a state's dependency sets on a new state class or var: forgotten.
    RoundTripChild._init_var_dependency_dicts()
    assert redis_round_trips.required_classes(manager, token) == expected
    assert len(walks) > again
    # Canary: Reflex goes through that method on a new state class and on a var added.
    assert "cls._init_var_dependency_dicts()" in inspect.getsource(BaseState.__init_subclass__)
    assert "cls._init_var_dependency_dicts()" in inspect.getsource(BaseState._update_substate_vars)
    assert getattr(
        BaseState.__dict__["_init_var_dependency_dicts"].__func__, "portal_forgets_required"
    )
