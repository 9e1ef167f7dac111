"""In-memory stand-ins for the object store and the task queue, for unit tests of the services that use them.

`MemoryStorage` keeps the part of `common.storage.StorageService` the generation pipeline uses (upload, stat,
exists, read, delete by prefix), with the same NotFound answers; a test can make the next uploads fail.
`MemoryQueue` records what was enqueued and, like Cloud Tasks, accepts a task name once.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from common import clock
from common.errors import NotFound
from common.storage import ObjectInfo


class MemoryStorage:
    """Objects in a dict: name -> (bytes, content type). Thread-safe. `fail_uploads` makes that many next uploads
    raise ConnectionError (a transient storage failure)."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.fail_uploads = 0
        self.uploads = 0  # successful uploads so far
        self._lock = threading.Lock()

    def upload_bytes(self, name: str, data: bytes, *, content_type: str) -> ObjectInfo:
        """Store `data` as `name` (replacing any object of that name); ConnectionError while `fail_uploads` > 0."""
        with self._lock:
            if self.fail_uploads > 0:
                self.fail_uploads -= 1
                raise ConnectionError("storage unreachable (test)")
            self.objects[name] = (bytes(data), content_type)
            self.uploads += 1
        return self._info(name, data, content_type)

    def stat(self, name: str, *, fresh: bool = False) -> ObjectInfo:
        """Metadata of `name`; NotFound if absent."""
        with self._lock:
            hit = self.objects.get(name)
        if hit is None:
            raise NotFound("That file does not exist.")
        return self._info(name, *hit)

    def exists(self, name: str) -> bool:
        """Whether `name` is stored."""
        with self._lock:
            return name in self.objects

    def read_bytes(self, name: str, *, max_bytes: int) -> bytes:
        """The whole object; NotFound if absent or larger than `max_bytes`."""
        info = self.stat(name)
        if info.size > max_bytes:
            raise NotFound("That file is too large to use here.")
        with self._lock:
            return self.objects[name][0]

    def delete(self, name: str) -> None:
        """Remove `name` if present."""
        with self._lock:
            self.objects.pop(name, None)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose name starts with `prefix`; how many."""
        with self._lock:
            names = [n for n in self.objects if n.startswith(prefix)]
            for n in names:
                del self.objects[n]
        return len(names)

    @staticmethod
    def _info(name: str, data: bytes, content_type: str) -> ObjectInfo:
        etag = hashlib.md5(data).hexdigest()
        return ObjectInfo(name=name, size=len(data), content_type=content_type, etag=etag, updated=clock.now(),
                          generation="1")


@dataclass(frozen=True)
class Enqueued:
    """One accepted delivery: its payload, task name, delay in seconds and fairness group."""

    payload: dict[str, Any]
    name: str | None
    delay_s: float
    group: str | None


class MemoryQueue:
    """A `common.queue.Queue` that delivers nothing: it records accepted tasks (`sent`) and refuses a task name it
    accepted before (Cloud Tasks' de-duplication). `fail` makes every enqueue raise ConnectionError."""

    def __init__(self) -> None:
        self.sent: list[Enqueued] = []
        self.fail = False
        self._names: set[str] = set()
        self._lock = threading.Lock()

    def enqueue(self, payload: dict[str, Any], *, name: str | None = None, delay_s: float = 0.0,
                group: str | None = None) -> bool:
        """Record the delivery; False for a name already accepted."""
        with self._lock:
            if self.fail:
                raise ConnectionError("queue unreachable (test)")
            if name is not None and name in self._names:
                return False
            if name is not None:
                self._names.add(name)
            self.sent.append(Enqueued(dict(payload), name, delay_s, group))
            return True

    def ping(self) -> bool:
        """Always reachable."""
        return True

    def close(self) -> None:
        """Nothing to release."""
