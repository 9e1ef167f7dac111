"""A real MongoDB wire server as a child process: SecantusDB (PyPI `secantusdb`, WiredTiger inside the wheel).

`MongoServer(data_dir=...).start()` runs `python -m localstack.mongo_server` on a
free 127.0.0.1 port, waits until it answers `ping` (raising with the server's
log tail if it exits or misses the deadline) and exposes `uri`. The tests use it
for the database tier; `make dev` uses it as the embedded default store.

Run as a module, this file starts the server itself after one planner fix (see
`_patch_id_point_lookup`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from localstack.emulator import free_port


class MongoServer:
    """A SecantusDB server process bound to 127.0.0.1.

    `data_dir=None` uses a temporary directory removed at `stop()`; a given
    directory is kept (data survives restarts; WiredTiger's journal recovers it
    after a `kill -9`).
    """

    def __init__(self, *, data_dir: Path | None = None, port: int | None = None, sync_on_commit: bool = False) -> None:
        self.port = port or free_port()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="mongo-")
            data_dir = Path(self._tmp.name)
        self.data_dir = data_dir
        self.sync_on_commit = sync_on_commit
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def uri(self) -> str:
        """A pymongo URI for this server (`directConnection`: it advertises a one-node replica set)."""
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self, timeout_s: float = 30.0) -> MongoServer:
        """Start the process and wait for `ping`; RuntimeError (with the log tail) if it does not come up in time."""
        import pymongo

        store = self.data_dir / "wt"
        store.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "localstack.mongo_server", "--host", "127.0.0.1", "--port", str(self.port),
               "--storage-path", str(store), "--log-level", "WARNING", "--cache-size", "256M"]
        if self.sync_on_commit:
            cmd.append("--sync-on-commit")
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        self._log = open(self.log_path, "ab")  # closed in stop()
        # cwd: the server auto-discovers ./secantusd.toml; run it where none exists.
        self.process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=self.data_dir)
        deadline = time.monotonic() + timeout_s
        client: Any = pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=500, connectTimeoutMS=500)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"MongoDB server (secantusdb) exited with {self.process.returncode}:\n{self._tail()}")
                try:
                    client.admin.command("ping")
                    return self
                except pymongo.errors.PyMongoError:
                    if time.monotonic() > deadline:
                        self.stop()
                        raise RuntimeError(
                            f"MongoDB server (secantusdb) did not answer ping within {timeout_s}s:\n{self._tail()}") from None
                    time.sleep(0.1)
        finally:
            client.close()

    def _tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-n:].decode(errors="replace")
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL, as a crash would (for durability tests and benches)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (a clean WiredTiger checkpoint), SIGKILL after 15 s; removes a temporary data dir."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log:
            self._log.close()
            self._log = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _patch_id_point_lookup() -> None:
    """Let a filter with an `_id` equality plus other clauses use the `_id` point lookup.

    SecantusDB 0.7.0b3 resolves only a filter that is exactly `{_id: v}` through
    its primary key; `findAndModify` re-issues its write as
    `{_id: v, $and: [query]}`, which fell through to a collection scan (measured:
    250 ms per `find_one_and_update` at 20,000 documents, linear in the
    collection). Any document matching such a filter has `_id == v`, and every
    caller re-checks the full filter on the candidates (`matches()` in the
    storage layer), so narrowing the candidates to that one key is exact.
    """
    from secantus import storage

    original = storage.Storage._try_index_id_keys

    def _try_index_id_keys(self: Any, db: str, coll: str, filter: dict[str, Any], *, collation: Any = None) -> Any:
        if filter and len(filter) > 1 and "_id" in filter:
            value = filter["_id"]
            if not isinstance(value, (dict, list)) and not self._is_timeseries(db, coll):
                return original(self, db, coll, {"_id": value}, collation=collation)
        return original(self, db, coll, filter, collation=collation)

    storage.Storage._try_index_id_keys = _try_index_id_keys


def _patch_newest_first_walk() -> None:
    """Serve `find({f: v, ...}).sort({_id: -1}).limit(n)` by walking an `{f: 1, _id: -1}` index, stopping at n.

    SecantusDB 0.7.0b3 answers such a query by decoding every document with
    `f == v` and sorting them in Python, so a user's task list took time linear
    in their history (measured 1.06 s at 5,000 tasks). MongoDB walks the
    index in order and stops at the limit; this does the same: the index's
    entries for `f == v` come in `_id`-descending order (entry keys only, no
    documents), and documents are fetched and checked with the server's own
    `matches()` one by one until `n` match. Any other query shape (hint,
    collation, skip, projection, another sort, an `_id: {$in: ...}` poll) takes
    the server's own path. `tests/integration/test_db_server.py` compares both
    paths on the same data.
    """
    import bson
    from secantus import storage
    from secantus.query import matches
    from secantus.sortkey import COMPOUND_SEP, encode_value_directed

    original = storage.Storage.find_matching

    def newest_first_index(self: Any, db: str, coll: str, filter: dict[str, Any]) -> tuple[str, str] | None:
        for name, key_spec, sparse, _unique in self._all_indexes(db, coll):
            spec = dict(key_spec)
            if sparse or len(spec) != 2 or list(spec.values()) != [1, -1] or list(spec)[1] != "_id":
                continue
            field = next(iter(spec))
            value = filter.get(field)
            if field in filter and not isinstance(value, (dict, list)) and value is not None \
                    and not self.index_is_multikey(db, coll, name):
                return name, field
        return None

    def walk_prefix(self: Any, db: str, coll: str, name: str, kb: bytes) -> Iterator[int]:
        """RecordIds of index `name`'s entries starting with `kb`, in index order, lazily
        (`Storage._scan_index_for_id_keys(prefix=True)`, which collects them all first)."""
        c = self._cursor(storage._IDX_ENTRIES_TABLE)
        esc_kb = storage._escape_kb(kb)
        c.set_key(db, coll, name, esc_kb)
        rc = c.search_near()
        if rc == storage.wt.WT_NOTFOUND or (rc < 0 and c.next() != 0):
            return
        while True:
            k = c.get_key()
            if (k[0], k[1], k[2]) != (db, coll, name):
                return
            row_esc, row_id = storage._unpack_entry(bytes(k[3]))
            if not row_esc.startswith(esc_kb):
                return
            if row_id is not None:
                yield row_id
            if c.next() != 0:
                return

    def find_matching(self: Any, db: str, coll: str, filter: dict[str, Any] | None = None, **kw: Any) -> Any:
        limit = kw.get("limit") or 0
        sort = kw.get("sort")
        simple = (filter and 0 < limit <= 1000 and sort is not None and dict(sort) == {"_id": -1}
                  and not kw.get("skip") and kw.get("projection") is None and kw.get("hint") is None
                  and kw.get("collation") is None
                  and kw.get("min_bound") is None and kw.get("max_bound") is None
                  and not any(k.startswith("$") for k in filter)
                  and not (isinstance(filter.get("_id"), dict) and "$in" in filter["_id"]))
        if not simple or self._is_oplog_rs(db, coll) or self._is_timeseries(db, coll):
            return original(self, db, coll, filter, **kw)
        assert filter is not None
        picked = newest_first_index(self, db, coll, filter)
        if picked is None:
            return original(self, db, coll, filter, **kw)
        name, field = picked
        self._refresh_read_snapshot()
        with self._lock:
            recordids = walk_prefix(self, db, coll, name, encode_value_directed(filter[field], 1) + COMPOUND_SEP)
            docs_cursor = self._cursor_optional(storage._doc_table_for(db, coll))
            out: list[dict[str, Any]] = []
            if docs_cursor is not None:
                for recordid in recordids:
                    docs_cursor.reset()
                    docs_cursor.set_key(db, coll, recordid)
                    if docs_cursor.search() != 0:
                        continue
                    doc = bson.decode(storage._unframe_doc_value(bytes(docs_cursor.get_value()))[1])
                    if matches(doc, filter, vars=kw.get("let")):
                        out.append(doc)
                        if len(out) == limit:
                            break
        return out

    storage.Storage.find_matching = find_matching


def main() -> None:
    _patch_id_point_lookup()
    _patch_newest_first_walk()
    from secantus.cli import main as secantus_main

    secantus_main()


if __name__ == "__main__":
    main()
