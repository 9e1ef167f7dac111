"""Helpers for the abuse tests: clients with their own loopback source address, a stack with
overridden settings, a frozen clock, and waits that fail loudly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from common import clock
from tests.conftest import Stack, make_settings, start_stack


class _SourceAddress(HTTPAdapter):
    """Connect from a chosen loopback address (all of 127.0.0.0/8 is local on Linux)."""

    def __init__(self, ip: str) -> None:
        self._ip = ip
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self._ip, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(ip: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", _SourceAddress(ip))
    return s


def call_from(stack: Stack, ip: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    token = kwargs.pop("token", None)
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    with session_from(ip) as s:
        return s.request(method, stack.url + path, headers=headers, timeout=30, **kwargs)


@contextmanager
def stack_with(emulator: Any, tmp_path: Any, **overrides: Any) -> Iterator[Stack]:
    from common.runtime import use

    settings = make_settings(emulator, tmp_path, **overrides)
    s, server = start_stack(settings)
    try:
        yield s
    finally:
        server.shutdown()
        s.svc.close()
        use(None)


class FrozenClock:
    """`common.clock.now` held still; `advance` moves it. Every module reads time through it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.at = clock.now()
        self._lock = threading.Lock()
        monkeypatch.setattr(clock, "now", self.now)

    def now(self) -> datetime:
        with self._lock:
            return self.at

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.at += timedelta(seconds=seconds)


def wait_until(condition: Callable[[], bool], *, what: str, timeout_s: float = 30.0) -> None:
    """Poll `condition` until true; AssertionError naming `what` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.02)


def wait_task(stack: Stack, token: str, task_id: str, *, until: tuple[str, ...] = ("COMPLETED", "FAILED"),
              timeout_s: float = 60.0) -> dict[str, Any]:
    """The task once its status is in `until`; fails loudly at the deadline."""
    seen: dict[str, Any] = {}

    def done() -> bool:
        nonlocal seen
        seen = stack.api("GET", f"/api/ai/tasks/{task_id}", token=token).json()
        return seen.get("status") in until

    try:
        wait_until(done, what=f"task {task_id} to reach {until}", timeout_s=timeout_s)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen}") from None
    return seen


def error_of(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}
    return dict(body["error"])
