"""GET /api/health: is the database reachable, and Redis when REDIS_URL is set.

The probe answers within a few seconds whatever is down: each check has its own short timeout
and any failure is reported as "unreachable" (logged, never raised).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal_app.core.db import get_engine
from portal_app.core.settings import get_settings

log = logging.getLogger(__name__)

# A load balancer polls this every few seconds: a check slower than this counts as down.
CHECK_TIMEOUT_SECONDS = 2.0


def _ping_database() -> None:
    with get_engine().connect() as conn:
        conn.execute(text("SELECT 1"))


async def check_database() -> str:
    """Return "ok" when `SELECT 1` succeeds within the timeout, else "unreachable"."""
    try:
        # The engine is synchronous: run it off the event loop so a hung connect cannot
        # stall the worker's websockets.
        await asyncio.wait_for(run_in_threadpool(_ping_database), CHECK_TIMEOUT_SECONDS)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report, never crash the probe
        log.warning("health: database unreachable: %s", type(exc).__name__)
        return "unreachable"


async def check_redis(url: str) -> str:
    """Return "ok" when Redis at `url` answers PING within the timeout, else "unreachable"."""
    from redis.asyncio import Redis

    client = Redis.from_url(
        url,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
        # Reflex's own client retries; a probe must report the outage instead.
        retry_on_timeout=False,
    )
    try:
        await asyncio.wait_for(client.ping(), CHECK_TIMEOUT_SECONDS)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - report, never crash the probe
        log.warning("health: redis unreachable: %s", type(exc).__name__)
        return "unreachable"
    finally:
        # Closing a connection that never opened may fail too; the answer is already known.
        with contextlib.suppress(Exception):
            await client.aclose()


async def health(_request: Request) -> Response:
    """200 {"status": "ok", ...} when every configured dependency answers, else 503 "degraded"."""
    redis_url = get_settings().redis_url
    checks = [check_database()] + ([check_redis(redis_url)] if redis_url else [])
    results = await asyncio.gather(*checks)
    body = {"database": results[0]}
    if redis_url:
        body["redis"] = results[1]
    healthy = all(result == "ok" for result in results)
    return JSONResponse(
        {"status": "ok" if healthy else "degraded", **body},
        status_code=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )
