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
