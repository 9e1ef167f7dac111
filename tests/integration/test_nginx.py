"""The real nginx binary running the rendered proxy template.

nginx/sora.conf.tmpl is rendered by nginx/render.py with every upstream
pointed at a small local HTTP server (one per service) and served by the
system nginx on an ephemeral port in a temporary prefix. The tests assert on
what a browser or a Cloud Run service would see: which upstream got the
request, its Host header, the bytes and status that come back, and the order
in which streamed chunks arrive.
"""

from __future__ import annotations

import gzip
import http.client
import importlib.util
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from localstack.emulator import free_port
from tests.processes import terminate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "nginx" / "sora.conf.tmpl"
RENDER = ROOT / "nginx" / "render.py"
PROXY_VPS_TF = ROOT / "terraform" / "proxy_vps.tf"


def _find_nginx() -> str | None:
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None


NGINX = _find_nginx()


def _nginx_version() -> tuple[int, ...]:
    if NGINX is None:
        return (0,)
    banner = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", banner)
    return tuple(int(x) for x in found.groups()) if found else (0,)


# `http2 on;` exists from 1.25.1 (the pinned image); Debian 12's 1.22 only
# knows `listen ... http2`. The template renders either (http2_directive).
HTTP2_DIRECTIVE = _nginx_version() >= (1, 25, 1)
pytestmark = pytest.mark.skipif(
    NGINX is None,
    reason="nginx binary not installed (neither on PATH nor /usr/sbin/nginx); "
    "`make system-deps` (or `make test`) installs it",
)

SERVICES = ("frontend", "auth", "generate", "chat", "proxy", "billing", "admin", "worker")
CLIENT_HOST = "sora.example.test"
LIMIT = 64 * 1024 * 1024  # client_max_body_size 64m
MEDIA = random.Random(7).randbytes(300_000)
MEDIA_ETAG = '"media-v1"'
BIG_MEDIA = random.Random(8).randbytes(2_500_000)  # three 1 MB cache slices
BIG_ETAG = '"big-v1"'
SAFETY_TIMEOUT_S = 20  # only ever reached when a test is already failing


# --------------------------------------------------------------------------
# Upstream servers: one per service, recording every request they receive.


@dataclass
class Seen:
    upstream: str
    method: str
    path: str
    headers: dict[str, str]
    body_bytes: int


@dataclass
class Backends:
    """Everything the fake services share with the tests."""

    seen: list[Seen] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    request_arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    urls: dict[str, str] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)  # sigs the media proxy now refuses (403)

    def record(self, item: Seen) -> None:
        with self.lock:
            self.seen.append(item)

    def event(self, name: str) -> None:
        with self.lock:
            self.events.append(name)

    def reset(self) -> None:
        with self.lock:
            self.seen.clear()
            self.events.clear()
        self.gate = threading.Event()
        self.request_arrived = threading.Event()
        self.revoked.clear()

    def hits(self, path_prefix: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path.startswith(path_prefix)]


def _handler(name: str, backends: Backends) -> type[BaseHTTPRequestHandler]:
    class Upstream(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _read_body(self) -> int:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                total = 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        return total
                    remaining = size
                    while remaining:
                        remaining -= len(self.rfile.read(min(remaining, 1 << 20)))
                    self.rfile.readline()
                    total += size
            remaining = int(self.headers.get("Content-Length") or 0)
            total = remaining
            while remaining:
                chunk = self.rfile.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                remaining -= len(chunk)
            return total - remaining

        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _handle(self) -> None:
            if "early=1" in urlsplit(self.path).query:
                backends.event("upstream got request headers")
                backends.request_arrived.set()
            body_bytes = self._read_body()
            backends.record(Seen(name, self.command, self.path, dict(self.headers.items()), body_bytes))
            query = urlsplit(self.path).query
            if "slow=1" in query:
                self._slow_stream()
            elif self.path.startswith("/api/ai/proxy"):
                self._media()
            elif "png=1" in query:
                self._send(200, MEDIA[:50_000], "image/png")
            else:
                payload: dict[str, Any] = {
                    "upstream": name,
                    "path": self.path,
                    "host": self.headers.get("Host"),
                    "body_bytes": body_bytes,
                }
                if "big=1" in query:
                    payload["items"] = [{"id": i, "name": f"package {i}"} for i in range(200)]
                self._send(200, json.dumps(payload).encode(), "application/json")

        def _media(self) -> None:
            """Like functions/proxy.py: signature first (403), then conditions, then ranges."""
            query = parse_qs(urlsplit(self.path).query)
            if set(query.get("sig", [])) & backends.revoked or query.get("sig") == ["forged"]:
                error = {"error": {"code": "bad_signature", "message": "This media link is not valid.", "details": {}}}
                self._send(403, json.dumps(error).encode(), "application/json")
                return
            media, etag = (BIG_MEDIA, BIG_ETAG) if query.get("size") == ["big"] else (MEDIA, MEDIA_ETAG)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            common = {"Accept_Ranges": "bytes", "ETag": etag, "Cache_Control": "private, max-age=31536000, immutable"}
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            if not match:
                self._send(200, media, "video/mp4", **common)
                return
            first, last = match.groups()
            size = len(media)
            if first == "":
                start, end = size - int(last), size - 1
            else:
                start, end = int(first), min(int(last) if last else size - 1, size - 1)
            self._send(
                206,
                media[start : end + 1],
                "video/mp4",
                Content_Range=f"bytes {start}-{end}/{size}",
                **common,
            )

        def _slow_stream(self) -> None:
            """Two chunks ~2 s apart; the second waits for the client's signal."""
            is_chat = self.path.startswith("/api/ai/chat")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if is_chat else "video/mp4")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def chunk(data: bytes) -> None:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            # Each event is recorded before its bytes leave, so the client
            # cannot observe bytes before the matching event exists.
            backends.event("upstream sending first chunk")
            chunk(b'event: delta\ndata: {"text": "first"}\n\n')
            time.sleep(1.0)
            released = backends.gate.wait(SAFETY_TIMEOUT_S)
            backends.event("upstream released by client" if released else "upstream timed out")
            time.sleep(1.0)
            backends.event("upstream sending last chunk")
            chunk(b'event: done\ndata: {"conversation_id": "c1"}\n\n')
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return Upstream


