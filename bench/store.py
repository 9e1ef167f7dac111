"""Does the store scale? POST → COMPLETED and the task list at 0 / 10k / 100k tasks (printed, never asserted).

`python -m bench.store` (make bench). For each store it runs two local stacks as
child processes, exactly as `make dev` runs them (`python -m localstack`,
SIM_DURATION_S=0): one whose store was seeded with N task documents (written
directly: a snapshot file for mongomock, `insert_many` for the wire server) and
one with an empty store, the baseline. Each measurement alternates between the
two (interleaved), so machine load hits both alike; the ratio is what counts.

Stores:
  mongomock+snapshot  the embedded store as it was (whole-DB JSON snapshot ~1 s after a change)
  secantusdb          SecantusDB wire server (WiredTiger, log synced at each commit), via MONGODB_URI

The loaded store also holds users with 100 / 1,000 / 5,000 tasks of their own:
`GET /api/ai/tasks?limit=24` for them, against a 24-task user of the empty store.

Knobs: BENCH_STORE_LEVELS (default "0,10000,100000"), BENCH_STORE_SAMPLES (15), BENCH_STORE_BUDGET_S
(60: per measurement, after 3 samples),
BENCH_STORES (default both).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
import requests
from bson import ObjectId, json_util

from bench.table import row
from common.db import connect
from localstack.mongo_server import MongoServer
from tests.stack_process import StackProcess

LEVELS = [int(x) for x in os.environ.get("BENCH_STORE_LEVELS", "0,10000,100000").split(",") if x.strip()]
# mongomock+snapshot with 100,000 tasks did not even start within 600 s here: by default it stops at 10,000.
MONGOMOCK_MAX = int(os.environ.get("BENCH_STORE_MONGOMOCK_MAX", "10000"))
SAMPLES = int(os.environ.get("BENCH_STORE_SAMPLES", "15"))
BUDGET_S = float(os.environ.get("BENCH_STORE_BUDGET_S", "60"))
STORES = os.environ.get("BENCH_STORES", "mongomock+snapshot,secantusdb").split(",")
HISTORIES = (100, 1_000, 5_000)
PASSWORD = "password-123"


def task_docs(n: int, user_ids: list[str], *, start: datetime) -> Iterator[dict[str, Any]]:
    """`n` COMPLETED image tasks shaped like `common.tasks.Tasks.insert` + `complete`, round-robin over users."""
    for i in range(n):
        user_id = user_ids[i % len(user_ids)]
        at = start + timedelta(milliseconds=i)
        task_id = str(ObjectId.from_datetime(at))[:8] + ObjectId().__str__()[8:]
        yield {
            "_id": task_id, "user_id": user_id, "type": "image", "status": "COMPLETED", "progress": 100,
            "prompt": f"seeded task {i}: a neon city at dusk", "params": {"aspect_ratio": "1:1"}, "provider": "sim",
            "result": {"object": f"media/{user_id}/{task_id}.png", "thumbnail_object": f"media/{user_id}/{task_id}.thumb.jpg",
                       "mime_type": "image/png", "bytes": 40_000, "width": 1024, "height": 1024, "duration_s": None},
            "error": None, "cost": {"credits": 0, "from_quota": True}, "created_at": at, "updated_at": at,
            "started_at": at, "completed_at": at, "deadline_at": at + timedelta(hours=1), "step": 1, "job": None,
            "lease_id": None, "lease_until": None, "attempts": 0, "refund": None,
        }


def seed_plan(n: int) -> tuple[list[tuple[str, int]], int]:
    """[(user_id, own tasks)] for the history users, and how many tasks go to 1,000 background users."""
    history = [(f"h{size}", size) for size in HISTORIES if size <= n]
    rest = max(0, n - sum(size for _, size in history))
    return history, rest


def all_docs(n: int) -> dict[str, list[dict[str, Any]]]:
    """The seeded collections: tasks, and the history users (password PASSWORD, email <id>@bench.example.com)."""
    from common.auth import hash_password

    start = datetime.now(UTC) - timedelta(days=30)
    history, rest = seed_plan(n)
    tasks: list[dict[str, Any]] = []
    for user_id, size in history:
        tasks += task_docs(size, [user_id], start=start)
    tasks += task_docs(rest, [f"bg{i}" for i in range(1000)], start=start + timedelta(days=1))
    hashed = hash_password(PASSWORD)
    users = [{"_id": user_id, "email": f"{user_id}@bench.example.com", "name": user_id, "password_hash": hashed, "role": "user",
              "credits": 0, "credit_keys": [], "disabled": False, "created_at": start, "updated_at": start}
             for user_id, _ in history]
    pricing = [{"_id": "pricing", "quotas": {"image": 1_000_000, "video": 1_000_000}}]  # the bench's own POSTs are free
    return {"tasks": tasks, "users": users, "settings": pricing}


class Store:
    """One store kind: how to seed it and which environment the stack gets."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.root = root
        self.servers: list[MongoServer] = []

    def prepare(self, name: str, n: int) -> dict[str, str]:
        data = self.root / name
        data.mkdir(parents=True)
        seed = {name: docs for name, docs in all_docs(n).items() if docs}
        if self.kind == "mongomock+snapshot":
            if seed:
                (data / "db.json").write_text(json_util.dumps(seed))
            return {"EMBEDDED_DB": "mongomock", "DB_SNAPSHOT": "true"}
        server = MongoServer(data_dir=data / "mongo", sync_on_commit=True).start()
        self.servers.append(server)
        connect(uri=server.uri, name="sora").ensure_indexes()  # as a deploy would, before the documents arrive
        client: Any = pymongo.MongoClient(server.uri)
        for coll, docs in seed.items():
            for i in range(0, len(docs), 5000):
                client.sora[coll].insert_many(docs[i:i + 5000], ordered=False)
        client.close()
        return {"MONGODB_URI": server.uri, "MONGODB_DB": "sora"}

    def close(self) -> None:
        for server in self.servers:
            server.stop()


