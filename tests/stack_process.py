"""The local stack (`python -m localstack`) as a child process, exactly as `make dev` runs it.

Shared by the end-to-end suite and the fault-injection tests: free loopback
ports, data in a given directory, a self-contained environment, its log kept
for failure messages, and a stop that leaves no process of its group behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from localstack.emulator import free_port
from tests.processes import terminate

ROOT = Path(__file__).resolve().parents[1]

# Every test client shares 127.0.0.1: tests that are not about rate limits must not meet them.
LOOSE_RATE_LIMITS = {name: "100000/minute" for name in (
    "RATE_LIMIT_IP", "RATE_LIMIT_LOGIN", "RATE_LIMIT_REGISTER", "RATE_LIMIT_GENERATE", "RATE_LIMIT_UPLOAD",
    "RATE_LIMIT_CHAT", "RATE_LIMIT_PROXY")}
# What every test stack (in-process or a subprocess) runs with: loose rate limits (the abuse tests set
# their own) and argon2's CHEAPEST profile, so registering hundreds of users costs milliseconds, not
# minutes; the production tier (tests/prod) keeps the real profile.
TEST_SETTINGS = {**LOOSE_RATE_LIMITS, "ARGON2_PROFILE": "CHEAPEST"}

# A developer's shell may point the stack elsewhere; a test stack is always self-contained.
_FOREIGN = ("MONGODB_URI", "STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "FRONTEND_DIST",
            "PUBLIC_BASE_URL", "WORKER_URL", "QUEUE_BACKEND", "SECRETS_BACKEND", "DB_SNAPSHOT")


class StackProcess:
    def __init__(self, data_dir: Path, *, port: int | None = None, storage_port: int | None = None,
                 log_path: Path | None = None, **env: str) -> None:
        self.port = port or free_port()
        self.storage_port = storage_port or free_port()
        while self.storage_port == self.port:
            self.storage_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path or data_dir.parent / f"stack-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if k not in _FOREIGN}
        self.env.update({"ENV": "development", "PORT": str(self.port), "STORAGE_EMULATOR_PORT": str(self.storage_port),
                         "DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **TEST_SETTINGS, **env})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60.0) -> StackProcess:
        """Start and wait until /api/health answers 200; RuntimeError (with the log) otherwise."""
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "localstack"], cwd=ROOT, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the local stack exited with {self.proc.returncode} during startup:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/api/health", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local stack was not healthy within {timeout_s:.0f} s:\n{self.log_tail()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL the whole process group (the app and its storage emulator): no clean shutdown."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (the stack stops its server and emulator itself), then whatever is left of its group."""
        if self.proc is None:
            return
        terminate(self.proc, grace_s=15)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no stack log>"
