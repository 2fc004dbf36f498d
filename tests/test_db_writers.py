"""Writers of one process take turns at ``immediate()``: every write lands, a turn is
handed over when the writer before commits, and a nested transaction never waits for
its own thread's turn."""

from __future__ import annotations

import threading
from pathlib import Path

from convergio_tui.store.db import close_database, db, immediate
from convergio_tui.store.models import Project


def _add(name: str) -> None:
    with immediate():
        Project.create(name=name, path=f"/p/{name}")


def test_many_threads_writing_at_once_all_land(db_file: Path) -> None:
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            for n in range(25):
                _add(f"w{index}-{n}")
        except BaseException as exc:  # reported below, with the thread's other writes
            errors.append(exc)
        finally:
            close_database()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert Project.select().count() == 8 * 25


def test_a_writer_waits_for_the_one_before_and_then_sees_its_write(db_file: Path) -> None:
    inside, release, second_done = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def first() -> None:
        with immediate():
            Project.create(name="first", path="/p/first")
            inside.set()
            release.wait(60)
        close_database()

    def second() -> None:
        inside.wait(60)
        with immediate():
            seen.append(Project.select().where(Project.name == "first").count())
            Project.create(name="second", path="/p/second")
        close_database()
        second_done.set()

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    inside.wait(60)
    # The second writer cannot be inside its transaction while the first holds it.
    assert not second_done.wait(0.3)
    release.set()
    a.join(60)
    b.join(60)
    assert seen == [1]  # it ran after the first committed, and saw its row
    assert Project.select().count() == 2


def test_a_nested_transaction_does_not_wait_for_its_own_thread(db_file: Path) -> None:
    finished = threading.Event()

    def nested() -> None:
        with immediate():
            Project.create(name="outer", path="/p/outer")
            with immediate():  # a savepoint of the transaction above
                Project.create(name="inner", path="/p/inner")
        with db.atomic():  # a deferred transaction that then asks for an immediate one
            Project.create(name="deferred", path="/p/deferred")
            _add("inside-deferred")
        close_database()
        finished.set()

    thread = threading.Thread(target=nested)
    thread.start()
    assert finished.wait(60), "a nested immediate() waited for its own thread's turn"
    thread.join()
    names = {p.name for p in Project.select()}
    assert names == {"outer", "inner", "deferred", "inside-deferred"}
