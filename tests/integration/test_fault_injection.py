"""Kill the running platform in the middle of a video job: after a restart the job still completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localstack.emulator import free_port

ROOT = Path(__file__).resolve().parents[2]


class LocalStackProcess:
    def __init__(self, data_dir: Path, *, port: int, storage_port: int, **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "PORT": str(port), "STORAGE_EMULATOR_PORT": str(storage_port),
                    "DATA_DIR": str(data_dir), "ADMIN_EMAIL": "admin@example.com", **env}
        self.env.pop("STORAGE_EMULATOR_HOST", None)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalStackProcess:
        self.proc = subprocess.Popen([sys.executable, "-m", "localstack"], cwd=ROOT, env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/api/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError("local stack did not start")

    def kill(self) -> None:
        """SIGKILL the whole process group (the app and its storage emulator): no clean shutdown."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture
def ports() -> dict[str, int]:
    return {"port": free_port(), "storage_port": free_port()}


@pytest.fixture
def cleanup() -> Iterator[list[LocalStackProcess]]:
    started: list[LocalStackProcess] = []
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


def test_killed_mid_generation_the_video_job_completes_after_restart(tmp_path: Path, ports: dict[str, int],
                                                                     cleanup: list[LocalStackProcess]) -> None:
    env = {"SIM_DURATION_S": "5", "POLL_INTERVAL_S": "0.3"}
    first = LocalStackProcess(tmp_path, **ports, **env).start()
    cleanup.append(first)
    r = requests.post(f"{first.url}/api/auth/register", json={"email": "kill@example.com", "password": "password-123"}, timeout=10)
    token = r.json()["token"]
    task = requests.post(f"{first.url}/api/ai/video", json={"prompt": "survives a crash", "duration_s": 4},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    _wait(first.url, token, task["id"], lambda t: t["status"] == "GENERATING" and t["progress"] > 0)
    time.sleep(2.5)  # the embedded store snapshots about once a second; a real MongoDB needs no wait
    first.kill()

    second = LocalStackProcess(tmp_path, **ports, **env).start()
    cleanup.append(second)
    token = requests.post(f"{second.url}/api/auth/login", json={"email": "kill@example.com", "password": "password-123"},
                          timeout=10).json()["token"]
    done = _wait(second.url, token, task["id"], lambda t: t["status"] in ("COMPLETED", "FAILED"))
    assert done["status"] == "COMPLETED", done
    video = requests.get(second.url + done["result"]["url"], headers={"Range": "bytes=4-7"}, timeout=10)
    assert video.status_code == 206 and video.content == b"ftyp"
    me = requests.get(f"{second.url}/api/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert me["quota"]["video"]["used"] == 1  # charged once, not refunded, not charged again
