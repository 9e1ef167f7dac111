"""Local fake servers speaking the REST wire format of Cloud Tasks and Secret Manager.

The official clients (transport="rest") talk to them exactly as to Google.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Fake:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, {}))
                self._answer(*fake.handle("GET", self.path, {}))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(("POST", self.path, body))
                self._answer(*fake.handle("POST", self.path, body))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError

    def __enter__(self) -> _Fake:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _error(code: int, status: str, message: str) -> tuple[int, dict[str, Any]]:
    return code, {"error": {"code": code, "status": status, "message": message}}


class FakeCloudTasks(_Fake):
    """POST /v2/{queue}/tasks: stores tasks, 409 ALREADY_EXISTS for a repeated name."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: dict[str, dict[str, Any]] = {}

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        match = re.match(r"^/v2/(projects/[^/]+/locations/[^/]+/queues/[^/]+)/tasks$", path.split("?")[0])
        if method != "POST" or not match:
            return _error(404, "NOT_FOUND", "no such route")
        task = dict(body["task"])
        name = task.get("name") or f"{match.group(1)}/tasks/auto{len(self.tasks)}"
        if name in self.tasks:
            return _error(409, "ALREADY_EXISTS", "Requested entity already exists")
        task["name"] = name
        self.tasks[name] = task
        return 200, task


class FakeSecretManager(_Fake):
    """versions/latest:access and :addVersion, with immutable numbered versions."""

    def __init__(self) -> None:
        super().__init__()
        self.versions: dict[str, list[bytes]] = {}

    def handle(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        path = path.split("?")[0]
        access = re.match(r"^/v1/(projects/[^/]+/secrets/[^/]+)/versions/(latest|\d+):access$", path)
        if method == "GET" and access:
            versions = self.versions.get(access.group(1))
            number = len(versions or []) if access.group(2) == "latest" else int(access.group(2))
            if not versions or not 1 <= number <= len(versions):
                return _error(404, "NOT_FOUND", "Secret Version not found")
            data = base64.b64encode(versions[number - 1]).decode()
            return 200, {"name": f"{access.group(1)}/versions/{number}", "payload": {"data": data}}
        listing = re.match(r"^/v1/(projects/[^/]+/secrets/[^/]+)/versions$", path)
        if method == "GET" and listing:
            if listing.group(1) not in self.versions:
                return _error(404, "NOT_FOUND", "Secret not found")
            count = len(self.versions[listing.group(1)])
            return 200, {"versions": [{"name": f"{listing.group(1)}/versions/{n}", "state": "ENABLED"}
                                      for n in range(count, 0, -1)], "totalSize": count}
        add = re.match(r"^/v1/(projects/[^/]+/secrets/[^/]+):addVersion$", path)
        if method == "POST" and add:
            self.versions.setdefault(add.group(1), []).append(base64.b64decode(body["payload"]["data"]))
            n = len(self.versions[add.group(1)])
            return 200, {"name": f"{add.group(1)}/versions/{n}", "state": "ENABLED"}
        return _error(404, "NOT_FOUND", "no such route")
