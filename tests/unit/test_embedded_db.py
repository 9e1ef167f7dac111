"""The embedded store keeps MongoDB's promise: one compare-and-set has one winner.

mongomock evaluates find_one_and_update as a find followed by an update; with
threads switching often, unwrapped mongomock lets several threads take the same
last credit (measured: 225 of 300 trials). The Database wrapper must not.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import mongomock
import pytest
from pymongo import ReturnDocument

from common.db import Database


@pytest.fixture
def eager_thread_switching() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def _winners_of_the_last_credit(db: Database, threads: int = 16) -> tuple[int, int]:
    coll = db.collection("users")
    coll.insert_one({"_id": "u", "credits": 1})
    wins: list[int] = []
    barrier = threading.Barrier(threads)

    def take() -> None:
        barrier.wait()
        taken = coll.find_one_and_update({"_id": "u", "credits": {"$gte": 1}}, {"$inc": {"credits": -1}},
                                         return_document=ReturnDocument.AFTER)
        if taken is not None:
            wins.append(1)

    workers = [threading.Thread(target=take) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(wins), int(coll.find_one({"_id": "u"})["credits"])


@pytest.mark.usefixtures("eager_thread_switching")
def test_concurrent_compare_and_set_has_exactly_one_winner() -> None:
    for _ in range(50):
        db = Database(mongomock.MongoClient()["x"], embedded=True)
        assert _winners_of_the_last_credit(db) == (1, 0)
