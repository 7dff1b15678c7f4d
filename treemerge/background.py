"""Work started now and collected later, on a thread (git processes waited on in
parallel; lighter to load than concurrent.futures, which start-up time notices)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
# How often (seconds) Python hands over between threads while some of them wait for git:
# a thread git has answered should not wait long for the interpreter (by default Python
# hands over every 5 ms).
SWITCH_INTERVAL = 0.0005
U = TypeVar("U")


class Background(Generic[T]):
    """`func()` running on its own thread; `result()` waits and returns (or raises).

    `here`: no thread; `func()` runs on the thread that first asks for the result (once:
    others asking meanwhile wait for it). For work that would only wait on a thread for
    git already at work on its own (started ahead: treemerge.app.early), where a
    thread's start and hand-overs are all it adds.
    """

    def __init__(self, func: Callable[[], T], *, here: bool = False) -> None:
        self._func: Callable[[], T] | None = func
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._lock: threading.Lock | None = None
        if here:
            self._lock = threading.Lock()
        else:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self._func is not None
        try:
            self._value = self._func()
        except BaseException as exc:
            self._error = exc

    def result(self) -> T:
        if self._thread is not None:
            self._thread.join()
        else:
            assert self._lock is not None
            with self._lock:
                if self._func is not None:  # (here: on the first asking)
                    self._run()
                    self._func = None
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def in_parallel(funcs: list[Callable[[], T]]) -> list[T]:
    """Every `func()` at once; their results in order (the first error raised)."""
    started = [Background(func) for func in funcs]
    return [job.result() for job in started]


def map_parallel(func: Callable[[T], U], items: list[T], *, workers: int = 2) -> list[U]:
    """`func(item)` for every item, on `workers` threads (each git process a thread waits
    on gets a core of its own); results in the order of `items`."""

    def share_of(share: list[T]) -> Callable[[], list[U]]:
        return lambda: [func(item) for item in share]

    done = in_parallel([share_of(items[i::workers]) for i in range(workers)])
    results: list[U] = [None] * len(items)  # type: ignore[list-item]
    for i, share in enumerate(done):
        results[i::workers] = share
    return results
