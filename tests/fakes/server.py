"""A small scriptable HTTP server on 127.0.0.1 that the fake providers build on.

Each fake maps a request to an *endpoint* name ("generate", "retrieve", ...).
Tests queue behaviours per endpoint with `script(endpoint, *behaviours)`;
when an endpoint's queue is empty the fake answers with its default (a
success). Every request is recorded so tests can assert what the SDK sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class FormField:
    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode()


@dataclass(frozen=True)
class RecordedRequest:
    endpoint: str
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, FormField]:
        """The fields of a multipart/form-data body, by name."""
        content_type = self.headers.get("content-type", "")
        if not content_type.startswith("multipart/form-data"):
            raise AssertionError(f"not multipart: {content_type!r}")
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + self.body)
        fields = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = FormField(
                name=name,
                data=part.get_payload(decode=True) or b"",
                filename=part.get_filename(),
                content_type=part.get_content_type() if part.get("content-type") else None,
            )
        return fields


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before answering (timeouts)

    @classmethod
    def json(cls, payload: Any, status: int = 200, **kwargs: Any) -> Reply:
        return cls(status=status, body=json.dumps(payload).encode(), **kwargs)


# A behaviour is a fixed reply or a function of the request (and the fake).
Behaviour = Reply | Callable[[RecordedRequest, "FakeServer"], Reply]


def slow(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Answer like `then` (default: the endpoint's normal answer) after `seconds`."""

    def behaviour(request: RecordedRequest, fake: FakeServer) -> Reply:
        reply = fake.resolve(then, request) if then is not None else fake.default(request)
        return Reply(reply.status, reply.body, reply.content_type, reply.headers, delay_s=seconds)

    return behaviour


class FakeServer:
    """Threaded HTTP server on an ephemeral 127.0.0.1 port; use as a context manager."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._scripts: dict[str, deque[Behaviour]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -------------------------------------------------------------

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()  # wakes handlers sleeping in a slow answer
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # ---- scripting and inspection -----------------------------------------------

    def script(self, endpoint: str, *behaviours: Behaviour) -> None:
        """Queue behaviours for the next calls to `endpoint`, in order."""
        with self._lock:
            self._scripts[endpoint].extend(behaviours)

    def reset(self) -> None:
        """Forget the recorded requests and the queued behaviours (a fake shared by several tests)."""
        with self._lock:
            self.requests.clear()
            self._scripts.clear()

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.endpoint == endpoint]

    def resolve(self, behaviour: Behaviour, request: RecordedRequest) -> Reply:
        return behaviour if isinstance(behaviour, Reply) else behaviour(request, self)

    # ---- to implement -------------------------------------------------------------

    # (method, path pattern, endpoint name); the first match names the request.
    ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = ()

    def route(self, method: str, path: str) -> str | None:
        """The endpoint name of a request, or None for 404."""
        for route_method, pattern, endpoint in self.ROUTES:
            if method == route_method and pattern.match(path):
                return endpoint
        return None

    def authorize(self, request: RecordedRequest) -> Reply | None:
        """An error reply when the request's credentials are refused."""
        return None

    def default(self, request: RecordedRequest) -> Reply:
        """The normal (successful) answer of an endpoint."""
        raise NotImplementedError

    def not_found(self, request: RecordedRequest) -> Reply:
        return Reply.json({"error": {"code": 404, "message": "Not found"}}, status=404)

    # ---- plumbing --------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        body = _read_body(handler)
        endpoint = self.route(handler.command, split.path)
        request = RecordedRequest(
            endpoint=endpoint or "",
            method=handler.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        with self._lock:
            self.requests.append(request)
            queue = self._scripts.get(endpoint or "")
            scripted = queue.popleft() if queue else None
        if endpoint is None:
            reply = self.not_found(request)
        else:
            reply = self.authorize(request) or (
                self.resolve(scripted, request) if scripted is not None else self.default(request)
            )
        if reply.delay_s and self._closing.wait(reply.delay_s):
            return
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.content_type)
            handler.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""
