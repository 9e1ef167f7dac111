"""The database on a real MongoDB wire server (SecantusDB): hot queries use indexes (crash safety: test_db_server_lifecycle.py).

The explain() tests need a real server's planner: they run in the database tier
(`make test-db`, TEST_MONGODB=secantusdb) and are skipped on the embedded store.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pymongo
import pytest
from bson import ObjectId

from common import clock
from common.db import INDEXES, Database, connect, newest_first


@pytest.fixture
def db(mongodb_uri: str) -> Iterator[Database]:
    if not mongodb_uri:
        pytest.skip("explain() needs a real MongoDB wire server (make test-db)")
    name = f"x{uuid.uuid4().hex[:12]}"
    database = connect(uri=mongodb_uri, name=name)
    database.ensure_indexes()
    yield database
    database._client.drop_database(name)
    database.close()


def stages(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stage of a winning plan, depth first."""
    out = [plan]
    for key in ("inputStage", "queryPlan"):
        if isinstance(plan.get(key), dict):
            out += stages(plan[key])
    for child in plan.get("inputStages", []):
        out += stages(child)
    return out


def index_used(coll: Any, query: dict[str, Any], sort: list[tuple[str, int]] | None = None) -> str:
    """The name of the index the winning plan scans; fails on a collection scan."""
    cursor = coll.find(query)
    if sort:
        cursor = cursor.sort(sort)
    plan = cursor.limit(25).explain()["queryPlanner"]["winningPlan"]
    kinds = [s.get("stage") for s in stages(plan)]
    assert "COLLSCAN" not in kinds, plan
    names = [s["indexName"] for s in stages(plan) if s.get("stage") in ("IXSCAN", "IDHACK", "EXPRESS_IXSCAN")
             or "indexName" in s]
    assert names or "IDHACK" in kinds or "EXPRESS_IXSCAN" in kinds, plan
    return names[0] if names else "_id_"


def seed(db: Database) -> None:
    now = clock.now()
    for i in range(40):
        db.tasks.insert_one({"_id": str(ObjectId()), "user_id": f"u{i % 4}", "status": "COMPLETED",
                             "type": "image", "created_at": now, "updated_at": now, "deadline_at": now, "refund": None})
        db.orders.insert_one({"_id": str(ObjectId()), "user_id": f"u{i % 4}", "status": "PAID",
                              "fulfilled": True, "created_at": now})


def test_every_hot_query_uses_an_index(db: Database) -> None:
    seed(db)
    now = clock.now()
    some_ids = [d["_id"] for d in db.tasks.find({"user_id": "u1"}, limit=3)]
    by_status = ("status_newest", "status_1_updated_at_1", "status_1_deadline_at_1", "status_1_refund_1")  # any one
    checks: list[tuple[str | tuple[str, ...], Any, dict[str, Any], list[tuple[str, int]] | None]] = [
        # the user's gallery (newest first, keyset page) and the poll by ids
        ("user_newest", db.tasks, {"user_id": "u1"}, [("_id", -1)]),
        ("user_newest", db.tasks, {"user_id": "u1", "_id": {"$lt": some_ids[0]}}, [("_id", -1)]),
        ("user_newest", db.tasks, {"user_id": "u1", "_id": {"$in": some_ids}}, [("_id", -1)]),
        # admin task list by status; the overdue sweep; admin stats
        (by_status, db.tasks, {"status": "FAILED"}, [("_id", -1)]),
        (by_status, db.tasks, {"status": "PENDING", "deadline_at": {"$lt": now}}, [("deadline_at", 1)]),
        (by_status, db.tasks, {"status": "GENERATING", "updated_at": {"$lt": now}}, [("updated_at", 1)]),
        (by_status, db.tasks, {"status": "FAILED", "refund": "pending"}, None),
        ("created_at_-1", db.tasks, {"created_at": {"$gte": now - timedelta(days=1)}}, None),
        # orders: own list, admin list by status
        ("user_newest", db.orders, {"user_id": "u2"}, [("_id", -1)]),
        ("status_newest", db.orders, {"status": "PAID"}, [("_id", -1)]),
        # chats, ledger, quota, secrets, users
        ("user_id_1_updated_at_-1__id_-1", db.conversations, {"user_id": "u1"}, [("updated_at", -1), ("_id", -1)]),
        ("conversation_id_1_created_at_-1__id_-1", db.messages, {"conversation_id": "c1"},
         [("created_at", -1), ("_id", -1)]),
        ("key_1", db.ledger, {"key": "order:x"}, None),
        ("email_1", db.users, {"email": "a@b.c"}, None),
        ("name_1_version_-1", db.secrets, {"name": "jwt"}, [("version", -1)]),
    ]
    for expected, coll, query, sort in checks:
        used = index_used(coll, query, sort)
        assert used in ((expected,) if isinstance(expected, str) else expected), (coll.name, query, used)
    # point reads by _id (tasks, quota documents, users, orders, login attempts)
    for coll in (db.tasks, db.quota_usage, db.users, db.orders, db.login_attempts):
        assert "COLLSCAN" not in [s.get("stage") for s in stages(
            coll.find({"_id": "x"}).explain()["queryPlanner"]["winningPlan"])]


