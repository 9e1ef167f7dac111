"""The contract fixture itself: a fresh, indexed database per test (so suites cannot see each other's data)."""

from __future__ import annotations

from common.db import Database


def test_each_contract_test_gets_an_empty_indexed_database(mongo_db: Database) -> None:
    assert mongo_db.tasks.count_documents({}) == 0
    assert any("user_id" in str(ix["key"]) for ix in mongo_db.tasks.list_indexes())
