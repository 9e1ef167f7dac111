"""`gcp-storage-emulator`, served by a threading HTTP server (`python -m localstack.storage_server start ...`).

The emulator answers one request at a time. A video player seeks by opening a
second connection while it keeps the first one open and unread, so the
emulator blocks writing the first ranged read and never answers the second: a
deadlock real GCS does not have. Here reads run concurrently; requests that
change state stay serialised by one lock, because the emulator rewrites a
single metadata file (and iterates its dictionaries) on every change.
"""

from __future__ import annotations

import sys
import threading
from http import server
from typing import Any

from gcp_storage_emulator import server as emulator_server
from gcp_storage_emulator.__main__ import main

_writes = threading.Lock()


class _ThreadingServer(server.ThreadingHTTPServer):
    daemon_threads = True


def _serialised(method: Any) -> Any:
    def handle(self: Any) -> Any:
        with _writes:
            return method(self)

    return handle


def patch() -> None:
    emulator_server.server.HTTPServer = _ThreadingServer  # type: ignore[misc]
    handler = emulator_server.RequestHandler
    for name in ("do_POST", "do_PUT", "do_PATCH", "do_DELETE"):
        setattr(handler, name, _serialised(getattr(handler, name)))


if __name__ == "__main__":
    patch()
    sys.exit(main(sys.argv[1:]))
