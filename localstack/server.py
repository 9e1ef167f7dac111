"""The local stack's HTTP server: cheroot, a threaded production WSGI server (CherryPy's).

Werkzeug's development server starts a thread per connection and closes the
connection after every response, so a player re-connects for each range and a
burst of players gets a burst of threads. cheroot keeps connections alive, parks
idle ones in a selector (an idle keep-alive connection holds no thread) and runs
requests on a fixed pool of `threads`, so slow players cannot starve the rest
until all threads stream at once.
"""

from __future__ import annotations

import threading
from typing import Any

from cheroot import wsgi

DEFAULT_THREADS = 64  # as many concurrent requests as one Cloud Run instance of the busiest function takes


class LocalServer:
    """`serve_forever()` / `shutdown()` like werkzeug's server, on cheroot."""

    def __init__(self, host: str, port: int, app: Any, *, threads: int = DEFAULT_THREADS) -> None:
        self._server = wsgi.Server((host, port), app, numthreads=threads, request_queue_size=128,
                                   shutdown_timeout=2, timeout=60)
        self._server.prepare()  # binds now: the port answers as soon as this returns
        self.port = int(self._server.bind_addr[1])
        self._done = threading.Event()

    def serve_forever(self) -> None:
        try:
            self._server.serve()
        finally:
            self._done.set()

    def shutdown(self) -> None:
        self._server.stop()


def make_server(host: str, port: int, app: Any, *, threads: int = DEFAULT_THREADS) -> LocalServer:
    return LocalServer(host, port, app, threads=threads)