def test_every_declared_index_exists_after_ensure_indexes(db: Database) -> None:
    for name, models in INDEXES.items():
        have = {ix["name"] for ix in db.collection(name).list_indexes()}
        assert {m.document["name"] for m in models} <= have, name


def test_list_page_is_newest_first_on_the_server(db: Database) -> None:
    seed(db)
    docs, cursor = newest_first(db.tasks, {"user_id": "u3"}, limit=4, cursor=None)
    rest, _ = newest_first(db.tasks, {"user_id": "u3"}, limit=20, cursor=cursor)
    ids = [d["_id"] for d in docs + rest]
    assert ids == sorted(ids, reverse=True) and len(ids) == 10


def test_newest_first_pages_match_a_reference_on_random_data(db: Database) -> None:
    """The server's answer for the list shapes (our index walk on SecantusDB) equals a plain Python evaluation."""
    rng = random.Random(7)
    docs = [{"_id": str(ObjectId()), "user_id": f"u{rng.randrange(3)}", "status": rng.choice(["PENDING", "COMPLETED", "FAILED"]),
             "type": rng.choice(["image", "video"])} for _ in range(300)]
    rng.shuffle(docs)
    db.tasks.insert_many(docs)
    ids = sorted(d["_id"] for d in docs)
    queries: list[dict[str, Any]] = [{"user_id": "u1"}, {"user_id": "u2", "status": "FAILED"},
                                     {"user_id": "u0", "type": "video", "status": "COMPLETED"},
                                     {"user_id": "u1", "_id": {"$lt": ids[150]}}, {"user_id": "nobody"},
                                     {"user_id": "u0", "_id": {"$in": ids[::7]}}]
    for query in queries:
        for limit in (1, 5, 25, 1000):
            got = [d["_id"] for d in db.tasks.find(query, sort=[("_id", -1)], limit=limit)]
            want = sorted((d["_id"] for d in docs if all(
                d[k] == v if not isinstance(v, dict) else (d[k] < v["$lt"] if "$lt" in v else d[k] in v["$in"])
                for k, v in query.items())), reverse=True)[:limit]
            assert got == want, (query, limit)


def test_the_index_deploy_step_runs_as_a_module(mongodb_uri: str) -> None:
    """`python -m scripts.ensure_indexes`: what a deploy (and the local stack) runs; idempotent."""
    if not mongodb_uri:
        pytest.skip("needs a MongoDB wire server (make test-db)")
    name = f"x{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "MONGODB_URI": mongodb_uri, "MONGODB_DB": name}
    try:
        for _ in range(2):
            done = subprocess.run([sys.executable, "-m", "scripts.ensure_indexes"], env=env, capture_output=True,
                                  text=True, timeout=120, cwd=Path(__file__).resolve().parents[2])
            assert done.returncode == 0, done.stderr
            assert "tasks: " in done.stdout and "user_newest" in done.stdout
    finally:
        client: Any = pymongo.MongoClient(mongodb_uri)
        client.drop_database(name)
        client.close()