@pytest.fixture(scope="module")
def backends() -> Iterator[Backends]:
    state = Backends()
    servers = []
    for name in SERVICES:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(name, state))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        state.urls[name] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _fresh_records(request: pytest.FixtureRequest) -> None:
    if "backends" in request.fixturenames:
        request.getfixturevalue("backends").reset()


# --------------------------------------------------------------------------
# Rendering and running nginx.


def render_config(prefix: Path, values: dict[str, Any]) -> Path:
    values_file = prefix / "values.json"
    values_file.write_text(json.dumps(values))
    conf = prefix / "nginx.conf"
    subprocess.run(
        [sys.executable, str(RENDER), "--values", str(values_file), "--output", str(conf)],
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("SORA_NGINX_")},
    )
    return conf


def base_values(prefix: Path, backends: Backends, *, http_port: int) -> dict[str, Any]:
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    (prefix / "acme").mkdir(exist_ok=True)
    values: dict[str, Any] = {
        "server_name": CLIENT_HOST,
        "listen_address": "127.0.0.1",
        "http_port": http_port,
        "tls_enabled": False,
        "worker_user": "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody"),
        "worker_processes": 1,
        "pid_path": str(prefix / "nginx.pid"),
        "error_log": str(prefix / "error.log"),
        "access_log": str(prefix / "access.log"),
        "temp_dir": str(prefix / "tmp"),
        "acme_webroot": str(prefix / "acme"),
        "resolver": "127.0.0.1",  # never used: every upstream is an IP literal
        "http2_directive": HTTP2_DIRECTIVE,
        "media_cache_path": str(prefix / "media-cache"),
        # Generous: the routing tests must never be throttled; the limit
        # tests below render their own tight values.
        "auth_rate": "600r/m",
        "auth_burst": 1000,
        "generate_rate": "600r/m",
        "generate_burst": 1000,
        "media_conn_limit": 100,
    }
    ca_bundle = Path("/etc/ssl/certs/ca-certificates.crt")
    if not ca_bundle.exists():
        ca_bundle = Path(__import__("certifi").where())
    values["ca_bundle"] = str(ca_bundle)
    for name in SERVICES:
        if name != "worker":  # the worker is private: nginx must not know it
            values[f"{name}_upstream"] = backends.urls[name]
    return values


def nginx_test(prefix: Path, conf: Path) -> subprocess.CompletedProcess[str]:
    assert NGINX is not None
    return subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )


@dataclass
class RunningNginx:
    prefix: Path
    conf: Path
    port: int
    https_port: int | None = None


def start_nginx(prefix: Path, conf: Path, port: int) -> subprocess.Popen[bytes]:
    assert NGINX is not None
    stderr = open(prefix / "nginx.stderr", "wb")
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr.close()
            raise RuntimeError("nginx exited: " + (prefix / "nginx.stderr").read_text(errors="replace"))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.05)
    terminate(proc)
    raise RuntimeError("nginx did not start listening")


@contextmanager
def running_proxy(
    backends: Backends, tmp_path_factory: pytest.TempPathFactory, name: str, **overrides: Any
) -> Iterator[RunningNginx]:
    """The template rendered with base_values + `overrides`, served by nginx on a free port."""
    prefix = tmp_path_factory.mktemp(name)
    port = free_port()
    conf = render_config(prefix, {**base_values(prefix, backends, http_port=port), **overrides})
    proc = start_nginx(prefix, conf, port)
    try:
        yield RunningNginx(prefix, conf, port)
    finally:
        terminate(proc)


@pytest.fixture(scope="module")
def proxy(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNginx]:
    with running_proxy(backends, tmp_path_factory, "nginx") as running:
        yield running


@pytest.fixture(scope="module")
def uncached_proxy(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNginx]:
    with running_proxy(backends, tmp_path_factory, "nginx-uncached", media_cache_enabled=False) as running:
        yield running


