"""Serving stored media over HTTP: Range (RFC 9110), conditional requests, streaming.

Werkzeug parses the headers (each range-spec, `If-Range`, ETags, dates) and
formats `Content-Range`; what it does not do is written here: resolving a
whole range-set against the object's size, the `multipart/byteranges` body,
and streaming from storage. Bytes come from ONE ranged storage read per range,
streamed in bounded chunks, so a request for the last megabyte never reads
from the start of the object, and closing the response closes the read.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol
from urllib.parse import quote

import flask
from werkzeug.datastructures import ContentRange
from werkzeug.http import http_date, is_resource_modified, parse_if_range_header, parse_range_header, quote_etag

from common.errors import RangeNotSatisfiable
from common.storage import ObjectInfo

CACHE_CONTROL = "private, max-age=31536000, immutable"
MAX_RANGES = 16  # more range-specs than a player ever sends: refused as abuse (RFC 9110 §14.2 allows it)
_ZERO_SUFFIX = re.compile(r"-0+")  # `bytes=-0`: valid syntax that selects nothing (werkzeug calls it malformed)
_CONDITIONAL_KEYS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


class ByteSource(Protocol):
    """What delivery needs from storage (StorageService, or a test fake honouring the same contract)."""

    def open_range(self, name: str, start: int, end: int, *, generation: str | None = None) -> Iterator[bytes]:
        """Bytes `start..end` inclusive, in bounded chunks, from one read; closing the iterator stops the read."""
        ...


@dataclass(frozen=True)
class ByteRange:
    """A satisfiable byte range of an object: `start` inclusive, `stop` exclusive, in bytes (RFC 9110 section 14.1.2)."""
    start: int
    stop: int  # exclusive

    @property
    def length(self) -> int:
        """Number of bytes in the range."""
        return self.stop - self.start

    def content_range(self, size: int) -> str:
        """The Content-Range header value for this range of an object of `size` bytes: "bytes start-end/size"
        (RFC 9110 section 14.4).
        """
        return ContentRange("bytes", self.start, self.stop, size).to_header()


def media_response(
    request: flask.Request, *, info: ObjectInfo, storage: ByteSource, download_name: str | None = None
) -> flask.Response:
    """200, 206 (one range or multipart/byteranges), 304 or 416 for one stored object; GET and HEAD."""
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": quote_etag(info.etag),
        "Cache-Control": CACHE_CONTROL,
        "Content-Type": info.content_type,
        "X-Content-Type-Options": "nosniff",
    }
    if info.updated is not None:
        headers["Last-Modified"] = http_date(info.updated)
    if download_name:
        headers["Content-Disposition"] = attachment(download_name)

    if not _modified(request, info):
        del headers["Content-Type"]
        return flask.Response(status=304, headers=headers)

    ranges = requested_ranges(request.headers.get("Range"), info.size) if _if_range_holds(request, info) else None
    if ranges is None:
        ranges, status = [ByteRange(0, info.size)], 200
    else:
        status = 206
    if len(ranges) == 1:
        if status == 206:
            headers["Content-Range"] = ranges[0].content_range(info.size)
        headers["Content-Length"] = str(ranges[0].length)
        if request.method == "HEAD":
            return flask.Response(status=status, headers=headers)
        return flask.Response(_body(storage, info, ranges[0]), status=status, headers=headers, direct_passthrough=True)

    boundary = secrets.token_hex(16)
    heads = [_part_head(boundary, info, r, first=i == 0) for i, r in enumerate(ranges)]
    tail = f"\r\n--{boundary}--\r\n".encode()
    headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
    headers["Content-Length"] = str(sum(len(h) + r.length for h, r in zip(heads, ranges, strict=True)) + len(tail))
    if request.method == "HEAD":
        return flask.Response(status=206, headers=headers)
    return flask.Response(_multipart(storage, info, ranges, heads, tail), status=206, headers=headers,
                          direct_passthrough=True)


def requested_ranges(header: str | None, size: int) -> list[ByteRange] | None:
    """The ranges a `Range` header selects in an object of `size` bytes, in the order asked.

    None means "serve the whole object": no header, another unit, or any
    malformed range-spec (RFC 9110 §14.2: an invalid Range is ignored). Raises
    RangeNotSatisfiable when nothing satisfiable remains, for more than
    MAX_RANGES specs, and for overlapping ranges (which only amplify a response).

    Werkzeug parses each spec; the set is resolved here because werkzeug's
    whole-header parser rejects any set not in ascending order (as if it were
    malformed), and `Range.range_for_length` answers a suffix longer than the
    object (`bytes=-500` of 100 bytes) with None where RFC 9110 serves it all.
    """
    if not header:
        return None
    unit, _, spec_list = header.partition("=")
    if unit.strip(" \t").lower() != "bytes":
        return None
    specs = [s for s in (p.strip(" \t") for p in spec_list.split(",")) if s]  # empty list elements are allowed
    if not specs:
        return None
    selected: list[ByteRange] = []
    for spec in specs:
        if _ZERO_SUFFIX.fullmatch(spec):
            continue
        parsed = parse_range_header(f"bytes={spec}")
        if parsed is None:
            return None
        begin, end = parsed.ranges[0]
        if begin < 0:  # suffix: the last -begin bytes, or all of a shorter object
            start, stop = max(0, size + begin), size
        else:
            start, stop = begin, size if end is None else min(end, size)
        if start < stop:
            selected.append(ByteRange(start, stop))
    if len(specs) > MAX_RANGES or not selected or _overlap(selected):
        raise _unsatisfiable(size)
    return selected


def attachment(filename: str) -> str:
    """`Content-Disposition: attachment` per RFC 6266: a quoted ASCII fallback plus `filename*` when needed."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\%/' else "_" for c in filename)
    value = f'attachment; filename="{fallback}"'
    if fallback != filename:
        value += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return value


