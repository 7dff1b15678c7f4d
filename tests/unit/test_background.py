"""Work on threads: results in order, errors raised where the result is asked for."""

from __future__ import annotations

import threading

import pytest

from treemerge.background import Background, in_parallel, map_parallel


def test_map_parallel_keeps_the_order_of_the_items() -> None:
    seen: set[str] = set()

    def square(n: int) -> int:
        seen.add(threading.current_thread().name)
        return n * n

    assert map_parallel(square, list(range(11)), workers=3) == [n * n for n in range(11)]
    assert len(seen) == 3
    assert map_parallel(square, []) == []


def test_an_error_is_raised_by_result_not_lost() -> None:
    def fail() -> int:
        raise ValueError("boom")

    job = Background(fail)
    with pytest.raises(ValueError, match="boom"):
        job.result()
    with pytest.raises(ValueError, match="boom"):
        in_parallel([lambda: 1, fail])


def test_here_runs_on_the_thread_that_asks_and_only_when_asked() -> None:
    ran: list[int] = []

    def work() -> str:
        ran.append(threading.get_ident())
        return "done"

    job = Background(work, here=True)
    assert ran == []  # nothing yet: nobody asked
    assert job.result() == "done"
    assert job.result() == "done"  # (asked again: not run again)
    assert ran == [threading.get_ident()]


def test_here_raises_its_error_where_the_result_is_asked_for() -> None:
    def fail() -> int:
        raise ValueError("boom")

    job = Background(fail, here=True)
    with pytest.raises(ValueError, match="boom"):
        job.result()


def test_here_runs_once_when_threads_ask_at_the_same_time() -> None:
    started = threading.Event()
    release = threading.Event()
    runs: list[int] = []

    def slow() -> int:
        runs.append(1)
        started.set()
        release.wait(5)
        return 42

    job = Background(slow, here=True)
    first = Background(job.result)  # asks on a thread of its own
    assert started.wait(5)
    second = Background(job.result)  # asks while the first is still running it
    release.set()
    assert (first.result(), second.result(), job.result()) == (42, 42, 42)
    assert runs == [1]
