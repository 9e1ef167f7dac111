"""StorageService: the one door to object storage (GCS, or gcp-storage-emulator locally).

The hot path of the media proxy (`stat`, `open_range`) speaks the GCS JSON API
directly over ONE pooled HTTP session per process, with `trust_env` off (no
proxy-environment scan per request), and caches stat results: an object's
metadata is immutable for its generation, and a read pinned to a generation
that no longer exists answers 404, which drops the entry and stats again.
`google-cloud-storage` (uploads, deletes, listing, bucket admin) shares that
session and is imported only when first needed, so the proxy's cold start
does not load it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.http import parse_content_range_header
from werkzeug.wsgi import ClosingIterator

from common.errors import NotFound

if TYPE_CHECKING:
    import requests
    from google.cloud import storage  # type: ignore[attr-defined]

log = logging.getLogger(__name__)

CHUNK = 256 * 1024  # bytes per streamed read: bounded memory whatever the object's size
GCS_ENDPOINT = "https://storage.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/devstorage.read_write",)
STAT_TTL_S = 60.0  # bounds how long another process's delete can still be seen as existing by HEAD/304
STAT_CACHE_SIZE = 4096
POOL_SIZE = 128  # connections kept per host: at least the threads that may read at once


@dataclass(frozen=True)
class ObjectInfo:
    """Metadata of one GCS object version: `name`, `size` in bytes, `content_type` (MIME), `etag`, `updated` (aware, or None)."""
    name: str
    size: int
    content_type: str
    etag: str  # stable per object version (GCS generation)
    updated: datetime | None
    generation: str


class StorageService:
    """Upload, stat, ranged streaming read and delete of objects in one bucket."""

    def __init__(self, *, bucket: str, project: str, emulator_host: str = "", stat_ttl_s: float = STAT_TTL_S) -> None:
        self.bucket_name = bucket
        self._project = project
        self._emulator = emulator_host.rstrip("/")
        self._endpoint = self._emulator or GCS_ENDPOINT
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._client: storage.Client | None = None
        self._stat_ttl_s = stat_ttl_s
        self._stats: OrderedDict[str, tuple[float, ObjectInfo]] = OrderedDict()
        self._stats_lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """The process's one pooled HTTP session (authorized by Application Default Credentials on GCS)."""
        session = self._session
        if session is None:
            with self._lock:
                if self._session is None:
                    self._session = _new_session(emulator=bool(self._emulator))
                session = self._session
        return session

    @property
    def client(self) -> storage.Client:
        """google-cloud-storage client on the shared session (uploads, deletes, listing)."""
        client = self._client
        if client is None:
            session = self.session
            with self._lock:
                if self._client is None:
                    from google.cloud import storage  # type: ignore[attr-defined]

                    options = {"api_endpoint": self._emulator} if self._emulator else None
                    self._client = storage.Client(project=self._project, credentials=getattr(session, "credentials", None)
                                                  or _anonymous(), _http=session, client_options=options)
                client = self._client
        return client

    @property
    def bucket(self) -> storage.Bucket:
        """The google-cloud-storage Bucket handle for the configured bucket (no request is made)."""
        return self.client.bucket(self.bucket_name)

    def warm(self) -> None:
        """Build the session now (instance start) rather than on the first request."""
        _ = self.session

    def ensure_bucket(self) -> None:
        """Local stack and tests: create the bucket on the emulator if missing."""
        from google.api_core import exceptions as gexc

        try:
            self.client.get_bucket(self.bucket_name)
        except gexc.NotFound:
            try:
                self.client.create_bucket(self.bucket_name)
            except gexc.Conflict:
                pass

    def ping(self) -> bool:
        """Reachable with this account's object permissions: lists at most one object (storage.objects.list).

        Never bucket metadata (`bucket.reload` needs storage.buckets.get, which no
        function's account holds: terraform/iam.tf grants object roles only)."""
        try:
            response = self.session.get(f"{self._bucket_url()}/o", timeout=5,
                                        params={"prefix": "media/", "maxResults": "1", "fields": "kind"})
            response.close()
            return response.status_code == 200
        except Exception:  # noqa: BLE001 - health check reports, never raises
            return False

    def upload_bytes(self, name: str, data: bytes, *, content_type: str) -> ObjectInfo:
        """Write `data` to object `name` with `content_type` (replacing any version) and return its metadata.
        SDK errors (google.api_core.exceptions) propagate.
        """
        blob = self.bucket.blob(name)
        self._forget(name)
        # Never Content-Encoding gzip: GCS would transcode and drop Content-Length.
        blob.upload_from_string(data, content_type=content_type, timeout=120)
        return self._remember(self._info(blob))

    def upload_stream(self, name: str, stream: IO[bytes], *, content_type: str, size: int | None = None) -> ObjectInfo:
        """Stream `stream` to object `name` (resumable 8 MiB chunks when `size` exceeds 8 MiB) and return its metadata.
        `size` in bytes when known. SDK errors (google.api_core.exceptions) propagate.
        """
        blob = self.bucket.blob(name, chunk_size=8 * 1024 * 1024 if (size or 0) > 8 * 1024 * 1024 else None)
        self._forget(name)
        blob.upload_from_file(stream, content_type=content_type, size=size, timeout=600)
        return self._remember(self._info(blob))

    def stat(self, name: str, *, fresh: bool = False) -> ObjectInfo:
        """Metadata of the live version of `name` (cached per generation for STAT_TTL_S); NotFound if absent."""
        if not fresh:
            with self._stats_lock:
                hit = self._stats.get(name)
            if hit is not None and time.monotonic() - hit[0] < self._stat_ttl_s:
                return hit[1]
        response = self.session.get(self._object_url(name), timeout=30)
        try:
            if response.status_code == 404:
                self._forget(name)
                raise NotFound("That file does not exist.")
            if response.status_code != 200:
                raise OSError(f"storage stat failed with HTTP {response.status_code}")
            meta = response.json()
        finally:
            response.close()
        return self._remember(_info_from_json(meta))

    def exists(self, name: str) -> bool:
        """True if object `name` exists now (an uncached stat); other storage errors propagate."""
        try:
            self.stat(name, fresh=True)
            return True
        except NotFound:
            return False

    def read_bytes(self, name: str, *, max_bytes: int) -> bytes:
        """Whole small object (reference images), refusing anything larger than `max_bytes`."""
        info = self.stat(name)
        if info.size > max_bytes:
            raise NotFound("That file is too large to use here.")
        return b"".join(self.open_range(name, 0, info.size - 1, generation=info.generation or None)) if info.size else b""

    def open_range(self, name: str, start: int, end: int, *, generation: str | None = None) -> Iterator[bytes]:
        """Stream bytes `start..end` (inclusive) in bounded chunks with ONE ranged request.

        The storage emulator loads whole objects per request, so reading chunk by
        chunk with separate requests would be quadratic; one streamed ranged GET
        is linear for both the emulator and GCS. Closing the iterator (a client
        that went away) closes the connection and stops the read. A read pinned
        to a `generation` that is gone raises NotFound and drops the cached stat.
        """
        if start < 0 or end < start:
            return iter(())
        params = {"alt": "media"}
        if generation:
            params["generation"] = str(int(generation))
        response = self.session.get(
            self._media_url(name), params=params, stream=True, timeout=60,
            headers={"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"},
        )
        if response.status_code == 404:
            response.close()
            self._forget(name)
            raise NotFound("That file does not exist.")
        if response.status_code not in (200, 206):
            response.close()
            raise OSError(f"storage read failed with HTTP {response.status_code}")
        # A range past the end comes back clipped: expect what the server says it sends, so that
        # only a stream that really ends early counts as short.
        length = end - start + 1
        if response.status_code == 206:
            sent = parse_content_range_header(response.headers.get("Content-Range"))
            if sent is not None and sent.start is not None and sent.stop is not None:
                length = min(length, sent.stop - sent.start)
            return _stream(response, skip=0, length=length)
        total = response.headers.get("Content-Length")
        if total is not None and total.isdigit():
            length = max(0, min(length, int(total) - start))
        return _stream(response, skip=start, length=length)

    def delete(self, name: str) -> None:
        """Delete object `name`; an absent object is not an error. Also forgets its cached stat."""
        from google.api_core import exceptions as gexc

        self._forget(name)
        try:
            self.bucket.blob(name).delete(timeout=30)
        except gexc.NotFound:
            pass

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object whose name starts with `prefix`; the number deleted."""
        count = 0
        for blob in self.client.list_blobs(self.bucket_name, prefix=prefix):
            self.delete(blob.name)
            count += 1
        return count

    # ---- internals ----------------------------------------------------------------

    def _bucket_url(self) -> str:
        return f"{self._endpoint}/storage/v1/b/{quote(self.bucket_name, safe='')}"

    def _object_url(self, name: str) -> str:
        return f"{self._bucket_url()}/o/{quote(name, safe='')}"

    def _media_url(self, name: str) -> str:
        return f"{self._endpoint}/download/storage/v1/b/{quote(self.bucket_name, safe='')}/o/{quote(name, safe='')}"

    def _remember(self, info: ObjectInfo) -> ObjectInfo:
        with self._stats_lock:
            self._stats[info.name] = (time.monotonic(), info)
            self._stats.move_to_end(info.name)
            while len(self._stats) > STAT_CACHE_SIZE:
                self._stats.popitem(last=False)
        return info

    def _forget(self, name: str) -> None:
        with self._stats_lock:
            self._stats.pop(name, None)

    def _info(self, blob: storage.Blob) -> ObjectInfo:
        if blob.size is None:
            blob.reload(timeout=30)
        generation = str(blob.generation or "")
        return ObjectInfo(
            name=blob.name or "",
            size=int(blob.size or 0),
            content_type=blob.content_type or "application/octet-stream",
            etag=f"{blob.name}@{generation or blob.etag}",
            updated=blob.updated,
            generation=generation,
        )


def _info_from_json(meta: dict[str, Any]) -> ObjectInfo:
    """ObjectInfo from a JSON API object resource (https://cloud.google.com/storage/docs/json_api/v1/objects)."""
    name = str(meta.get("name") or "")
    generation = str(meta.get("generation") or "")
    updated = meta.get("updated")
    return ObjectInfo(
        name=name,
        size=int(meta.get("size") or 0),
        content_type=meta.get("contentType") or "application/octet-stream",
        etag=f"{name}@{generation or meta.get('etag', '')}",
        updated=datetime.fromisoformat(updated.replace("Z", "+00:00")) if updated else None,
        generation=generation,
    )


def _anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()  # type: ignore[no-untyped-call]


def _new_session(*, emulator: bool) -> requests.Session:
    """One keep-alive pool for every storage call of the process; never reads proxy settings from the environment."""
    import requests
    from requests.adapters import HTTPAdapter

    session: requests.Session
    if emulator:
        session = requests.Session()
    else:
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        credentials, _ = google.auth.default(scopes=list(SCOPES))  # type: ignore[no-untyped-call]
        session = AuthorizedSession(credentials)  # type: ignore[no-untyped-call]
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _stream(response: Any, *, skip: int, length: int) -> Iterator[bytes]:
    """Yield exactly `length` bytes after skipping `skip`; closing the iterator closes the connection.

    The closing is a callback of the returned iterator, not only the generator's
    `finally`: a generator closed before its first `next()` never runs its body.
    A stream that ends short raises, so the server aborts the response rather
    than sending a body shorter than its Content-Length.
    """

    def chunks() -> Iterator[bytes]:
        """The response body in CHUNK-sized pieces, `skip` bytes dropped and `length` bytes yielded; raises OSError if the
        body ends short, and closes the response when done or closed.
        """
        try:
            todo, remaining = skip, length
            if remaining <= 0:
                return
            for chunk in response.raw.stream(CHUNK, decode_content=False):
                if todo:
                    if len(chunk) <= todo:
                        todo -= len(chunk)
                        continue
                    chunk, todo = chunk[todo:], 0
                if len(chunk) >= remaining:
                    yield chunk[:remaining]
                    return
                remaining -= len(chunk)
                yield chunk
            raise OSError(f"storage stream ended {remaining} bytes short")
        finally:
            response.close()

    return ClosingIterator(chunks(), [response.close])