def request(
    proxy: RunningNginx,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=SAFETY_TIMEOUT_S)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", CLIENT_HOST)
    for key, value in (headers or {}).items():
        conn.putheader(key, value)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


# --------------------------------------------------------------------------
# Configuration validity.


def test_rendered_config_passes_nginx_t(proxy: RunningNginx) -> None:
    result = nginx_test(proxy.prefix, proxy.conf)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_rendered_config_keeps_no_template_syntax(proxy: RunningNginx) -> None:
    directives = [line for line in proxy.conf.read_text().splitlines() if not line.lstrip().startswith("#")]
    assert [line for line in directives if "${" in line or "%{" in line] == []


def test_every_template_variable_is_supplied_by_terraform() -> None:
    names = set(re.findall(r"(?<!\$)\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}", TEMPLATE.read_text()))
    names |= set(re.findall(r"(?<!%)%\{\s*if\s+!?\s*([A-Za-z_][A-Za-z0-9_]*)", TEMPLATE.read_text()))
    terraform = PROXY_VPS_TF.read_text()
    # Terraform derives "<service>_upstream"/"<service>_host" in a for expression.
    per_service = {n for n in names if re.fullmatch(r"[a-z]+_(upstream|host)", n)}
    missing = [n for n in sorted(names - per_service) if not re.search(rf"\b{n}\s*=", terraform)]
    assert not missing, f"proxy_vps.tf does not pass {missing} to templatefile()"
    # Terraform derives the upstreams from routes.json like render.py's UPSTREAMS (plus "frontend").
    assert "local.route_table.routes" in terraform and "frontend =" in terraform
    render = _load_render_module()
    for name in sorted(per_service):
        service = name.rsplit("_", 1)[0]
        assert service in render.UPSTREAMS, f"no upstream {service} in routes.json"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed")
