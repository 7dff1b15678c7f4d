"""Work started now and collected later, on a thread (git processes waited on in
parallel)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


class Background(Generic[T]):
    """`func()` running on its own thread; `result()` waits and returns (or raises)."""

    def __init__(self, func: Callable[[], T]) -> None:
        self._func = func
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._func()
        except BaseException as exc:
            self._error = exc

    def result(self) -> T:
        self._thread.join()
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
