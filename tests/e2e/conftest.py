"""End-to-end fixtures: the real local stack (`python -m localstack`) as a subprocess, and a Node runner.

The stack runs exactly as `make dev` runs it (built frontend, embedded DB,
storage emulator child process, `sim` provider), on free loopback ports with
its data in a temporary directory. The browser scenarios are Node scripts
driving the system Chromium through playwright-core (no browser download).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.stack_process import StackProcess

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


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    _require_browser_tooling()
    if not DIST_INDEX.exists():
        pytest.fail("frontend/dist is missing: build it first (`cd frontend && npm run build`; `make test` does)")

    tmp = tmp_path_factory.mktemp("e2e-stack")
    process = StackProcess(tmp / "data", log_path=tmp / "stack.log", SIM_DURATION_S="3", POLL_INTERVAL_S="0.5",
                           ADMIN_EMAIL=ADMIN_EMAIL, ADMIN_PASSWORD=ADMIN_PASSWORD)
    try:
        process.start(timeout_s=STARTUP_TIMEOUT_S)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield LiveStack(url=process.url, log_path=process.log_path, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)
    finally:
        process.stop()


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

    def run(script: str, timeout_s: float = NODE_TIMEOUT_S, **extra_env: str) -> NodeResult:
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
                                  timeout=timeout_s, check=False)
            code, out = done.returncode, (done.stdout + done.stderr).decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            code = -1
            out = ((e.stdout or b"") + (e.stderr or b"")).decode(errors="replace")
            out += f"\n<node timed out after {timeout_s:.0f} s>"
        result = NodeResult(code, out, time.monotonic() - started)
        print(f"--- node {script} ({result.duration_s:.1f} s, exit {code}) ---\n{out}")
        if code != 0:
            pytest.fail(f"node {script} exited {code}:\n{out}\n--- stack log (tail) ---\n{live_stack.log_tail()}",
                        pytrace=False)
        return result

    yield run