def test_terraform_templatefile_renders_the_same_config_as_render_py(backends: Backends, tmp_path: Path) -> None:
    """Needs no provider: an output-only module, local state in tmp_path."""
    render = _load_render_module()
    plain = render.build_values(base_values(tmp_path, backends, http_port=8080))
    tls = {**plain, "tls_enabled": True, "tls_cert_path": "/c.pem", "tls_key_path": "/k.pem"}
    for name, values in (("plain", plain), ("tls", tls)):
        (tmp_path / f"{name}.json").write_text(json.dumps(values))
    (tmp_path / "main.tf").write_text(
        "".join(
            f'output "{name}" {{\n  value = templatefile("{TEMPLATE}", '
            f'jsondecode(file("${{path.module}}/{name}.json")))\n}}\n'
            for name in ("plain", "tls")
        )
    )
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1"}
    for command in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        result = subprocess.run(["terraform", *command], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    template = TEMPLATE.read_text()
    for name, values in (("plain", plain), ("tls", tls)):
        result = subprocess.run(
            ["terraform", "output", "-raw", name],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout == render.render(template, values)


def _load_render_module() -> Any:
    spec = importlib.util.spec_from_file_location("sora_nginx_render", RENDER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_render_follows_terraform_template_semantics() -> None:
    render = _load_render_module()
    text = "a ${x} $${kept} %%{ kept } %{ if on }yes%{ else }no%{ endif } %{ if !on }neg%{ endif }"
    assert render.render(text, {"x": 1, "on": True}) == "a 1 ${kept} %{ kept } yes "
    assert render.render("[ %{~ if on ~} \n x \n%{~ endif ~} ]", {"on": True}) == "[x]"
    with pytest.raises(render.TemplateError):
        render.render("${missing}", {})
    with pytest.raises(render.TemplateError):
        render.render("${upper(x)}", {"x": "a"})
    with pytest.raises(render.TemplateError):
        render.render("%{ if x }a%{ endif }", {"x": "yes"})


# --------------------------------------------------------------------------
# Routing.

ROUTES = [
    ("GET", "/", "frontend"),
    ("GET", "/config.json", "frontend"),
    ("GET", "/assets/index-abc.js", "frontend"),
    ("GET", "/gallery/123", "frontend"),
    ("GET", "/api/health", "auth"),
    ("POST", "/api/auth/login", "auth"),
    ("GET", "/api/auth/me", "auth"),
    ("POST", "/api/ai/chat", "chat"),
    ("GET", "/api/ai/chats?limit=5", "chat"),
    ("DELETE", "/api/ai/chats/c1", "chat"),
    ("GET", "/api/ai/proxy?url=gs%3A%2F%2Fb%2Fo.json&sig=ab", "proxy"),
    ("POST", "/api/ai/image", "generate"),
    ("POST", "/api/ai/video", "generate"),
    ("GET", "/api/ai/tasks?status=PENDING&cursor=x", "generate"),
    ("DELETE", "/api/ai/tasks/t1", "generate"),
    ("POST", "/api/ai/uploads", "generate"),
    ("GET", "/api/public/shares/abc", "generate"),
    ("GET", "/s/abc", "frontend"),
    ("GET", "/api/billing/packages", "billing"),
    ("POST", "/api/billing/webhook", "billing"),
    ("PATCH", "/api/admin/users/u1", "admin"),
    ("GET", "/api/admin/stats", "admin"),
]


@pytest.mark.parametrize(("method", "path", "upstream"), ROUTES)
def test_path_prefix_reaches_its_service_with_the_service_host(
    proxy: RunningNginx, backends: Backends, method: str, path: str, upstream: str
) -> None:
    response, _ = request(proxy, method, path, body=b"{}" if method in ("POST", "PATCH") else None)
    assert response.status in (200, 206)
    assert [(s.upstream, s.method, s.path) for s in backends.seen] == [(upstream, method, path)]
    seen = backends.seen[0]
    # Cloud Run routes on Host: the upstream's own host:port, never the client's.
    assert seen.headers["Host"] == urlsplit(backends.urls[upstream]).netloc
    assert seen.headers["X-Forwarded-Host"] == CLIENT_HOST
    assert seen.headers["X-Forwarded-Proto"] == "http"
    assert seen.headers["X-Forwarded-For"].split(",")[-1].strip() == "127.0.0.1"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/tasks/run"),
        ("POST", "/api/tasks/sweep"),
        ("GET", "/api/tasks"),
        ("GET", "/api/unknown"),
    ],
)
def test_worker_and_unknown_api_paths_are_404_and_reach_no_service(
    proxy: RunningNginx, backends: Backends, method: str, path: str
) -> None:
    response, body = request(proxy, method, path, body=b'{"task_id": "t1"}' if method == "POST" else None)
    assert response.status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
    assert backends.seen == []


def test_health_endpoint_answers_without_upstreams(proxy: RunningNginx, backends: Backends) -> None:
    response, body = request(proxy, "GET", "/nginx-health")
    assert (response.status, body) == (200, b"ok\n")
    assert backends.seen == []


def test_security_headers_are_set_once(proxy: RunningNginx) -> None:
    response, _ = request(proxy, "GET", "/api/health")
    assert response.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "nginx/" not in response.headers.get("Server", "")


# --------------------------------------------------------------------------
# Media proxy: ranges, conditional requests, no compression.


def test_range_request_passes_through_and_206_body_is_byte_exact(proxy: RunningNginx, backends: Backends) -> None:
    response, body = request(
        proxy,
        "GET",
        "/api/ai/proxy?url=gs%3A%2F%2Fb%2Fv.mp4&sig=ab",
        headers={"Range": "bytes=1000-65535", "If-Range": MEDIA_ETAG, "Accept-Encoding": "gzip"},
    )
    assert response.status == 206
    assert response.headers["Content-Range"] == f"bytes 1000-65535/{len(MEDIA)}"
    assert response.headers["Content-Length"] == str(65536 - 1000)
    assert response.headers.get("Content-Encoding") is None
    assert body == MEDIA[1000:65536]
    # The slice cache asks for whole 1 MB slices; nginx cuts the client's range.
    seen = backends.hits("/api/ai/proxy")[0]
    assert seen.headers["Range"] == "bytes=0-1048575"


def test_suffix_range_and_full_media_are_unmodified(proxy: RunningNginx) -> None:
    response, body = request(proxy, "GET", "/api/ai/proxy?url=x&sig=y", headers={"Range": "bytes=-500"})
    assert (response.status, body) == (206, MEDIA[-500:])
    response, body = request(proxy, "GET", "/api/ai/proxy?url=x&sig=y", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers.get("Content-Encoding") is None
    assert response.headers["Accept-Ranges"] == "bytes"
    assert body == MEDIA


def test_if_none_match_gets_304_with_the_proxy_etag(proxy: RunningNginx, backends: Backends) -> None:
    response, body = request(proxy, "GET", "/api/ai/proxy?url=x&sig=inm", headers={"If-None-Match": MEDIA_ETAG})
    assert (response.status, body) == (304, b"")
    assert response.headers["ETag"] == MEDIA_ETAG
    # nginx answers the condition from the (cached) slice's ETag; the client's
    # conditional header is never what the upstream is asked.
    assert "If-None-Match" not in backends.hits("/api/ai/proxy")[0].headers
    response, body = request(proxy, "GET", "/api/ai/proxy?url=x&sig=inm", headers={"If-None-Match": '"other"'})
    assert (response.status, body) == (200, MEDIA)


def test_json_is_gzipped_but_images_are_not(proxy: RunningNginx) -> None:
    response, body = request(proxy, "GET", "/api/billing/packages?big=1", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(body))["items"]) == 200

    response, body = request(proxy, "GET", "/logo.png?png=1", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers.get("Content-Encoding") is None
    assert body == MEDIA[:50_000]


# --------------------------------------------------------------------------
# Request bodies.


def test_one_megabyte_upload_reaches_generate(proxy: RunningNginx, backends: Backends) -> None:
    body = os.urandom(1024 * 1024)
    response, data = request(
        proxy,
        "POST",
        "/api/ai/uploads",
        body=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status == 200
    assert json.loads(data)["body_bytes"] == len(body)
    assert backends.hits("/api/ai/uploads")[0].body_bytes == len(body)


def _raw_upload(port: int, path: str, size: int) -> bytes:
    """Send a `size`-byte body over a raw socket; return the raw response."""
    with socket.create_connection(("127.0.0.1", port), timeout=SAFETY_TIMEOUT_S) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {CLIENT_HOST}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {size}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        block = b"\0" * (1 << 20)
        sent = 0
        try:
            while sent < size:
                sent += sock.send(block[: min(len(block), size - sent)])
        except OSError:
            pass  # nginx may stop reading once it has answered 413
        response = b""
        try:
            while chunk := sock.recv(65536):
                response += chunk
        except OSError:
            pass
        return response


@pytest.mark.parametrize("path", ["/api/ai/uploads", "/api/ai/chat", "/api/ai/proxy?u=1"])
def test_body_over_64_megabytes_is_413_and_never_forwarded(proxy: RunningNginx, backends: Backends, path: str) -> None:
    raw = _raw_upload(proxy.port, path, LIMIT + 1)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    assert backends.seen == []


def test_body_of_exactly_64_megabytes_is_accepted(proxy: RunningNginx, backends: Backends) -> None:
    raw = _raw_upload(proxy.port, "/api/ai/uploads", LIMIT)
    assert raw.startswith(b"HTTP/1.1 200"), raw[:200]
    assert backends.hits("/api/ai/uploads")[0].body_bytes == LIMIT


# --------------------------------------------------------------------------
# Streaming: chunks reach the client while the upstream is still sending.


@pytest.mark.parametrize("path", ["/api/ai/chat?early=1"])
def test_request_body_streams_to_upstream_before_client_finishes(
    proxy: RunningNginx, backends: Backends, path: str
) -> None:
    half = b"x" * 4096
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=SAFETY_TIMEOUT_S) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {CLIENT_HOST}\r\n"
            f"Content-Length: {2 * len(half)}\r\nConnection: close\r\n\r\n".encode()
            + half
        )
        arrived_early = backends.request_arrived.wait(SAFETY_TIMEOUT_S)
        backends.event("client sent second half")
        sock.sendall(half)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert arrived_early, "nginx held the request until the whole body had arrived"
    assert backends.events == ["upstream got request headers", "client sent second half"]
    assert response.startswith(b"HTTP/1.1 200")
    assert backends.hits(path.split("?")[0])[0].body_bytes == 2 * len(half)


@pytest.mark.parametrize(
    ("path", "accept", "fixture"),
    [
        ("/api/ai/chat?slow=1", "text/event-stream", "proxy"),
        # With the slice cache on, media arrive slice by slice (1 MB); with it
        # off (media_cache_enabled=false) they stream unbuffered like chat.
        ("/api/ai/proxy?url=x&sig=y&slow=1", "*/*", "uncached_proxy"),
    ],
)
def test_slow_stream_reaches_client_before_upstream_finishes(
    request: pytest.FixtureRequest, backends: Backends, path: str, accept: str, fixture: str
) -> None:
    proxy: RunningNginx = request.getfixturevalue(fixture)
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=SAFETY_TIMEOUT_S + 10)
    conn.request("GET", path, headers={"Accept": accept, "Accept-Encoding": "gzip"})
    response = conn.getresponse()
    assert response.status == 200
    assert response.headers.get("Content-Encoding") is None

    received = b""
    while b"first" not in received:
        chunk = response.read1(65536)
        assert chunk, "stream ended before the first chunk arrived"
        received += chunk
    backends.event("client received first chunk")
    backends.gate.set()  # only now may the upstream send the rest
    received += response.read()
    conn.close()

    assert backends.events == [
        "upstream sending first chunk",
        "client received first chunk",
        "upstream released by client",
        "upstream sending last chunk",
    ]
    assert received == (b'event: delta\ndata: {"text": "first"}\n\nevent: done\ndata: {"conversation_id": "c1"}\n\n')


