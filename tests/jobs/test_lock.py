"""The job lock: one holder at a time, released afterwards, on SQLite and PostgreSQL."""

import threading

from sqlalchemy import create_engine

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
