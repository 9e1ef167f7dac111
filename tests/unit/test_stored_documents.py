"""The one rule for stored documents: tolerant reads, strict writes and strict contract suites."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from common.models.core import Role
from common.models.users import LedgerEntry, UserDocument
from tests.contract.conftest import assert_stored

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
USER: dict[str, Any] = {"_id": "u1", "email": "u1@example.com", "name": "u", "password_hash": "x", "role": Role.USER,
                        "credits": 3, "credit_keys": [], "created_at": NOW, "updated_at": NOW}


LEDGER: dict[str, Any] = {"_id": "x", "key": "order:o1", "user_id": "u1", "delta": 5, "reason": "purchase", "meta": {},
                          "balance_after": 5, "created_at": NOW}


@pytest.mark.parametrize(("model", "doc", "assigned"), [
    (UserDocument, USER, frozenset()),
    (LedgerEntry, LEDGER, frozenset({"_id"})),  # the database assigns a ledger entry's _id
])
def test_a_key_from_another_release_never_fails_a_read_but_fails_the_contract_check(
        model: Any, doc: dict[str, Any], assigned: frozenset[str]) -> None:
    with_extra = {**doc, "legacy_flag": True}
    assert model.from_stored(with_extra) == model.from_stored(doc)
    assert_stored(model, doc, store_assigned=assigned)
    with pytest.raises(AssertionError, match="legacy_flag"):
        assert_stored(model, with_extra, store_assigned=assigned)


def test_a_misspelt_field_fails_when_a_service_builds_a_document_to_write() -> None:
    with pytest.raises(ValidationError):
        UserDocument.model_validate({**USER, "credit": 3})
    with pytest.raises(ValidationError):
        UserDocument.from_stored({**USER, "credits": "lots"})  # a declared field stays checked on read
