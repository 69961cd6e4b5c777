"""A tab's event costs two Redis round trips instead of four: lock + read, then write + unlock.

Reflex 0.10.1's Redis state manager (opportunistic locking off, as we run it: a killed worker
must not lose its tabs' last seconds) handles every event with four commands in a row: `SET
<token>_lock <id> NX PX` (take the tab's lock), `MGET` of the tab's states, the handler, then a
fenced `EVAL` that writes the changed states only while the lock is still ours, and `GETDEL`
of the lock. Each round trip is a few hundred microseconds of redis-py's Python per command
(connection pool, retry wrapper, packing, parsing) on the worker's event loop, besides the
wait.

`install()` replaces `StateManagerRedis._try_modify_state` (the lock-held block every event
runs in) with one that sends two scripts instead:

- `ACQUIRE_AND_READ`: `SET NX PX` and, only when that took the lock, the `MGET` of the very
  keys Reflex's `get_state` would read, in one atomic script. The tree is then built from its
  reply exactly as `get_state` builds it from its `MGET`'s (`_tree_from`). When the lock is
  taken by someone else, or when this worker already queues events for the tab, Reflex's own
  waiting (`_wait_lock`, with redis_lock_fix's patches) takes over and the states are read
  afterwards with Reflex's `get_state`, as before.
- `SAVE_AND_RELEASE`: Reflex's fenced save (write the touched states only while `GET lock ==
  our id`, else nothing and a LockExpiredError) followed by the `DEL` of the lock in the same
  script. The `DEL` fires the same keyspace "del" notification as `GETDEL` did, which is what
  other workers' waiters listen for.

What stays as in Reflex: which states are written (only touched ones, `_collect_state_writes`),
the lock's id, expiry and fencing, the "held too long" warning, a failed or cancelled event
still releasing its lock (`GETDEL`, only if it is ours), local waiters woken on the way out. A
cancel that lands while the first script is in flight lets it finish and gives back a lock it
took (as redis_lock_fix does for `SET NX`). With opportunistic locking switched on, or a token
that is not a BaseState tree, Reflex's original method runs unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from reflex.istate.manager.token import BaseStateToken
from reflex_base.utils.exceptions import LockExpiredError, StateSchemaMismatchError

from portal_app.reflex_ext.redis_lock_fix import RELEASE_IF_OURS

log = logging.getLogger(__name__)

# KEYS: the lock key, then the state keys. ARGV: the lock id, the lock's expiry in ms.
# Takes the lock only if free; then, and only then, reads the states under it.
ACQUIRE_AND_READ = """
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
    return {0}
end
if #KEYS == 1 then
    return {1, {}}
end
return {1, redis.call('MGET', unpack(KEYS, 2))}
"""

# KEYS: the lock key, then the state keys. ARGV: the lock id, the states' expiry in s, then
# the serialized states in KEYS order. Reflex's fenced save, then the lock's release: nil
# (nothing written, lock untouched) unless the lock is still ours, else its PTTL before DEL.
SAVE_AND_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return nil
end
for i = 2, #KEYS do
    redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ARGV[2])
end
local pttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
return pttl
"""


# States an event will ask for beyond its own (page_load.py: a navigation's page states), read
# in the same script; set once by reflex_ext.install. A wrong guess costs a read, never a
# change: a state missing from the tree is still fetched by Reflex when asked for.
PREFETCH: Callable[[Any], Iterable[type]] | None = None


def required_classes(manager: Any, token: BaseStateToken, extra: Iterable[type] = ()) -> list[type]:
    """The state classes Reflex's `get_state(token)` reads for a fresh tree, in its order
    (parents before their substates), plus what its `get_state` of each `extra` class would
    read into that tree."""
    extra = tuple(extra)
    key = (token.cls, extra)
    found = _REQUIRED.get(key)
    if found is None:
        # The answer depends on the state classes only: Reflex walks the tree for it on every
        # call (~1.5% of a loaded worker's CPU, issue 25), so it is kept until a state class
        # changes (_forget_required_when_states_change).
        _forget_required_when_states_change()
        needed: set[type] = set()
        for cls in (token.cls, *extra):
            manager._get_required_state_classes(cls, subclasses=True, required_state_classes=needed)
        found = _REQUIRED[key] = tuple(sorted(needed, key=lambda cls: cls.get_full_name()))
    return list(found)


