"""Kill the running platform in the middle of a video job: after a restart the job still completes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from bson import json_util

from localstack.emulator import free_port
from tests.stack_process import StackProcess


@pytest.fixture
def stacks() -> Iterator[list[StackProcess]]:
    started: list[StackProcess] = []
    yield started
    for p in started:
        p.stop()


def _wait(url: str, token: str, task_id: str, predicate: Any, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        task = requests.get(f"{url}/api/ai/tasks/{task_id}", headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
        if predicate(task):
            return dict(task)
        time.sleep(0.1)
    raise AssertionError(f"task never reached the expected state: {task}")


def _wait_snapshot(path: Path, task_id: str, timeout_s: float = 30) -> None:
    """Wait until the embedded store's snapshot on disk holds the task GENERATING with its provider job."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            tasks = json_util.loads(path.read_text()).get("tasks", [])
        except (OSError, ValueError):
            tasks = []
        if any(t.get("_id") == task_id and t.get("status") == "GENERATING" and t.get("job") for t in tasks):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never held task {task_id} GENERATING with its job")
        time.sleep(0.1)


def test_killed_mid_generation_the_video_job_completes_after_restart(tmp_path: Path, stacks: list[StackProcess]) -> None:
    # The mongomock store, whose snapshot is what survives (the secantusdb default: the test below).
    env = {"SIM_DURATION_S": "5", "POLL_INTERVAL_S": "0.3", "ADMIN_EMAIL": "admin@example.com", "EMBEDDED_DB": "mongomock"}
    first = StackProcess(tmp_path / "data", **env)
    stacks.append(first.start())
    r = requests.post(f"{first.url}/api/auth/register", json={"email": "kill@example.com", "password": "password-123"}, timeout=10)
    token = r.json()["token"]
    task = requests.post(f"{first.url}/api/ai/video", json={"prompt": "survives a crash", "duration_s": 4},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    _wait(first.url, token, task["id"], lambda t: t["status"] == "GENERATING" and t["progress"] > 0)
    _wait_snapshot(tmp_path / "data" / "db.json", task["id"])  # the embedded store snapshots about once a second
    first.kill()

    second = StackProcess(tmp_path / "data", port=first.port, storage_port=first.storage_port, **env)
    stacks.append(second.start())
    token = requests.post(f"{second.url}/api/auth/login", json={"email": "kill@example.com", "password": "password-123"},
                          timeout=10).json()["token"]
    done = _wait(second.url, token, task["id"], lambda t: t["status"] in ("COMPLETED", "FAILED"))
    assert done["status"] == "COMPLETED", done
    video = requests.get(second.url + done["result"]["url"], headers={"Range": "bytes=4-7"}, timeout=10)
    assert video.status_code == 206 and video.content == b"ftyp"
    me = requests.get(f"{second.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert me["quota"]["video"]["used"] == 1  # charged once, not refunded, not charged again


def test_secantusdb_embedded_store_loses_no_acknowledged_write_to_kill_9(tmp_path: Path, stacks: list[StackProcess]) -> None:
    """EMBEDDED_DB=secantusdb: the stack's own wire server (journal synced per commit) dies with it and recovers."""
    # STEP_LEASE_S=1: a step the kill interrupted has a dead lease by the restart, so the start-up sweep resumes it.
    env = {"SIM_DURATION_S": "0", "EMBEDDED_DB": "secantusdb", "MONGODB_PORT": str(free_port()), "STEP_LEASE_S": "1"}
    first = StackProcess(tmp_path / "data", **env)
    stacks.append(first.start(timeout_s=120))
    token = requests.post(f"{first.url}/api/auth/register", json={"email": "wt@example.com", "password": "password-123"},
                          timeout=30).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    ids = [requests.post(f"{first.url}/api/ai/image", json={"prompt": f"p{i}"}, headers=headers, timeout=30).json()["id"]
           for i in range(3)]
    for task_id in ids:
        _wait(first.url, token, task_id, lambda t: t["status"] == "COMPLETED")
    last = requests.post(f"{first.url}/api/ai/image", json={"prompt": "acknowledged, then killed"}, headers=headers,
                         timeout=30).json()["id"]
    first.kill()  # the whole process group: the app, its storage emulator and its database server

    second = StackProcess(tmp_path / "data", port=first.port, storage_port=first.storage_port, **env)
    stacks.append(second.start(timeout_s=120))
    token = requests.post(f"{second.url}/api/auth/login", json={"email": "wt@example.com", "password": "password-123"},
                          timeout=30).json()["token"]
    assert _wait(second.url, token, last, lambda t: t["status"] == "COMPLETED")["status"] == "COMPLETED"
    listed = requests.get(f"{second.url}/api/ai/tasks", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
    assert [t["id"] for t in listed["items"]] == [last, *reversed(ids)]
