"""`gcp-storage-emulator`, served by a threading HTTP server (`python -m localstack.storage_server start ...`).

The emulator answers one request at a time. A video player seeks by opening a
second connection while it keeps the first one open and unread, so the
emulator blocks writing the first ranged read and never answers the second: a
deadlock real GCS does not have. Here reads run concurrently; requests that
change state stay serialised by one lock, because the emulator rewrites a
single metadata file (and iterates its dictionaries) on every change.

Two more differences from GCS that the emulator has and this wrapper removes:
a ranged media read loaded the whole object to send one slice (a player seeking
in a 200 MB video made it read 200 MB per seek), and every response closed its
connection (HTTP/1.0), so no client could keep a connection alive. A single
`Range: bytes=a-b` read now reads only those bytes, and connections persist
(HTTP/1.1; every emulator response carries Content-Length). A read pinned to a
generation that is no longer live is 404, as on GCS.
"""

from __future__ import annotations

import re
import sys
import threading
from http import HTTPStatus, server
from typing import Any

from gcp_storage_emulator import server as emulator_server
from gcp_storage_emulator.__main__ import main
from gcp_storage_emulator.exceptions import NotFound
from gcp_storage_emulator.handlers import objects

_SINGLE_RANGE = re.compile(r"\s*bytes=(?P<start>[0-9]+)-(?P<end>[0-9]*)\s*")

_writes = threading.Lock()


class _ThreadingServer(server.ThreadingHTTPServer):
    daemon_threads = True


def _serialised(method: Any) -> Any:
    def handle(self: Any) -> Any:
        with _writes:
            return method(self)

    return handle


def _read_slice(storage: Any, bucket: str, name: str, start: int, stop: int) -> bytes:
    """Bytes [start, stop) of a stored object, reading only those bytes."""
    store = storage._store
    rel = store._norm(storage._object_path(bucket, name))
    if store._use_memory:
        return bytes(memoryview(store._files[rel])[start:stop])
    with open(store._disk_path(rel), "rb") as f:
        f.seek(start)
        return f.read(stop - start)


def ranged_download(request: Any, response: Any, storage: Any, *args: Any, **kwargs: Any) -> Any:
    """objects.download, but a satisfiable single range reads only its bytes (same headers as the emulator's),
    and a read pinned to a `generation` that is not the live one is 404, as on GCS (the emulator ignored it)."""
    bucket, name = request.params["bucket_name"], request.params["object_id"]
    try:
        obj = storage.get_file_obj(bucket, name)
    except NotFound:
        response.status = HTTPStatus.NOT_FOUND
        return None
    wanted = (request.query.get("generation") or [None])[0]
    if wanted is not None and str(wanted) != str(obj.get("generation")):
        response.status = HTTPStatus.NOT_FOUND
        return None
    match = _SINGLE_RANGE.fullmatch(request.get_header("range", "") or "")
    if match is None:
        return _download(request, response, storage, *args, **kwargs)
    size, start = int(obj["size"]), int(match["start"])
    stop = min(size, int(match["end"]) + 1) if match["end"] else size
    if start >= stop:
        return _download(request, response, storage, *args, **kwargs)
    try:
        data = _read_slice(storage, bucket, name, start, stop)
    except (OSError, KeyError):
        response.status = HTTPStatus.NOT_FOUND
        return None
    response["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response.status = HTTPStatus.PARTIAL_CONTENT
    for key, value in (obj.get("metadata") or {}).items():
        if value is not None:
            response[f"x-goog-meta-{key}"] = str(value)
    response.write_file(data, content_type=obj.get("contentType"))
    return None


_download = objects.download


def patch() -> None:
    emulator_server.server.HTTPServer = _ThreadingServer  # type: ignore[misc]
    handler = emulator_server.RequestHandler
    handler.protocol_version = "HTTP/1.1"  # keep-alive: every response of the emulator sends Content-Length
    for name in ("do_POST", "do_PUT", "do_PATCH", "do_DELETE"):
        setattr(handler, name, _serialised(getattr(handler, name)))
    emulator_server.HANDLERS = tuple(  # type: ignore[attr-defined]
        (pattern, {method: ranged_download if fn is _download else fn for method, fn in methods.items()})
        for pattern, methods in emulator_server.HANDLERS
    )


if __name__ == "__main__":
    patch()
    sys.exit(main(sys.argv[1:]))