class Client:
    """A user of one stack: a new account, or a seeded one (`email`)."""

    def __init__(self, stack: StackProcess, email: str | None = None) -> None:
        self.base = stack.url
        self.http = requests.Session()
        if email:
            r = self.http.post(f"{self.base}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=60)
        else:
            email = f"b{uuid.uuid4().hex[:10]}@example.com"
            r = self.http.post(f"{self.base}/api/auth/register", json={"email": email, "password": PASSWORD}, timeout=60)
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"

    def post_to_completed(self) -> float:
        t0 = time.perf_counter()
        r = self.http.post(f"{self.base}/api/ai/image", json={"prompt": "bench"}, timeout=60)
        r.raise_for_status()
        task_id = r.json()["id"]
        deadline = time.monotonic() + 120
        while True:
            status = self.http.get(f"{self.base}/api/ai/tasks/{task_id}", timeout=60).json()["status"]
            if status in ("COMPLETED", "FAILED"):
                return time.perf_counter() - t0
            if time.monotonic() > deadline:
                raise RuntimeError(f"task {task_id} still {status} after 120 s")
            time.sleep(0.005)

    def list_page(self) -> float:
        t0 = time.perf_counter()
        r = self.http.get(f"{self.base}/api/ai/tasks", params={"limit": 24}, timeout=60)
        r.raise_for_status()
        return time.perf_counter() - t0


def interleaved(ours: Callable[[], float], base: Callable[[], float], n: int) -> tuple[float, float]:
    """Medians of up to `n` alternating samples of each (ours, then base, ...): at least 3, then
    no new pair once BUDGET_S has passed, so a store that has stopped scaling still ends in bounded time."""
    a, b = [], []
    t0 = time.monotonic()
    for i in range(n):
        if i >= 3 and time.monotonic() - t0 > BUDGET_S:
            break
        a.append(ours())
        b.append(base())
    return statistics.median(a), statistics.median(b)


@contextmanager
def stacks(store: Store, n: int) -> Iterator[tuple[StackProcess, StackProcess, float]]:
    loaded_env = store.prepare(f"loaded-{n}", n)
    empty_env = store.prepare(f"empty-{n}", 0)
    common = {"SIM_DURATION_S": "0", "POLL_INTERVAL_S": "0.05", "LOG_LEVEL": "WARNING"}
    t0 = time.perf_counter()
    loaded = StackProcess(store.root / f"loaded-{n}", **{**common, **loaded_env}).start(timeout_s=600)  # type: ignore[arg-type]
    started_s = time.perf_counter() - t0
    empty = StackProcess(store.root / f"empty-{n}", **{**common, **empty_env}).start(timeout_s=600)  # type: ignore[arg-type]
    try:
        yield loaded, empty, started_s
    except Exception:
        print(f"--- loaded stack log ---\n{loaded.log_tail()}\n--- empty stack log ---\n{empty.log_tail()}", flush=True)
        raise
    finally:
        loaded.stop()
        empty.stop()


def fmt(ours: float, base: float) -> str:
    return f"{ours * 1000:8.1f} ms  vs empty {base * 1000:8.1f} ms  = {ours / base:5.2f}x"


def table_row(measure: str, ours: float, base: float) -> None:
    row(measure, f"{ours * 1000:.1f} ms", f"{base * 1000:.1f} ms (empty store)", f"{ours / base:.2f}x")


def bench_store(kind: str) -> None:
    root = Path(tempfile.mkdtemp(prefix=f"bench-store-{kind.replace('+', '-')}-"))
    store = Store(kind, root)
    try:
        print(f"\n{kind}", flush=True)
        for n in LEVELS:
            if kind == "mongomock+snapshot" and n > MONGOMOCK_MAX:
                print(f"  {n:>7,} tasks: skipped (BENCH_STORE_MONGOMOCK_MAX={MONGOMOCK_MAX}; at 100,000 the stack did not"
                      " start within 600 s)", flush=True)
                continue
            t0 = time.perf_counter()
            with stacks(store, n) as (loaded, empty, started_s):
                seeded_s = time.perf_counter() - t0
                ours, base = Client(loaded), Client(empty)
                for c in (ours, base):  # warm-up, and a page of own tasks for the list
                    c.post_to_completed()
                done = interleaved(ours.post_to_completed, base.post_to_completed, SAMPLES)
                listed = interleaved(ours.list_page, base.list_page, SAMPLES)
                print(f"  {n:>7,} tasks (seed + start {seeded_s:5.1f} s, stack start {started_s:5.1f} s)", flush=True)
                print(f"    POST -> COMPLETED  {fmt(*done)}", flush=True)
                print(f"    list ?limit=24     {fmt(*listed)}", flush=True)
                table_row(f"{kind}: POST -> COMPLETED, {n:,} tasks in the store", *done)
                table_row(f"{kind}: GET /api/ai/tasks?limit=24, {n:,} tasks in the store", *listed)
                if n == max(LEVELS) and n:
                    for user_id, size in seed_plan(n)[0]:
                        heavy = Client(loaded, f"{user_id}@bench.example.com")
                        own = interleaved(heavy.list_page, base.list_page, SAMPLES)
                        print(f"    list, user with {size:>5,} tasks  {fmt(*own)}", flush=True)
                        table_row(f"{kind}: task list of a user with {size:,} tasks ({n:,} in the store)", *own)
    finally:
        store.close()
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the `finally`s: stacks, servers, temp dirs
    print(f"Store scaling (SIM_DURATION_S=0; medians of {SAMPLES} interleaved samples; ratio = loaded / empty store)")
    for kind in STORES:
        bench_store(kind.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
