"""gcp-storage-emulator as a child process (a real HTTP server speaking the GCS JSON API)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StorageEmulator:
    def __init__(self, *, port: int | None = None, data_dir: Path | None = None, bucket: str = "media") -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        self.bucket = bucket
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> StorageEmulator:
        cmd = [sys.executable, "-m", "localstack.storage_server"]
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            cmd += ["-d", str(self.data_dir)]
        cmd += ["start", "--host", "127.0.0.1", "--port", str(self.port), "--default-bucket", self.bucket, "-q"]
        if self.data_dir is None:
            cmd.append("--in-memory")
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"storage emulator exited with {self.process.returncode}")
            try:
                requests.get(f"{self.url}/storage/v1/b/{self.bucket}", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("storage emulator did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
