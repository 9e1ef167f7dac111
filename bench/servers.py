"""Servers the benchmarks start as child processes: a functions-framework target, the local stack, Nginx.

Each is the real thing on a loopback port: `functions-framework --target=<name> --source=main.py`
(what Cloud Run runs), `python -m localstack` (what `make dev` runs) and the system `nginx` binary
serving a directory. CPU time is read from /proc for a process and its children.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from localstack.emulator import free_port

ROOT = Path(__file__).resolve().parent.parent
TERRAFORM = ROOT / "terraform" / "functions.tf"


def terraform_concurrency(service: str) -> int:
    """`concurrency` of `service` in terraform/functions.tf's service_settings (what Cloud Run sends one instance)."""
    match = re.search(rf"^\s*{service}\s*=\s*\{{[^}}]*concurrency\s*=\s*(\d+)", TERRAFORM.read_text(), re.M)
    if match is None:
        raise ValueError(f"no concurrency for {service} in {TERRAFORM}")
    return int(match.group(1))


class Child:
    """A server process on 127.0.0.1:<port>, stopped (with its children) by `stop()`."""

    def __init__(self, cmd: list[str], *, port: int, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
        self.port = port
        self.process = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, path: str = "/", timeout_s: float = 60.0) -> float:
        """Seconds until `path` answers (any status); raises if the process dies or the deadline passes."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args} exited with {self.process.returncode}")
            try:
                requests.get(self.url + path, timeout=2)
                return time.monotonic() - t0
            except requests.RequestException:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.process.args} did not answer within {timeout_s} s")

    def wait_port(self, timeout_s: float = 60.0) -> float:
        """Seconds until the port accepts a connection (no HTTP request is made)."""
        import socket

        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args} exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return time.monotonic() - t0
            except OSError:
                time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"{self.process.args} did not listen within {timeout_s} s")

    def cpu_s(self) -> float:
        """User + system CPU seconds of the process and its live descendants."""
        return sum(_cpu_s(pid) for pid in _tree(self.process.pid))

    def rss_mb(self) -> float:
        return sum(_status_kb(pid, "VmRSS") for pid in _tree(self.process.pid)) / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def function_target(target: str, env: dict[str, str], *, threads: int | None = None, source: str = "main.py") -> Child:
    """`functions-framework --target=<target> --source=<source>` (gunicorn, as in the image)."""
    port = free_port()
    exe = str(Path(sys.executable).with_name("functions-framework"))
    extra = {"THREADS": str(threads)} if threads else {}
    cmd = [exe, f"--target={target}", f"--source={source}", f"--port={port}", "--host=127.0.0.1"]
    return Child(cmd, port=port, env={**env, **extra})


def local_stack(env: dict[str, str]) -> Child:
    """`python -m localstack` (what `make dev` runs) against the given environment."""
    port = free_port()
    return Child([sys.executable, "-m", "localstack"], port=port, env={**env, "PORT": str(port)})


def nginx_static(root: Path, work: Path, *, gzip: bool = False) -> Child:
    """The system nginx serving `root` (sendfile, keep-alive; `gzip` on the fly like the VPS), configured in `work`."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(f"""
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  include /etc/nginx/mime.types;
  {"gzip on; gzip_comp_level 6; gzip_types text/css application/javascript text/javascript image/svg+xml application/json;" if gzip else ""}
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
""")
    return Child([exe, "-p", str(work), "-c", str(conf)], port=port)


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return pids


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
