"""The job lock: one holder at a time, released afterwards, on SQLite and PostgreSQL."""

import subprocess
import sys
import threading
import time

from sqlalchemy import create_engine, text

from portal_app.jobs.lock import job_lock, lock_key, sqlite_lock_path


def test_second_taker_is_refused_while_held_then_gets_it(engine):
    with job_lock(engine, "test-lock-a") as first:
        assert first is True
        with job_lock(engine, "test-lock-a") as second:
            assert second is False
        # Another name is another lock.
        with job_lock(engine, "test-lock-b") as other:
            assert other is True
    with job_lock(engine, "test-lock-a") as again:
        assert again is True


def test_held_lock_excludes_another_thread(engine):
    seen: list[bool] = []
    with job_lock(engine, "test-lock-thread") as held:
        assert held

        def other():
            with job_lock(engine, "test-lock-thread") as got:
                seen.append(got)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=30)
    assert seen == [False]


def test_lock_is_released_when_the_block_raises(engine):
    try:
        with job_lock(engine, "test-lock-raise") as held:
            assert held
            raise RuntimeError("job blew up")
    except RuntimeError:
        pass
    with job_lock(engine, "test-lock-raise") as held:
        assert held


def test_keys_are_stable_signed_64_bit():
    assert lock_key("jobs") == lock_key("jobs") != lock_key("other")
    assert -(2**63) <= lock_key("jobs") < 2**63


def test_sqlite_lock_file_sits_beside_the_database(tmp_path):
    file_engine = create_engine(f"sqlite:///{tmp_path / 'portal.db'}")
    assert sqlite_lock_path(file_engine, "jobs") == tmp_path / "portal.db.jobs.lock"
    memory = create_engine("sqlite://")
    assert sqlite_lock_path(memory, "jobs") is None
    with job_lock(memory, "jobs") as first, job_lock(memory, "jobs") as second:
        assert (first, second) == (True, False)


_HOLDER = """
import sys, time
from sqlalchemy import create_engine
from portal_app.jobs.lock import job_lock
url, schema = sys.argv[1], sys.argv[2]
args = {"options": f"-csearch_path={schema}"} if schema else {}
engine = create_engine(url, connect_args=args)
with job_lock(engine, "test-lock-process") as held:
    print("held" if held else "busy", flush=True)
    sys.stdin.readline()
"""


def _spawn_holder(engine) -> subprocess.Popen:
    """Another process that takes the lock, says so, and holds it until its stdin closes."""
    schema = ""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, url, schema],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_lock_held_by_another_process_is_respected(engine):
    child = _spawn_holder(engine)
    try:
        with job_lock(engine, "test-lock-process") as held:
            assert held is False
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    with job_lock(engine, "test-lock-process") as held:
        assert held is True


def test_a_killed_holder_releases_the_lock(engine):
    child = _spawn_holder(engine)
    child.kill()
    child.wait(timeout=30)
    # PostgreSQL notices the dropped connection, the kernel the closed file: no stale lock.
    deadline = time.monotonic() + 10
    while True:
        with job_lock(engine, "test-lock-process") as held:
            if held or time.monotonic() > deadline:
                break
        time.sleep(0.2)
    assert held is True
