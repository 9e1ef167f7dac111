"""Contract tests: one suite per storage port, run against the in-memory fake and the MongoDB adapter.

A suite parametrises its `store` fixture over `"memory"` and `"mongo"`. The MongoDB adapter runs on
the embedded mongomock store in the unit tier (`make test`'s `unit`) and on a real MongoDB wire
server (SecantusDB, `TEST_MONGODB=secantusdb`) in the database tier, so the fake, the embedded
store and a real server are held to the same promises.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from common.db import Database, connect
from common.models.documents import Stored


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


def assert_stored(model: type[Stored], doc: dict[str, Any], *, store_assigned: frozenset[str] = frozenset()) -> None:
    """The strict half of the stored-document rule: every key `doc` holds is declared by `model` (or is one the
    database assigns, e.g. a ledger entry's `_id`), and every value validates. Fails the test otherwise."""
    unknown = set(doc) - model.stored_keys() - store_assigned
    assert not unknown, f"keys {model.__name__} does not declare: {sorted(unknown)}"
    model.model_validate({k: v for k, v in doc.items() if k not in store_assigned})
