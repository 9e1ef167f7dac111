"""Serving stored media over HTTP: Range (RFC 9110), conditional requests, streaming.

Werkzeug parses the headers (`request.range`, `If-Range`, ETags); bytes come
from ONE ranged storage read per response, streamed in bounded chunks, so a
request for the last megabyte never reads from the start of the object.
"""

from __future__ import annotations

import flask
from werkzeug.datastructures import ContentRange
from werkzeug.http import http_date, is_resource_modified, quote_etag

from common.errors import RangeNotSatisfiable
from common.storage import ObjectInfo, StorageService

CACHE_CONTROL = "private, max-age=31536000, immutable"


def media_response(
    request: flask.Request, *, info: ObjectInfo, storage: StorageService, download_name: str | None = None
) -> flask.Response:
    etag = quote_etag(info.etag)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": CACHE_CONTROL,
        "Content-Type": info.content_type,
        "X-Content-Type-Options": "nosniff",
    }
    if info.updated is not None:
        headers["Last-Modified"] = http_date(info.updated)
    if download_name:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'

    # 304: the client's copy is current (If-None-Match wins over If-Modified-Since).
    if not is_resource_modified(request.environ, etag=info.etag, last_modified=info.updated, ignore_if_range=True):
        return flask.Response(status=304, headers={k: v for k, v in headers.items() if k != "Content-Type"})

    size = info.size
    start, end, status = 0, size - 1, 200
    rng = request.range if "Range" in request.headers else None
    if rng is not None and rng.units == "bytes" and _if_range_matches(request, info):
        if len(rng.ranges) == 1:
            bounds = rng.range_for_length(size)
            if bounds is None:
                raise RangeNotSatisfiable(headers={"Accept-Ranges": "bytes", "Content-Range": f"bytes */{size}"},
                                          details={"size": size})
            start, end, status = bounds[0], bounds[1] - 1, 206
            headers["Content-Range"] = ContentRange("bytes", bounds[0], bounds[1], size).to_header()
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD" or size == 0:
        return flask.Response(status=status, headers=headers)
    body = storage.open_range(info.name, start, end, generation=info.generation or None)
    return flask.Response(body, status=status, headers=headers, direct_passthrough=True)


def _if_range_matches(request: flask.Request, info: ObjectInfo) -> bool:
    """If-Range: serve the range only if the validator still matches; otherwise the full 200."""
    if "If-Range" not in request.headers:
        return True
    return not is_resource_modified(request.environ, etag=info.etag, last_modified=info.updated, ignore_if_range=False)
