"""openapi.json and the frontend's generated types are never stale."""

from __future__ import annotations

from scripts.gen_openapi import main


def test_openapi_and_typescript_types_are_up_to_date() -> None:
    assert main(["--check"]) == 0, "run `make openapi` and commit the result"
