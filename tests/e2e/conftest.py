"""End-to-end fixtures: the real local stack (`python -m localstack`) as a subprocess, and a Node runner.

The stack runs exactly as `make dev` runs it (built frontend, embedded DB,
storage emulator child process, `sim` provider), on free loopback ports with
its data in a temporary directory. The browser scenarios are Node scripts
driving the system Chromium through playwright-core (no browser download).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
PLAYWRIGHT = ROOT / "frontend" / "node_modules" / "playwright-core"
DIST_INDEX = ROOT / "frontend" / "dist" / "index.html"
ARTIFACTS = ROOT / "artifacts" / "e2e"

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "e2e-admin-password-2026"  # throwaway stack in a temp dir
STARTUP_TIMEOUT_S = 60.0
NODE_TIMEOUT_S = 150.0


def free_port() -> int:
    """A port the OS just handed out (bind to 0), released for the child to take."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveStack:
    url: str
    log_path: Path
    admin_email: str
    admin_password: str

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no stack log>"


def _require_browser_tooling() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (`make system-deps` installs Debian chromium)")
    if not PLAYWRIGHT.exists():
        pytest.skip(f"{PLAYWRIGHT.relative_to(ROOT)} is missing (`cd frontend && npm ci` installs it)")
    if shutil.which("node") is None:
        pytest.skip("node is not on PATH")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the stack stops its server and its storage emulator itself
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    # Anything left in the stack's own process group (the emulator child after a kill) goes too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    _require_browser_tooling()
    if not DIST_INDEX.exists():
        pytest.fail("frontend/dist is missing: build it first (`cd frontend && npm run build`; `make test` does)")

    tmp = tmp_path_factory.mktemp("e2e-stack")
    port, storage_port = free_port(), free_port()
    while storage_port == port:
        storage_port = free_port()
    env = {
        **os.environ,
        "ENV": "development",
        "PORT": str(port),
        "STORAGE_EMULATOR_PORT": str(storage_port),
        "DATA_DIR": str(tmp / "data"),
        "SIM_DURATION_S": "3",
        "POLL_INTERVAL_S": "0.5",
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PYTHONUNBUFFERED": "1",
    }
    # A developer's shell may point the stack elsewhere; the e2e stack is always self-contained.
    for name in ("MONGODB_URI", "STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "FRONTEND_DIST",
                 "PUBLIC_BASE_URL", "WORKER_URL", "QUEUE_BACKEND", "SECRETS_BACKEND", "DB_SNAPSHOT"):
        env.pop(name, None)

    log_path = tmp / "stack.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "localstack"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    stack = LiveStack(url=f"http://127.0.0.1:{port}", log_path=log_path,
                      admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the local stack exited with {proc.returncode} during startup:\n{stack.log_tail()}")
            try:
                if requests.get(stack.url + "/api/health", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the local stack was not healthy within {STARTUP_TIMEOUT_S:.0f} s:\n{stack.log_tail()}")
            time.sleep(0.2)
        yield stack
    finally:
        _stop(proc)
        log.close()


@dataclass
class NodeResult:
    returncode: int
    output: str
    duration_s: float


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


SpecRunner = Callable[..., NodeResult]


@pytest.fixture
def run_spec(live_stack: LiveStack, artifacts_dir: Path) -> Iterator[SpecRunner]:
    """Runs one Node browser script against the stack; fails the test with its output and the stack log."""

    def run(script: str, **extra_env: str) -> NodeResult:
        env = {
            **os.environ,
            "BASE_URL": live_stack.url,
            "ARTIFACTS": str(artifacts_dir),
            "CHROMIUM": str(CHROMIUM),
            "REPO_ROOT": str(ROOT),
            "ADMIN_EMAIL": live_stack.admin_email,
            "ADMIN_PASSWORD": live_stack.admin_password,
            **extra_env,
        }
        started = time.monotonic()
        try:
            done = subprocess.run(["node", str(E2E / script)], cwd=ROOT, env=env, capture_output=True,
                                  timeout=NODE_TIMEOUT_S, check=False)
            code, out = done.returncode, (done.stdout + done.stderr).decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            code = -1
            out = ((e.stdout or b"") + (e.stderr or b"")).decode(errors="replace")
            out += f"\n<node timed out after {NODE_TIMEOUT_S:.0f} s>"
        result = NodeResult(code, out, time.monotonic() - started)
        print(f"--- node {script} ({result.duration_s:.1f} s, exit {code}) ---\n{out}")
        if code != 0:
            pytest.fail(f"node {script} exited {code}:\n{out}\n--- stack log (tail) ---\n{live_stack.log_tail()}",
                        pytrace=False)
        return result

    yield run
