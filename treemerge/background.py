"""Work started now and collected later, on a thread (git processes waited on in
parallel; lighter to load than concurrent.futures, which start-up time notices)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


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
