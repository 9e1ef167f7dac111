"""Schemathesis against the generated openapi.json: every public operation, bounded and deterministic.

For each operation, Hypothesis (derandomized: the same cases every run) generates
EXAMPLES requests from the document (path and query parameters, JSON and
multipart bodies) and sends them with a user's token (an admin's on admin
routes). Each answer must not be a server error and must match the document:
its content type and, for JSON, its schema (the error shape included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.conftest import Stack
from tests.integration.test_admin import admin_token

OPENAPI = Path(__file__).resolve().parents[2] / "openapi.json"
EXAMPLES = 6
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
# Operations that end the session they run with go last, so the others run signed in.
LAST = ("/api/auth/logout", "/api/auth/password")


def _operations() -> list[Any]:
    schema = schemathesis.openapi.from_dict(json.loads(OPENAPI.read_text()))
    ops = [result.ok() for result in schema.get_all_operations()]
    return sorted(ops, key=lambda op: (op.path in LAST, op.path, op.method))


def test_the_api_holds_its_openapi_document(stack: Stack) -> None:
    user, admin = stack.register(), admin_token(stack)
    failures: list[str] = []
    operations = _operations()
    assert len(operations) > 30, "the document lists the routes"
    for operation in operations:
        token = admin if operation.path.startswith("/api/admin/") else user
        try:
            _fuzz(operation, base_url=stack.url, headers={"Authorization": f"Bearer {token}"})
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def _fuzz(operation: Any, *, base_url: str, headers: dict[str, str]) -> None:
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    run()
