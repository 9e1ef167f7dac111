"""The production path on one machine: every function its own functions-framework process.

What runs (all on 127.0.0.1, free ports):

- `functions-framework --target=<name> --source=main.py` per function, with
  production settings (ENV=production: MongoDB, Cloud Tasks, Secret Manager),
  from a copy of the application made read-only (chmod a-w; root ignores
  that, so `app_changes()` also lists anything created or changed in it),
  HOME and TMPDIR a per-function directory, as in the image;
- the real Nginx binary with nginx/sora.conf.tmpl rendered for those ports;
- a real MongoDB wire server: SecantusDB (PyPI `secantusdb`, localstack/mongo_server.py);
- gcp-storage-emulator (the GCS JSON API);
- a fake Secret Manager (REST, tests/integration/gcp_fakes.py);
- a fake Cloud Tasks that delivers to the worker with the OIDC token Cloud Run
  forwards, signature removed (tests/prod/cloud_tasks.py);
- the fake Gemini API (tests/fakes) for the real google-genai adapters.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from localstack.emulator import StorageEmulator, free_port
from localstack.mongo_server import MongoServer
from tests.fakes import FakeGemini
from tests.integration.gcp_fakes import FakeSecretManager
from tests.processes import terminate
from tests.prod.cloud_tasks import DeliveringCloudTasks

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FUNCTIONS = ("auth", "generate", "chat", "proxy", "billing", "admin", "worker", "web")
PROJECT = "test-proj"
BUCKET = "sora-media-test"
INVOKER = f"sora-tasks-invoker@{PROJECT}.iam.gserviceaccount.com"
ADMIN_EMAIL = "admin@example.com"
GEMINI_KEY = "gemini-key-one-0123456789"


def wait_until(what: str, condition: Callable[[], bool], *, timeout_s: float, detail: Callable[[], str] = str) -> None:
    """Poll `condition` until true; fail loudly with `what` (and `detail()`) after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}\n{detail()}")
        time.sleep(0.05)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Function:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({self.log}) ---\n" + "\n".join(text.splitlines()[-lines:])


