"""StorageService: the one door to object storage (GCS, or gcp-storage-emulator locally)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage  # type: ignore[attr-defined]
from werkzeug.http import parse_content_range_header
from werkzeug.wsgi import ClosingIterator

from common.errors import NotFound

log = logging.getLogger(__name__)

CHUNK = 256 * 1024  # bytes per streamed read: bounded memory whatever the object's size


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    size: int
    content_type: str
    etag: str  # stable per object version (GCS generation)
    updated: datetime | None
    generation: str


class StorageService:
    """Upload, stat, ranged streaming read and delete of objects in one bucket."""

    def __init__(self, *, bucket: str, project: str, emulator_host: str = "") -> None:
        self.bucket_name = bucket
        self._project = project
        self._emulator = emulator_host
        self._lock = threading.Lock()
        self._client: storage.Client | None = None

    @property
    def client(self) -> storage.Client:
        with self._lock:
            if self._client is None:
                if self._emulator:
                    self._client = storage.Client(
                        project=self._project,
                        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                        client_options={"api_endpoint": self._emulator},
                    )
                else:
                    self._client = storage.Client(project=self._project)
            return self._client

    @property
    def bucket(self) -> storage.Bucket:
        return self.client.bucket(self.bucket_name)

    def ensure_bucket(self) -> None:
        """Local stack and tests: create the bucket on the emulator if missing."""
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
            list(self.client.list_blobs(self.bucket_name, prefix="media/", max_results=1, timeout=5))
            return True
        except Exception:  # noqa: BLE001 - health check reports, never raises
            return False

    def upload_bytes(self, name: str, data: bytes, *, content_type: str) -> ObjectInfo:
        blob = self.bucket.blob(name)
        # Never Content-Encoding gzip: GCS would transcode and drop Content-Length.
        blob.upload_from_string(data, content_type=content_type, timeout=120)
        return self._info(blob)

    def upload_stream(self, name: str, stream: IO[bytes], *, content_type: str, size: int | None = None) -> ObjectInfo:
        blob = self.bucket.blob(name, chunk_size=8 * 1024 * 1024 if (size or 0) > 8 * 1024 * 1024 else None)
        blob.upload_from_file(stream, content_type=content_type, size=size, timeout=600)
        return self._info(blob)

    def stat(self, name: str) -> ObjectInfo:
        blob = self.bucket.get_blob(name, timeout=30)
        if blob is None:
            raise NotFound("That file does not exist.")
        return self._info(blob)

    def exists(self, name: str) -> bool:
        return bool(self.bucket.blob(name).exists(timeout=30))

    def read_bytes(self, name: str, *, max_bytes: int) -> bytes:
        """Whole small object (reference images), refusing anything larger than `max_bytes`."""
        info = self.stat(name)
        if info.size > max_bytes:
            raise NotFound("That file is too large to use here.")
        return b"".join(self.open_range(name, 0, info.size - 1)) if info.size else b""

    def open_range(self, name: str, start: int, end: int, *, generation: str | None = None) -> Iterator[bytes]:
        """Stream bytes `start..end` (inclusive) in bounded chunks with ONE ranged request.

        The storage emulator loads whole objects per request, so reading chunk by
        chunk with separate requests would be quadratic; one streamed ranged GET
        is linear for both the emulator and GCS. Closing the iterator (a client
        that went away) closes the connection and stops the read.
        """
        if start < 0 or end < start:
            return iter(())
        blob = self.bucket.blob(name, generation=int(generation) if generation else None)
        url = blob._get_download_url(self.client)  # the client's own media URL (emulator aware)
        session: Any = self.client._http
        response = session.get(
            url, headers={"Range": f"bytes={start}-{end}", "Accept-Encoding": "identity"}, stream=True, timeout=60
        )
        if response.status_code == 404:
            response.close()
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
        try:
            self.bucket.blob(name).delete(timeout=30)
        except gexc.NotFound:
            pass

    def delete_prefix(self, prefix: str) -> int:
        count = 0
        for blob in self.client.list_blobs(self.bucket_name, prefix=prefix):
            self.delete(blob.name)
            count += 1
        return count

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


def _stream(response: Any, *, skip: int, length: int) -> Iterator[bytes]:
    """Yield exactly `length` bytes after skipping `skip`; closing the iterator closes the connection.

    The closing is a callback of the returned iterator, not only the generator's
    `finally`: a generator closed before its first `next()` never runs its body.
    A stream that ends short raises, so the server aborts the response rather
    than sending a body shorter than its Content-Length.
    """

    def chunks() -> Iterator[bytes]:
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