# (token's state class, extra classes) -> required_classes' answer.
_REQUIRED: dict[tuple[type, tuple[type, ...]], tuple[type, ...]] = {}


def _forget_required_when_states_change() -> None:
    """Empty `_REQUIRED` whenever Reflex changes its state tree: every new state class, var
    added or module reloaded goes through `BaseState._init_var_dependency_dicts` (which sets
    the dependency sets `_get_required_state_classes` reads) or `reload_state_module` (which
    removes classes). Patched once per process."""
    import reflex.state
    from reflex.state import BaseState

    init = BaseState.__dict__["_init_var_dependency_dicts"].__func__
    if not getattr(init, "portal_forgets_required", False):

        def _init_var_dependency_dicts(cls):
            _REQUIRED.clear()
            return init(cls)

        _init_var_dependency_dicts.portal_forgets_required = True
        _init_var_dependency_dicts.portal_original = init
        # setattr: the class attribute is a classmethod object, as Reflex defines it.
        setattr(  # noqa: B010
            BaseState, "_init_var_dependency_dicts", classmethod(_init_var_dependency_dicts)
        )
    reload = reflex.state.reload_state_module
    if not getattr(reload, "portal_forgets_required", False):

        def reload_state_module(*args, **kwargs):
            _REQUIRED.clear()
            return reload(*args, **kwargs)

        reload_state_module.portal_forgets_required = True
        reload_state_module.portal_original = reload
        reflex.state.reload_state_module = reload_state_module


def _prefetch(event: Any) -> list[type]:
    if PREFETCH is None or event is None:
        return []
    try:
        return list(PREFETCH(event))
    except Exception:  # noqa: BLE001 - only an optimisation: the event reads them later
        log.warning("state prefetch failed; reading them when asked for", exc_info=True)
        return []


def _tree_from(token: BaseStateToken, classes: list[type], redis_states: list[Any]):
    """The tab's root state built from the MGET reply, as Reflex's `get_state` builds it
    (StateManagerRedis.get_state in Reflex 0.10.1, without `for_state_instance`)."""
    from reflex.state import BaseState

    flat: dict[str, Any] = {}
    for state_cls, redis_state in zip(classes, redis_states, strict=True):
        state = None
        if redis_state is not None:
            with contextlib.suppress(StateSchemaMismatchError):
                state = BaseState._deserialize(data=redis_state)
        if state is None:
            # Key missing or of another schema: a new instance for this token, as Reflex does.
            state = state_cls(init_substates=False, _reflex_internal_init=True)
        full_name = state.get_full_name()
        flat[full_name] = state
        if state.get_parent_state() is not None:
            parent_name, _dot, name = full_name.rpartition(".")
            parent = flat.get(parent_name)
            if parent is None:
                msg = f"Parent state for {full_name} was not fetched before it"
                raise RuntimeError(msg)
            parent.substates[name] = state
            state.parent_state = parent
    return flat[token.cls.get_root_state().get_full_name()]


async def _acquire_and_read(
    manager: Any, token: BaseStateToken, lock_key: bytes, lock_id: bytes, extra: Iterable[type] = ()
):
    """Take the lock and read the tab's states in one script: (classes, their stored states)
    when the lock was free, None when it was not (nothing read, nothing held)."""
    classes = required_classes(manager, token, extra)
    keys = [token._state_key(cls) for cls in classes]
    attempt = asyncio.ensure_future(
        manager.redis.eval(
            ACQUIRE_AND_READ, 1 + len(keys), lock_key, *keys, lock_id, manager.lock_expiration
        )
    )
    try:
        reply = await asyncio.shield(attempt)
    except asyncio.CancelledError:
        # Let the script finish; if it took the lock, give the lock back, then stop.
        with contextlib.suppress(Exception):
            if (await attempt)[0] == 1:
                await manager.redis.eval(RELEASE_IF_OURS, 1, lock_key, lock_id)
                log.info("released a state lock taken by a cancelled event")
        raise
    if reply[0] != 1:
        return None
    return classes, reply[1]