# --------------------------------------------------------------------------
# TLS variant: the same template with tls_enabled, as on the VPS.


@pytest.fixture(scope="module")
def tls_proxy(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNginx]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    prefix = tmp_path_factory.mktemp("nginx-tls")
    cert, key = prefix / "cert.pem", prefix / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={CLIENT_HOST}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    http_port, https_port = free_port(), free_port()
    values = base_values(prefix, backends, http_port=http_port)
    values.update(
        tls_enabled=True,
        https_port=https_port,
        tls_cert_path=str(cert),
        tls_key_path=str(key),
        tls_chain_path=str(cert),
    )
    conf = render_config(prefix, values)
    proc = start_nginx(prefix, conf, https_port)
    try:
        yield RunningNginx(prefix, conf, http_port, https_port)
    finally:
        terminate(proc)


def test_tls_config_passes_nginx_t(tls_proxy: RunningNginx) -> None:
    result = nginx_test(tls_proxy.prefix, tls_proxy.conf)
    assert result.returncode == 0, result.stderr


def test_tls_plain_http_redirects_to_https_and_serves_acme(tls_proxy: RunningNginx, backends: Backends) -> None:
    (tls_proxy.prefix / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
    (tls_proxy.prefix / "acme" / ".well-known" / "acme-challenge" / "tok").write_text("proof")
    response, _ = request(tls_proxy, "GET", "/api/health?x=1")
    assert response.status == 301
    assert response.headers["Location"] == f"https://{CLIENT_HOST}/api/health?x=1"
    response, body = request(tls_proxy, "GET", "/.well-known/acme-challenge/tok")
    assert (response.status, body) == (200, b"proof")
    assert backends.seen == []


def test_tls_server_routes_and_sets_hsts(tls_proxy: RunningNginx, backends: Backends) -> None:
    import ssl

    assert tls_proxy.https_port is not None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", tls_proxy.https_port, context=context, timeout=SAFETY_TIMEOUT_S)
    conn.request("GET", "/api/auth/me", headers={"Host": CLIENT_HOST})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    assert [(s.upstream, s.headers["X-Forwarded-Proto"]) for s in backends.seen] == [("auth", "https")]


def _s_client(port: int, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    openssl = shutil.which("openssl")
    assert openssl is not None
    result = subprocess.run(
        [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", CLIENT_HOST, *args],
        input=stdin,
        capture_output=True,
        timeout=SAFETY_TIMEOUT_S,
    )
    # After an h2 handshake the server's binary preface follows the text.
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    )


def test_tls_refuses_rsa_key_exchange_and_cbc_suites(tls_proxy: RunningNginx) -> None:
    """Mozilla intermediate: TLS 1.2 only with ECDHE + AEAD (AES128-SHA used to be accepted)."""
    assert tls_proxy.https_port is not None
    for weak in ("AES128-SHA", "AES256-SHA", "AES128-GCM-SHA256", "kRSA", "ECDHE-RSA-AES128-SHA"):
        result = _s_client(tls_proxy.https_port, "-tls1_2", "-cipher", weak)
        assert "Cipher is (NONE)" in result.stdout or result.returncode != 0, (weak, result.stdout[-400:])
        assert f"Cipher    : {weak}" not in result.stdout
    for strong in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"):
        result = _s_client(tls_proxy.https_port, "-tls1_2", "-cipher", strong)
        assert f"Cipher is {strong}" in result.stdout, result.stdout[-400:]
    for old in ("-tls1", "-tls1_1"):
        result = _s_client(tls_proxy.https_port, old, "-cipher", "ALL:@SECLEVEL=0")
        assert "Cipher is (NONE)" in result.stdout or result.returncode != 0, old
    assert "TLSv1.3" in _s_client(tls_proxy.https_port, "-tls1_3").stdout


def test_tls_offers_h2_and_no_session_tickets(tls_proxy: RunningNginx) -> None:
    assert tls_proxy.https_port is not None
    result = _s_client(tls_proxy.https_port, "-tls1_2", "-alpn", "h2,http/1.1")
    assert "ALPN protocol: h2" in result.stdout
    # ssl_session_tickets off: the server sends no ticket (RFC 5077) under TLS 1.2.
    assert "TLS session ticket:" not in result.stdout
    text = tls_proxy.conf.read_text()
    assert "ssl_stapling on;" in text and "ssl_stapling_verify on;" in text
    assert re.search(r"^\s*http2 on;$", text, re.M) if HTTP2_DIRECTIVE else re.search(r"^\s*listen \S+ ssl http2", text, re.M)


def test_terraform_renders_the_http2_directive_for_the_pinned_image(tmp_path: Path) -> None:
    """The VPS runs nginx >= 1.25.1: `http2 on;`, never the deprecated `listen ... http2`."""
    render = _load_render_module()
    values = render.build_values({f"{s}_upstream": "https://x.run.app" for s in render.UPSTREAMS})
    assert values["http2_directive"] is True  # render.py's default matches Terraform's
    text = render.render(TEMPLATE.read_text(), {**values, "tls_enabled": True})
    assert re.search(r"^\s*http2 on;$", text, re.M)
    assert not re.search(r"^\s*listen [^;]*\bhttp2\b", text, re.M)
    assert re.search(r"http2_directive\s*=\s*true", PROXY_VPS_TF.read_text())


# --------------------------------------------------------------------------
# Before the first certificate: ACME and a 503 page, never the app on :80.


@pytest.fixture(scope="module")
def pending_proxy(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNginx]:
    with running_proxy(backends, tmp_path_factory, "nginx-pending", cert_pending=True, tls_enabled=True) as running:
        yield running


def test_pending_certificate_mode_serves_acme_and_503_only(pending_proxy: RunningNginx, backends: Backends) -> None:
    challenge = pending_proxy.prefix / "acme" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "tok").write_text("proof")
    response, body = request(pending_proxy, "GET", "/.well-known/acme-challenge/tok")
    assert (response.status, body) == (200, b"proof")
    response, body = request(pending_proxy, "GET", "/nginx-health")
    assert response.status == 200

    for method, path in (("POST", "/api/auth/login"), ("GET", "/api/admin/users"), ("GET", "/api/ai/proxy?url=x&sig=y")):
        response, body = request(pending_proxy, method, path, body=b"{}" if method == "POST" else None)
        assert response.status == 503, path
        assert json.loads(body)["error"]["code"] == "unavailable"
        assert response.headers["Retry-After"] == "300"
    response, body = request(pending_proxy, "GET", "/")
    assert response.status == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"certificate" in body
    assert response.headers.get("Strict-Transport-Security") is None
    assert backends.seen == []  # nothing reached any service
    assert "proxy_pass" not in pending_proxy.conf.read_text()


# --------------------------------------------------------------------------
# Edge rate limits: 429 in the API's error shape, with Retry-After.


@pytest.fixture(scope="module")
def limited_proxy(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNginx]:
    # 1r/m: the burst is all a client gets within the test (a token comes back
    # only after a minute, far longer than any of these tests take).
    with running_proxy(
        backends, tmp_path_factory, "nginx-limited",
        auth_rate="1r/m", auth_burst=2, auth_retry_after_s=30,
        generate_rate="1r/m", generate_burst=3, generate_retry_after_s=10,
        media_conn_limit=2,
    ) as running:
        yield running


def _assert_rate_limited(response: http.client.HTTPResponse, body: bytes, retry_after: int) -> None:
    assert response.status == 429
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Retry-After"] == str(retry_after)
    assert json.loads(body) == {
        "error": {
            "code": "rate_limited",
            "message": "Too many requests; try again in a moment.",
            "details": {"retry_after_s": retry_after},
        }
    }
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # security headers kept


def test_auth_writes_are_limited_tightly_and_reads_are_not(limited_proxy: RunningNginx, backends: Backends) -> None:
    statuses = []
    for _ in range(3):  # 1 + burst 2
        response, _ = request(limited_proxy, "POST", "/api/auth/login", body=b"{}")
        statuses.append(response.status)
    assert statuses == [200, 200, 200]
    response, body = request(limited_proxy, "POST", "/api/auth/register", body=b"{}")
    _assert_rate_limited(response, body, 30)
    assert len(backends.hits("/api/auth/")) == 3  # the refused one never reached auth
    for _ in range(10):
        response, _ = request(limited_proxy, "GET", "/api/auth/me")
        assert response.status == 200


def test_generation_and_upload_writes_share_a_moderate_limit(limited_proxy: RunningNginx, backends: Backends) -> None:
    for path in ("/api/ai/image", "/api/ai/video", "/api/ai/uploads", "/api/ai/chat"):
        response, _ = request(limited_proxy, "POST", path, body=b"{}")
        assert response.status == 200, path
    response, body = request(limited_proxy, "POST", "/api/ai/image", body=b"{}")
    _assert_rate_limited(response, body, 10)
    for _ in range(10):  # polling the task list is never throttled
        response, _ = request(limited_proxy, "GET", "/api/ai/tasks?limit=24")
        assert response.status == 200


def test_media_downloads_are_capped_per_client(limited_proxy: RunningNginx, backends: Backends) -> None:
    conns = []
    try:
        for i in range(2):  # media_conn_limit=2, both held open by the upstream
            conn = http.client.HTTPConnection("127.0.0.1", limited_proxy.port, timeout=SAFETY_TIMEOUT_S + 10)
            conn.request("GET", f"/api/ai/proxy?url=x&sig=slow{i}&slow=1", headers={"Host": CLIENT_HOST})
            conns.append(conn)
        deadline = time.monotonic() + SAFETY_TIMEOUT_S
        while len(backends.hits("/api/ai/proxy")) < 2:
            assert time.monotonic() < deadline, "the two downloads never reached the upstream"
            time.sleep(0.02)
        response, body = request(limited_proxy, "GET", "/api/ai/proxy?url=x&sig=third")
        _assert_rate_limited(response, body, 5)
    finally:
        backends.gate.set()
        for conn in conns:
            conn.getresponse().read()
            conn.close()
    response, body = request(limited_proxy, "GET", "/api/ai/proxy?url=x&sig=after")
    assert response.status == 200


def test_media_other_methods_are_405_and_reach_nothing(proxy: RunningNginx, backends: Backends) -> None:
    response, body = request(proxy, "POST", "/api/ai/proxy?url=x&sig=y", body=b"{}")
    assert response.status == 405
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    assert backends.seen == []


# --------------------------------------------------------------------------
# Slice cache of media: repeat ranges from disk, keyed on the signed URL.

BIG_URL = "/api/ai/proxy?url=gs%3A%2F%2Fb%2Fmedia%2Fu1%2Ft1.mp4&sig={sig}&size=big"


def _range(proxy: RunningNginx, url: str, first: int, last: int | None = None) -> tuple[int, bytes, str]:
    spec = f"bytes={first}-{'' if last is None else last}"
    response, body = request(proxy, "GET", url, headers={"Range": spec})
    return response.status, body, response.headers.get("Content-Range", "")


def test_a_second_players_ranges_come_from_the_cache(proxy: RunningNginx, backends: Backends) -> None:
    url = BIG_URL.format(sig="a" * 64)
    size = len(BIG_MEDIA)
    # Player one seeks around: three slices fetched once each.
    for first, last in ((0, 99_999), (1_100_000, 1_200_000), (2_400_000, None)):
        status, body, content_range = _range(proxy, url, first, last)
        end = size - 1 if last is None else last
        assert (status, content_range) == (206, f"bytes {first}-{end}/{size}")
        assert body == BIG_MEDIA[first : end + 1]
    fetched = backends.hits("/api/ai/proxy")
    assert sorted(s.headers["Range"] for s in fetched) == [
        "bytes=0-1048575", "bytes=1048576-2097151", "bytes=2097152-3145727"]

    # Player two: other ranges, across slice borders, a suffix, the whole file.
    for first, last in ((1_000_000, 1_100_000), (2_000_000, 2_200_000), (5, 6)):
        status, body, content_range = _range(proxy, url, first, last)
        assert (status, content_range) == (206, f"bytes {first}-{last}/{size}")
        assert body == BIG_MEDIA[first : last + 1]
    response, body = request(proxy, "GET", url, headers={"Range": "bytes=-1000"})
    assert (response.status, body) == (206, BIG_MEDIA[-1000:])
    response, body = request(proxy, "GET", url)
    assert (response.status, body) == (200, BIG_MEDIA)
    response, body = request(proxy, "HEAD", url)
    assert (response.status, response.headers["Content-Length"]) == (200, str(size))
    assert backends.hits("/api/ai/proxy") == fetched  # the upstream saw nothing new
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"  # for browsers, unchanged
    status, _, content_range = _range(proxy, url, size + 10)
    assert (status, content_range) == (416, f"bytes */{size}")
    access_log = (proxy.prefix / "access.log").read_text()
    assert access_log.count("cache=HIT") >= 6


def test_another_signature_for_a_cached_object_is_not_served_from_the_cache(
    proxy: RunningNginx, backends: Backends
) -> None:
    """A forged or rotated-out sig never rides on another link's entry: the key is the signed URL."""
    url = BIG_URL.format(sig="b" * 64)
    assert _range(proxy, url, 0, 9)[0] == 206
    before = len(backends.hits("/api/ai/proxy"))
    response, body = request(proxy, "GET", BIG_URL.format(sig="forged"), headers={"Range": "bytes=0-9"})
    assert response.status == 403
    assert json.loads(body)["error"]["code"] == "bad_signature"
    assert len(backends.hits("/api/ai/proxy")) == before + 1  # it went to the proxy, which refused it
    # And the refusal is not cached either.
    request(proxy, "GET", BIG_URL.format(sig="forged"), headers={"Range": "bytes=0-9"})
    assert len(backends.hits("/api/ai/proxy")) == before + 2


@pytest.fixture(scope="module")
def short_cache_proxy(backends: Backends, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNginx]:
    with running_proxy(backends, tmp_path_factory, "nginx-short-cache", media_cache_valid="1s") as running:
        yield running


def test_a_revoked_link_stops_being_served_once_its_entry_is_revalidated(
    short_cache_proxy: RunningNginx, backends: Backends
) -> None:
    """media_cache_valid bounds how long a revoked link lives on: then the proxy is asked again."""
    sig = "c" * 64
    url = BIG_URL.format(sig=sig)
    assert _range(short_cache_proxy, url, 0, 9)[:2] == (206, BIG_MEDIA[:10])
    # Still fresh or revalidated with 304: the bytes stay those of the object.
    backends.revoked.add(sig)  # key rotated twice, or the task deleted
    deadline = time.monotonic() + SAFETY_TIMEOUT_S
    while True:
        response, body = request(short_cache_proxy, "GET", url, headers={"Range": "bytes=0-9"})
        if response.status == 403:
            break
        assert (response.status, body) == (206, BIG_MEDIA[:10])
        assert time.monotonic() < deadline, "the revoked link was still served from the cache"
        time.sleep(0.2)
    assert json.loads(body)["error"]["code"] == "bad_signature"
    revalidation = backends.hits("/api/ai/proxy")[-1]
    assert revalidation.headers.get("If-None-Match") == BIG_ETAG  # nginx asked, the proxy refused
    for _ in range(3):  # and never again from the cache
        response, _ = request(short_cache_proxy, "GET", url, headers={"Range": "bytes=0-9"})
        assert response.status == 403


def test_the_media_cache_is_bounded_and_keyed_on_the_signed_url(proxy: RunningNginx) -> None:
    text = proxy.conf.read_text()
    assert re.search(r"proxy_cache_path \S+ levels=1:2 keys_zone=sora_media:\S+\s+max_size=5g inactive=7d", text)
    assert 'proxy_cache_key "$request_uri|$slice_range";' in text
    assert "slice 1m;" in text and "proxy_cache_use_stale off;" in text


def test_a_multi_range_request_through_the_cache_gets_the_whole_object(proxy: RunningNginx) -> None:
    """Nginx does not build multipart/byteranges from slices; a 200 with every byte is RFC 9110-valid."""
    response, body = request(proxy, "GET", BIG_URL.format(sig="d" * 64), headers={"Range": "bytes=0-9,20-29"})
    assert (response.status, body) == (200, BIG_MEDIA)
