"""SQLite writers of one process queue on a lock that is always given back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session

from backend.db import make_engine
from backend.db_writer_queue import WriterQueue


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'queue.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
    return engine


def _queue(engine) -> WriterQueue:  # type: ignore[no-untyped-def]
    queues = [q for q in getattr(engine, "_sentrace_writer_queue", [])] or []
    assert queues, "a SQLite file engine has a writer queue"
    return queues[0]


def test_a_second_writer_waits_for_the_first_to_commit_and_readers_never_wait(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    order: list[str] = []
    first_wrote = threading.Event()

    queue = _queue(engine)

    def first() -> None:
        with Session(engine) as session:
            session.execute(text("INSERT INTO note (body) VALUES ('first')"))
            first_wrote.set()
            deadline = time.monotonic() + 10  # until the second writer waits in the queue
            while queue.waiting == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            order.append(f"first commits, {queue.waiting} waiting")
            session.commit()

    def second() -> None:
        first_wrote.wait(5)
        with Session(engine) as session:
            session.execute(text("INSERT INTO note (body) VALUES ('second')"))
            order.append("second wrote")
            session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_wrote.wait(5)
    with Session(engine) as reader:  # a reader is not held up by the writer in the queue
        assert reader.execute(text("SELECT count(*) FROM note")).scalar_one() == 0
    for thread in threads:
        thread.join(10)
    assert order == ["first commits, 1 waiting", "second wrote"]
    assert _queue(engine).waited_out == 0
    engine.dispose()


def test_the_queue_is_given_back_after_a_rollback_and_an_invalidated_connection(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    with Session(engine) as session:
        session.execute(text("INSERT INTO note (body) VALUES ('undone')"))
        session.rollback()
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO note (body) VALUES ('lost')"))
        connection.invalidate()
    with Session(engine) as session:
        session.execute(text("INSERT INTO note (body) VALUES ('kept')"))
        session.commit()
    queue = _queue(engine)
    assert queue.waited_out == 0
    assert queue.free()
    with Session(engine) as session:
        assert session.execute(text("SELECT body FROM note")).scalars().all() == ["kept"]
    engine.dispose()


def test_a_writer_that_waits_too_long_goes_on_without_the_queue() -> None:
    queue = WriterQueue(wait_s=0.05)
    holder: dict[str, object] = {}
    queue.enter(holder)
    late: dict[str, object] = {}
    queue.enter(late)  # the same lock is held: waits 50 ms, then goes on
    assert queue.waited_out == 1 and "sentrace_writer_queue" not in late
    queue.leave(late)  # leaving without holding gives nothing back
    assert not queue.free()
    queue.leave(holder)
    assert queue.free()
