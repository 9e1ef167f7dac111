"""Shared fixtures: a real storage emulator, and the whole platform on a real loopback port.

The database is mongomock unless TEST_MONGODB_URI points at a real MongoDB, or
TEST_MONGODB=secantusdb asks for a SecantusDB wire server that this session
starts itself (`make test` runs the database tier that way too). With a real
server each test gets its own database, dropped afterwards.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from common.clock import SYSTEM_CLOCK, Clock
from common.config import Settings
from common.runtime import Services, use
from localstack.app import create_app
from localstack.emulator import StorageEmulator, free_port
from localstack.mongo_server import MongoServer
from tests.stack_process import TEST_SETTINGS

WORKER_SECRET = "test-worker-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """'' (the embedded mongomock store), TEST_MONGODB_URI, or a SecantusDB server started for this session."""
    if os.environ.get("TEST_MONGODB_URI"):
        yield os.environ["TEST_MONGODB_URI"]
    elif os.environ.get("TEST_MONGODB") == "secantusdb":
        server = MongoServer().start()
        yield server.uri
        server.stop()
    else:
        yield ""


@pytest.fixture(scope="session")
def emulator() -> Iterator[StorageEmulator]:
    emu = StorageEmulator(bucket="media").start()
    yield emu
    emu.stop()


def make_settings(emulator: StorageEmulator, tmp_path: Path, *, mongodb_uri: str = "", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "ENV": "test",
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DB": f"t{uuid.uuid4().hex[:12]}",
        "DB_SNAPSHOT": False,
        "DATA_DIR": tmp_path / "data",
        "GCS_BUCKET": f"b{uuid.uuid4().hex[:12]}",
        "STORAGE_EMULATOR_HOST": emulator.url,
        "SIM_DURATION_S": 0.0,
        "POLL_INTERVAL_S": 0.05,
        "WORKER_SECRET": WORKER_SECRET,
        "ADMIN_EMAIL": "admin@test.local",
        "ADMIN_PASSWORD": "admin-password-1",
        "LOGIN_MAX_FAILURES": 3,
        "SECRETS_TTL_S": 0.0,
        "CORS_ORIGINS": "https://studio.example",
        **TEST_SETTINGS,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Stack:
    """The platform serving on 127.0.0.1:<port>, with helpers a test reads like a user story."""

    svc: Services
    url: str
    http: requests.Session = field(default_factory=requests.Session)

    def api(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def register(self, email: str | None = None, password: str = "password-123") -> str:
        email = email or f"u{uuid.uuid4().hex[:10]}@example.com"
        r = self.api("POST", "/api/auth/register", json={"email": email, "password": password})
        assert r.status_code == 201, r.text
        return str(r.json()["token"])

    def wait_task(self, token: str, task_id: str, *, timeout_s: float = 30.0, until: tuple[str, ...] = ("COMPLETED", "FAILED")) -> dict[str, Any]:
        """Poll the task until its status is in `until`; fails the test if that takes over `timeout_s`.

        A FAILED task counts once its refund is settled too: the worker records the failure, then refunds
        (refund "pending" -> "done"), so a test reading the balance right after FAILED would race it."""
        deadline = time.monotonic() + timeout_s
        while True:
            body = self.api("GET", f"/api/ai/tasks/{task_id}", token=token).json()
            settled = body.get("status") != "FAILED" or (self.svc.db.tasks.find_one({"_id": task_id}) or {}).get("refund") != "pending"
            if body.get("status") in until and settled:
                return dict(body)
            if time.monotonic() > deadline:
                raise AssertionError(f"task {task_id} is still {body.get('status')!r}{'' if settled else ' with its refund pending'} "
                                     f"after {timeout_s} s (waiting for {until}): {body}")
            time.sleep(0.05)

    def worker(self, body: dict[str, Any], **headers: str) -> requests.Response:
        return self.api("POST", "/api/tasks/run", json=body, headers={"X-Worker-Secret": WORKER_SECRET, **headers})


def start_stack(settings: Settings, *, clock: Clock = SYSTEM_CLOCK) -> tuple[Stack, Any]:
    port = free_port()
    settings = settings.model_copy(update={"PORT": port})
    svc = Services(settings, clock=clock)
    use(svc)
    svc.storage.ensure_bucket()
    server = make_server("127.0.0.1", port, create_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # shutdown() waits one poll
    thread.start()
    return Stack(svc=svc, url=f"http://127.0.0.1:{port}"), server


@pytest.fixture
def settings(emulator: StorageEmulator, tmp_path: Path, mongodb_uri: str) -> Settings:
    return make_settings(emulator, tmp_path, mongodb_uri=mongodb_uri)


@pytest.fixture
def clock() -> Clock:
    """The clock the stack's services read; a test module overrides this fixture with a `FrozenClock`."""
    return SYSTEM_CLOCK


@pytest.fixture
def stack(settings: Settings, clock: Clock) -> Iterator[Stack]:
    s, server = start_stack(settings, clock=clock)
    yield s
    stop_stack(s, server)


def stop_stack(stack: Stack, server: Any, *, drop: bool = True) -> None:
    """Stop serving; on a real server drop the test's database (before the client closes); close the services."""
    server.shutdown()
    svc = stack.svc
    if drop and svc.settings.MONGODB_URI and "db" in svc.__dict__:
        svc.db._client.drop_database(svc.settings.MONGODB_DB)
    svc.close()
    use(None)