def _modified(request: flask.Request, info: ObjectInfo) -> bool:
    """False when If-None-Match (weak comparison) or, without it, If-Modified-Since says the client's copy is current.

    Only those two headers reach werkzeug: given If-Match it would answer
    "not modified" (a 304) where RFC 9110 wants 412; the proxy serves
    immutable objects and ignores If-Match / If-Unmodified-Since.
    """
    environ = {key: request.environ[key] for key in _CONDITIONAL_KEYS if key in request.environ}
    return is_resource_modified(environ, etag=info.etag, last_modified=info.updated, ignore_if_range=True)


def _if_range_holds(request: flask.Request, info: ObjectInfo) -> bool:
    """If-Range: honour Range only if the validator still matches; otherwise the full 200 (RFC 9110 §13.1.5).

    An entity-tag must match strongly (a weak one never does: werkzeug drops
    the `W/`, so it is checked here); a date must equal Last-Modified exactly.
    """
    value = request.headers.get("If-Range")
    if value is None or "Range" not in request.headers:
        return True
    value = value.strip()
    if_range = parse_if_range_header(value)
    if if_range.date is not None:
        return info.updated is not None and if_range.date == info.updated.replace(microsecond=0)
    return value.startswith('"') and if_range.etag == info.etag  # `W/"..."` never matches strongly


def _overlap(ranges: list[ByteRange]) -> bool:
    ordered = sorted(ranges, key=lambda r: r.start)
    return any(b.start < a.stop for a, b in pairwise(ordered))


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable(
        headers={"Accept-Ranges": "bytes", "Content-Range": ContentRange("bytes", None, None, size).to_header()},
        details={"size": size},
    )


def _body(storage: ByteSource, info: ObjectInfo, rng: ByteRange) -> Iterator[bytes]:
    """One ranged storage read, opened now so that a missing object is a 404 and not a broken stream."""
    if rng.length == 0:
        return iter(())
    return storage.open_range(info.name, rng.start, rng.stop - 1, generation=info.generation or None)


def _multipart(
    storage: ByteSource, info: ObjectInfo, ranges: list[ByteRange], heads: list[bytes], tail: bytes
) -> Iterator[bytes]:
    for head, rng in zip(heads, ranges, strict=True):
        yield head
        part = _body(storage, info, rng)
        try:
            yield from part
        finally:
            _close(part)
    yield tail


def _part_head(boundary: str, info: ObjectInfo, rng: ByteRange, *, first: bool) -> bytes:
    lead = "" if first else "\r\n"
    return (
        f"{lead}--{boundary}\r\nContent-Type: {info.content_type}\r\n"
        f"Content-Range: {rng.content_range(info.size)}\r\n\r\n"
    ).encode("latin-1")


def _close(body: Iterator[bytes]) -> None:
    close = getattr(body, "close", None)
    if close is not None:
        close()
