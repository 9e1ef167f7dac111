"""MongoDB access (pymongo). Embedded default: mongomock in-process, persisted to a snapshot.

Repository code uses only what real MongoDB does too: every state change is one
`find_one_and_update`/`update_one` with the expected state in the filter, and
uniqueness lives in unique indexes. Queries pass `sort`/`limit` as keyword
arguments (never chained on a cursor) so the embedded store can evaluate them
under its lock.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import pymongo
from bson import ObjectId, json_util
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection
from pymongo.database import Database as MongoDatabase

log = logging.getLogger(__name__)

COLLECTIONS = (
    "users", "tasks", "ledger", "quota_usage", "orders", "conversations", "messages",
    "secrets", "settings", "audit", "login_attempts", "api_tokens", "password_resets",
    "rate_limits", "idempotency", "uploads",
)

#: Every hot query's index (a test in the database tier checks each with `explain()` on a
#: real wire server). Lists page newest first by `_id` (`newest_first`), so their indexes
#: end in `_id` descending after the equality fields. Created by `python -m
#: scripts.ensure_indexes` (a deploy step) and, idempotently, when a process opens the store.
INDEXES: dict[str, list[IndexModel]] = {
    "users": [IndexModel([("email", ASCENDING)], unique=True)],
    "tasks": [
        IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)], name="user_newest"),  # own list, ids= poll
        IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)]),  # stalled sweep
        IndexModel([("status", ASCENDING), ("deadline_at", ASCENDING)]),  # overdue sweep
        IndexModel([("status", ASCENDING), ("refund", ASCENDING)]),  # refunds a crash interrupted
        IndexModel([("status", ASCENDING), ("_id", DESCENDING)], name="status_newest"),  # admin list by status
        IndexModel([("created_at", DESCENDING)]),  # admin stats: generations today
        IndexModel([("share_token", ASCENDING)], sparse=True),  # public share pages
        # Which tasks use an upload (orphan cleanup in common/uploads.py).
        IndexModel([("params.start_object", ASCENDING)], sparse=True),
        IndexModel([("params.reference_objects", ASCENDING)], sparse=True),
        IndexModel([("params.end_object", ASCENDING)], sparse=True),
    ],
    "ledger": [IndexModel([("key", ASCENDING)], unique=True), IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)])],
    "orders": [
        IndexModel([("user_id", ASCENDING), ("_id", DESCENDING)], name="user_newest"),
        IndexModel([("status", ASCENDING), ("_id", DESCENDING)], name="status_newest"),
    ],
    "conversations": [IndexModel([("user_id", ASCENDING), ("updated_at", DESCENDING), ("_id", DESCENDING)])],
    "messages": [IndexModel([("conversation_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]),
                 IndexModel([("attachments", ASCENDING)], sparse=True)],
    "secrets": [IndexModel([("name", ASCENDING), ("version", DESCENDING)], unique=True)],
    "audit": [IndexModel([("created_at", DESCENDING)])],
    # MongoDB drops these once expire_at has passed (TTL indexes); the code never relies on it.
    "login_attempts": [IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0)],
    "rate_limits": [IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0)],
    "idempotency": [IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0)],
    "uploads": [IndexModel([("user_id", ASCENDING), ("created_at", ASCENDING)]), IndexModel([("last_used_at", ASCENDING)])],
    "api_tokens": [IndexModel([("hash", ASCENDING)], unique=True), IndexModel([("user_id", ASCENDING)])],
    "password_resets": [IndexModel([("user_id", ASCENDING)])],
    "quota_usage": [IndexModel([("user_id", ASCENDING), ("tasks", ASCENDING)])],
}


class _LockedCollection:
    """Makes a mongomock collection behave like a server: each call is atomic.

    mongomock evaluates `find_one_and_update` as a find followed by an update,
    so two threads could both win the same compare-and-set. MongoDB does not
    allow that, and neither does this wrapper. `find` is materialised under the
    lock (results are a list, sorted and limited by keyword arguments).
    """

    def __init__(self, inner: Any, lock: threading.RLock, changed: threading.Event) -> None:
        self._inner = inner
        self._lock = lock
        self._changed = changed

    _WRITES = {
        "insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one",
        "delete_many", "find_one_and_update", "find_one_and_delete", "find_one_and_replace",
        "bulk_write", "create_index", "create_indexes", "drop",
    }

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr
        is_write = name in self._WRITES

        def call(*args: Any, **kwargs: Any) -> Any:
            """The wrapped pymongo call under the database lock; cursors are materialised into lists inside the lock,
            and a write marks the embedded database changed (for the snapshot).
            """
            with self._lock:
                if name == "find":
                    return list(attr(*args, **kwargs))
                result = attr(*args, **kwargs)
                if name == "aggregate":
                    result = list(result)
            if is_write:
                self._changed.set()
            return result

        return call


class Database:
    """The application's handle on MongoDB: named collections, indexes, health."""

    def __init__(self, db: MongoDatabase[Any] | Any, *, embedded: bool, client: Any = None) -> None:
        self._db = db
        self.embedded = embedded
        self._client = client
        self._lock = threading.RLock()
        self._changed = threading.Event()
        self._snapshot_path: Path | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __getattr__(self, name: str) -> Collection[Any]:
        if name not in COLLECTIONS:
            raise AttributeError(name)
        return self.collection(name)

    def collection(self, name: str) -> Collection[Any]:
        """The collection `name`; on the embedded database wrapped so every call is serialised by one lock
        (mongomock is not thread-safe).
        """
        coll = self._db[name]
        if self.embedded:
            return _LockedCollection(coll, self._lock, self._changed)  # type: ignore[return-value]
        return coll

    def ensure_indexes(self) -> dict[str, list[str]]:
        """Create `INDEXES` (idempotent); {collection: [index names]}. See scripts/ensure_indexes.py."""
        return {name: list(self.collection(name).create_indexes(models)) for name, models in INDEXES.items()}

    def ping(self) -> bool:
        """True if MongoDB answers the `ping` command (always True for the embedded database); never raises."""
        try:
            if self.embedded:
                return True
            self._db.command("ping")
            return True
        except pymongo.errors.PyMongoError:
            return False

    # ---- embedded snapshot ----------------------------------------------------

    def enable_snapshot(self, path: Path, *, interval_s: float = 1.0) -> None:
        """Load `path` now, then rewrite it shortly after each change and at close."""
        self._snapshot_path = path
        if path.exists():
            self._load(path)
        self._thread = threading.Thread(target=self._snapshot_loop, args=(interval_s,), daemon=True, name="db-snapshot")
        self._thread.start()

    def _load(self, path: Path) -> None:
        data = json_util.loads(path.read_text())
        with self._lock:
            for name, docs in data.items():
                if docs:
                    self._db[name].insert_many(docs)
        log.info("embedded database loaded", extra={"path": str(path), "collections": len(data)})

    def _dump(self) -> None:
        if not self._snapshot_path:
            return
        with self._lock:
            self._changed.clear()
            data = {name: list(self._db[name].find({})) for name in COLLECTIONS}
        tmp = self._snapshot_path.with_suffix(".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json_util.dumps(data, json_options=json_util.CANONICAL_JSON_OPTIONS))
        os.replace(tmp, self._snapshot_path)

    def _snapshot_loop(self, interval_s: float) -> None:
        while not self._stop.is_set():
            if self._changed.wait(timeout=interval_s):
                time.sleep(interval_s)  # coalesce bursts of writes into one snapshot
                try:
                    self._dump()
                except OSError:
                    log.exception("embedded database snapshot failed")

    def close(self) -> None:
        """Stop the snapshot thread, write a last snapshot if anything changed, and close the client (real MongoDB only)."""
        self._stop.set()
        if self._snapshot_path and self._changed.is_set():
            self._dump()
        if self._client is not None and not self.embedded:
            self._client.close()


def encode_cursor(doc_id: str) -> str:
    """An opaque page cursor for the document id `doc_id`: unpadded URL-safe base64 (RFC 4648 section 5) of its UTF-8 bytes."""
    return base64.urlsafe_b64encode(doc_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    """The id a cursor names; anything else is the client's mistake (400)."""
    from common.errors import InvalidRequest

    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ObjectId(value)
    except Exception:  # noqa: BLE001 - any garbage is the client's mistake
        raise InvalidRequest("The cursor is not valid.", details={"field": "cursor"}) from None
    return value


def newest_first(
    coll: Collection[Any], query: dict[str, Any], *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a collection whose `_id`s are time-ordered ObjectId strings, newest first.

    Keyset pagination on `_id`: stable under inserts, no skip scans.
    """
    query = dict(query)
    if cursor:
        query["_id"] = {**query.get("_id", {}), "$lt": decode_cursor(cursor)}  # keeps an `$in` of ids
    docs = list(coll.find(query, sort=[("_id", -1)], limit=limit + 1))
    more = len(docs) > limit
    docs = docs[:limit]
    return docs, (encode_cursor(docs[-1]["_id"]) if more and docs else None)


def connect(*, uri: str, name: str) -> Database:
    """A real MongoDB when `uri` is set, else the embedded mongomock store."""
    if uri:
        client: Any = pymongo.MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
        return Database(client[name], embedded=False, client=client)
    import mongomock

    client = mongomock.MongoClient(tz_aware=True)
    return Database(client[name], embedded=True, client=client)

