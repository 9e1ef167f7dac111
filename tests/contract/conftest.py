"""Contract tests: one suite per storage port, run against the in-memory fake and the MongoDB adapter.

A suite parametrises its `store` fixture over `"memory"` and `"mongo"`. The MongoDB adapter runs on
the embedded mongomock store in the unit tier (`make test`'s `unit`) and on a real MongoDB wire
server (SecantusDB, `TEST_MONGODB=secantusdb`) in the database tier, so the fake, the embedded
store and a real server are held to the same promises.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from common.db import Database, connect


@pytest.fixture
def mongo_db(mongodb_uri: str) -> Iterator[Database]:
    """A fresh database with the platform's indexes: mongomock, or a per-test database on the real server."""
    name = f"c{uuid.uuid4().hex[:12]}"
    db = connect(uri=mongodb_uri, name=name)
    db.ensure_indexes()
    yield db
    if not db.embedded:
        db._client.drop_database(name)
    db.close()