@dataclass
class Cluster:
    root: Path
    functions: dict[str, Function] = field(default_factory=dict)
    nginx_port: int = 0
    admin_password: str = field(default_factory=lambda: "admin-" + secrets.token_urlsafe(18))
    _stops: list[Callable[[], None]] = field(default_factory=list)

    # ---- what tests use ---------------------------------------------------------

    @property
    def url(self) -> str:
        """The Nginx port: what users reach."""
        return f"http://127.0.0.1:{self.nginx_port}"

    def logs(self) -> str:
        return "\n".join(f.log_tail() for f in self.functions.values())

    # ---- start / stop ------------------------------------------------------------

    def start(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        while self._stops:
            try:
                self._stops.pop()()
            except Exception as exc:  # keep stopping the rest
                print(f"stop failed: {exc!r}", file=sys.stderr)

    def _start(self) -> None:
        self._start_mongodb()
        self.storage = StorageEmulator(bucket=BUCKET).start()
        self._stops.append(self.storage.stop)
        self.secret_manager = FakeSecretManager().__enter__()
        self._stops.append(lambda: self.secret_manager.__exit__(None, None, None))
        for name in ("jwt-signing-key", "media-signing-key", "worker-secret"):  # Terraform generates these
            self.secret_manager.versions[f"projects/{PROJECT}/secrets/{name}"] = [secrets.token_urlsafe(48).encode()]
        for name in ("gemini-api-key", "openai-api-key", "stripe-secret-key", "stripe-webhook-secret"):
            self.secret_manager.versions[f"projects/{PROJECT}/secrets/{name}"] = []  # created empty
        self.gemini = FakeGemini(accepted_keys=(GEMINI_KEY,)).start()
        self._stops.append(self.gemini.stop)
        self.tasks = DeliveringCloudTasks(invokers={INVOKER}).__enter__()
        self._stops.append(lambda: self.tasks.__exit__(None, None, None))

        self.app_dir = self._read_only_app()
        ports = {name: free_port() for name in FUNCTIONS}
        self.nginx_port = free_port()
        for name in FUNCTIONS:
            self.functions[name] = self._spawn(name, ports[name], self._env(name, ports))
        for fn in self.functions.values():
            wait_until(f"{fn.name} to answer /api/health/live", lambda fn=fn: self._alive(fn), timeout_s=90,
                       detail=fn.log_tail)
        self._start_nginx()

    def _start_mongodb(self) -> None:
        self.mongo = MongoServer(data_dir=self.root / "mongodb").start(timeout_s=60)
        self._stops.append(self.mongo.stop)

    def _read_only_app(self) -> Path:
        """The deployable files, copied as the Dockerfile's COPY lines copy them (so a file the image
        lacks is missing here too), into a directory the functions cannot write."""
        base = Path(tempfile.mkdtemp(prefix="sora-prod-app-"))
        self._stops.append(lambda: _remove_read_only(base))
        app = base / "app"
        app.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for sources, dest in dockerfile_copies():
            target = app / dest
            for source in sources:
                src = ROOT / source.rstrip("/")
                if src.is_dir():
                    shutil.copytree(src, target if dest.endswith("/") and len(sources) == 1 else target / src.name,
                                    ignore=ignore, dirs_exist_ok=True)
                else:
                    (target if dest.endswith("/") else target.parent).mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, target / src.name if dest.endswith("/") else target)
        dist = ROOT / "frontend" / "dist"
        if dist.is_dir():  # the image builds it in its own stage (COPY --from=frontend)
            shutil.copytree(dist, app / "frontend" / "dist", dirs_exist_ok=True)
        for path in [*app.rglob("*"), app, base]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        self._app_snapshot = _snapshot(app)
        return app

    def app_changes(self) -> list[str]:
        """Paths created, changed or removed in the application directory since the start (should be none)."""
        now = _snapshot(self.app_dir)
        return sorted(p for p in now.keys() | self._app_snapshot.keys() if now.get(p) != self._app_snapshot.get(p))

    def _writable(self, name: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=f"sora-prod-{name}-"))
        path.chmod(0o700)
        self._stops.append(lambda: shutil.rmtree(path, ignore_errors=True))
        return path

    def _env(self, name: str, ports: dict[str, int]) -> dict[str, str]:
        home = self._writable(name)
        worker = f"http://127.0.0.1:{ports['worker']}"
        keep = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")
        return {
            **{k: v for k, v in os.environ.items() if k in keep},
            "HOME": str(home), "TMPDIR": str(home), "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "FUNCTION_TARGET": name,
            # What terraform/functions.tf sets (common_env + secret_env) ...
            "ENV": "production", "VERSION": "test-prod", "GCP_PROJECT": PROJECT, "GCS_BUCKET": BUCKET,
            "SECRETS_BACKEND": "secretmanager", "QUEUE_BACKEND": "cloudtasks",
            "CLOUD_TASKS_QUEUE": "generation", "CLOUD_TASKS_LOCATION": "us-central1",
            "WORKER_URL": f"{worker}/api/tasks/run", "WORKER_AUDIENCE": worker, "TASKS_SERVICE_ACCOUNT": INVOKER,
            "CORS_ORIGINS": f"http://127.0.0.1:{self.nginx_port}", "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.nginx_port}",
            "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": self.admin_password,
            "MONGODB_URI": self.mongo.uri, "MONGODB_DB": "sora",
            # ... and, in place of Google's endpoints, the local ones.
            "GCS_ENDPOINT": self.storage.url, "SECRET_MANAGER_ENDPOINT": self.secret_manager.endpoint,
            "CLOUD_TASKS_ENDPOINT": self.tasks.endpoint, "GEMINI_BASE_URL": self.gemini.base_url,
            # Test pace: short simulated jobs and polls; secrets and settings read afresh on every use.
            "SIM_DURATION_S": "1", "POLL_INTERVAL_S": "0.3", "SECRETS_TTL_S": "0",
            "FRONTEND_DIST": str(self.app_dir / "frontend" / "dist"),
        }

    def _spawn(self, name: str, port: int, env: dict[str, str]) -> Function:
        log_path = self.root / f"{name}.log"
        log = log_path.open("wb")
        proc = subprocess.Popen(
            [str(BIN / "functions-framework"), f"--target={name}", "--source=main.py", "--host=127.0.0.1",
             f"--port={port}"],
            cwd=self.app_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._stops.append(lambda: terminate(proc))
        return Function(name, port, proc, log_path)

    def _alive(self, fn: Function) -> bool:
        if fn.proc.poll() is not None:
            raise AssertionError(f"{fn.name} exited with {fn.proc.returncode}\n{fn.log_tail()}")
        try:
            return requests.get(fn.url + "/api/health/live", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def _start_nginx(self) -> None:
        from tests.integration import test_nginx as nginx

        prefix = self.root / "nginx"
        prefix.mkdir()

        class Upstreams:
            urls = {("frontend" if n == "web" else n): fn.url for n, fn in self.functions.items()}

        values = nginx.base_values(prefix, Upstreams, http_port=self.nginx_port)  # type: ignore[arg-type]
        values["server_name"] = "127.0.0.1"
        values["media_cache_enabled"] = False
        conf = nginx.render_config(prefix, values)
        proc = nginx.start_nginx(prefix, conf, self.nginx_port)
        self._stops.append(lambda: terminate(proc))


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """(sources, destination relative to /app) of every build-context COPY into the Python stages of the
    Dockerfile; requirements files (installed, not shipped) and other stages' outputs are left out."""
    copies: list[tuple[list[str], str]] = []
    python_stage = False
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        words = line.split()
        if not words:
            continue
        if words[0] == "FROM":
            python_stage = "node" not in words[1]
        elif words[0] == "COPY" and python_stage and not any(w.startswith("--from") for w in words):
            *sources, dest = [w for w in words[1:] if not w.startswith("--")]
            sources = [src for src in sources if not src.startswith("requirements")]
            if sources:
                copies.append((sources, dest.removeprefix("/app/").removeprefix("./") or "./"))
    return copies


def _remove_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(root, ignore_errors=True)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")}
