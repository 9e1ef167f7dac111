"""Helpers for race tests: run the same call on several threads released at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def race(n: int, fn: Callable[[int], Any], *, timeout_s: float = 30.0) -> list[Any]:
    """Run fn(0..n-1) on n threads released together by a barrier; each result (or the exception raised) in index order.

    Fails the test loudly when a thread has not finished within `timeout_s` seconds (a deadlock, never a slow machine).
    """
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=timeout_s)
        try:
            results[i] = fn(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout_s)
        assert not t.is_alive(), f"a racing thread did not finish within {timeout_s} s"
    return results
