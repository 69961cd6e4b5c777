"""What the browser sees when an event handler fails: a clear message, never a stack trace.

Registered as the app's `backend_exception_handler` (portal_app/portal_app.py). Reflex calls it
with the exception of any event handler (or of loading/saving the tab's state) and sends the
events it returns to that tab. The worker itself keeps running: one failed event never takes
the process down, so an outage of PostgreSQL or Redis cannot turn into a crash loop.

- PostgreSQL or Redis unreachable (refused, reset, timed out, pool exhausted): "The portal is
  briefly unavailable. Please try again in a moment." The engine replaces dead connections
  once the database is back (portal_app/core/db.py), so the next try works without a restart.
- A PortalError a handler let escape (a refusal the services raise on purpose): its
  `user_message`, as the page would have shown it; logged at warning level without a traceback.
- Anything else: "Something went wrong..." with no detail; the traceback goes to the log,
  stamped with the event's id (see logging_setup), so an operator can find it.
"""

import logging

from reflex.event import EventSpec
from reflex_components_sonner.toast import toast

from portal_app.core.errors import PortalError

log = logging.getLogger("portal_app.errors")

UNAVAILABLE_MESSAGE = "The portal is briefly unavailable. Please try again in a moment."
FAILED_MESSAGE = "Something went wrong. Please try again; if it keeps happening, contact us."


def is_outage(exception: BaseException) -> bool:
    """Whether `exception` (or one it was raised from) means a backing service is unreachable."""
    from redis import exceptions as redis_errors
    from sqlalchemy import exc as sa_errors

    outage_types = (
        sa_errors.OperationalError,  # connect refused, server closed the connection, ...
        sa_errors.InterfaceError,
        sa_errors.TimeoutError,  # the connection pool waited too long
        redis_errors.ConnectionError,
        redis_errors.TimeoutError,
        ConnectionError,
        TimeoutError,
    )
    seen: set[int] = set()
    current: BaseException | None = exception
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, outage_types):
            return True
        if isinstance(current, sa_errors.DBAPIError) and current.connection_invalidated:
            return True
        current = current.__cause__ or current.__context__
    return False


def backend_exception_handler(exception: Exception) -> EventSpec:
    """Log the failure and tell the tab in plain words (a toast, or an alert without one)."""
    if is_outage(exception):
        # Expected during an outage and possibly for every event: one line, no traceback.
        log.warning(
            "service unavailable: %s: %s",
            type(exception).__name__,
            str(exception).splitlines()[0][:300] if str(exception) else "",
            extra={"outage": True},
        )
        return _toast(UNAVAILABLE_MESSAGE, "service-unavailable")
    if isinstance(exception, PortalError):
        log.warning("event refused: %s: %s", type(exception).__name__, exception.user_message)
        return _toast(exception.user_message, "portal-refusal")
    log.error(
        "event handler failed: %s",
        type(exception).__name__,
        exc_info=(type(exception), exception, exception.__traceback__),
    )
    return _toast(FAILED_MESSAGE, "backend-error")


def _toast(message: str, toast_id: str) -> EventSpec:
    # One toast id per kind, so repeated failures replace the message instead of stacking.
    return toast(
        message,
        level="error",
        fallback_to_alert=True,
        id=toast_id,
        position="top-center",
        duration=10_000,
    )
