"""The SecantusDB server the stack embeds: a crash loses no acknowledged write, a failed start says so.

These start their own servers, so they run once (integration tier), not again in the database tier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pymongo
import pytest

from localstack.mongo_server import MongoServer


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    """WiredTiger's journal, synced at each commit: every acknowledged write is back after SIGKILL.

    (Without `sync_on_commit` the server acknowledges before its log is written:
    measured here, 10 of 200 inserts lost to a kill -9; with 20 it failed 3 runs of 3.)
    """
    server = MongoServer(data_dir=tmp_path / "db", sync_on_commit=True).start()
    client: Any = pymongo.MongoClient(server.uri)
    try:
        coll = client.crash.items
        for i in range(20):  # the writes at risk are the last ones before the kill
            coll.insert_one({"_id": i})
            coll.update_one({"_id": i}, {"$set": {"v": i}})
        coll.find_one_and_update({"_id": 7}, {"$set": {"v": "last"}})
        client.close()  # first: closing after the kill would wait 30 s (server selection) to end its sessions
        server.kill()
        server = MongoServer(data_dir=tmp_path / "db", port=server.port, sync_on_commit=True).start()
        client = pymongo.MongoClient(server.uri)
        coll = client.crash.items
        assert coll.count_documents({}) == 20
        assert coll.count_documents({"v": {"$exists": True}}) == 20
        assert coll.find_one({"_id": 7})["v"] == "last"
    finally:
        client.close()
        server.stop()


def test_a_server_that_cannot_start_fails_loudly(tmp_path: Path) -> None:
    first = MongoServer(data_dir=tmp_path / "db").start()
    try:  # WiredTiger locks its directory: a second server on it exits, and start() says so
        with pytest.raises(RuntimeError, match="secantusdb"):
            MongoServer(data_dir=tmp_path / "db").start(timeout_s=20)
    finally:
        first.stop()