async def _save_and_release(
    manager: Any, token: Any, state: Any, lock_key: bytes, lock_id: bytes, context: Any
):
    """Reflex's `set_state(..., lock_id=...)` and the lock's release, in one script."""
    writes = manager._collect_state_writes(token, state)
    pttl = await manager.redis.eval(
        SAVE_AND_RELEASE,
        1 + len(writes),
        lock_key,
        *(key for key, _ in writes),
        lock_id,
        manager.token_expiration,
        *(payload for _, payload in writes),
    )
    event = context.get("event")
    event_suffix = f" Happened in event: {event.name}" if event is not None else ""
    if pttl is None:
        existing_lock_id = await manager.redis.get(lock_key)
        msg = (
            f"Lock expired for token {token} while processing. Consider increasing "
            f"`app.state_manager.lock_expiration` (currently {manager.lock_expiration}) "
            "or use `@rx.event(background=True)` decorator for long-running tasks. "
            f"Current lock id: {existing_lock_id!r}, expected lock id: {lock_id!r}." + event_suffix
        )
        raise LockExpiredError(msg)
    time_taken = (manager.lock_expiration - pttl) / 1000
    if time_taken > manager.lock_warning_threshold / 1000:
        # Reflex's own warning, from Reflex's logger, as set_state writes it.
        logging.getLogger("reflex.istate.manager.redis").warning(
            f"Lock for token {token} was held too long {time_taken=}s, "
            "use `@rx.event(background=True)` decorator for long-running "
            f"tasks.{event_suffix}",
            extra={"dedupe": True},
        )


def two_round_trip_modify_state(original: Any) -> Any:
    """`original` (StateManagerRedis._try_modify_state) with the lock and the state I/O
    merged into two scripts; the original runs where this does not apply."""

    @contextlib.asynccontextmanager
    async def _try_modify_state(self, token, **context):
        if self._oplock_enabled or not isinstance(token, BaseStateToken):
            async with original(self, token, **context) as state:
                yield state
            return
        event = context.get("event")
        lock_key = self._lock_key(token)
        lock_id = (f"{event.name}:{uuid.uuid4().hex}" if event else uuid.uuid4().hex).encode()
        read = None
        # Events of this tab already queued in this worker go first, as in Reflex's _wait_lock.
        if not self._n_lock_waiters(lock_key):
            extra = _prefetch(event)
            read = await _acquire_and_read(self, token, lock_key, lock_id, extra)
        if read is None:
            await self._wait_lock(lock_key, lock_id)
        held = True
        try:
            # Built under the try, like Reflex's get_state under its _lock: a state that
            # cannot be loaded still releases the lock.
            state = _tree_from(token, *read) if read else await self.get_state(token)
            yield state
            await _save_and_release(self, token, state, lock_key, lock_id, context)
            held = False
        except LockExpiredError:
            held = False  # not ours any more: never delete another event's lock
            raise
        finally:
            if held:
                # The event failed or was cancelled: release as Reflex's _lock does.
                deleted = await self.redis.getdel(lock_key)
                if deleted is not None and deleted != lock_id:
                    log.warning(
                        "%s was released by %s, but it belonged to %s",
                        lock_key.decode(),
                        lock_id.decode(),
                        deleted.decode(),
                    )
            # A waiter registered after the DEL's notification was handled still wakes.
            self._notify_next_waiter(lock_key)

    _try_modify_state.portal_two_round_trips = True
    _try_modify_state.portal_original = original
    return _try_modify_state


def install() -> None:
    """Patch Reflex's Redis state manager once per process."""
    from reflex.istate.manager.redis import StateManagerRedis

    if not getattr(StateManagerRedis._try_modify_state, "portal_two_round_trips", False):
        StateManagerRedis._try_modify_state = two_round_trip_modify_state(
            StateManagerRedis._try_modify_state
        )
