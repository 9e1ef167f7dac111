"""Write openapi.json from the registered routes, then the frontend's types from openapi.json.

`python -m scripts.gen_openapi` (make openapi) writes openapi.json; `--check`
exits 1 when it is stale (tests/unit/test_generated_files.py runs that). Every
route is declared once, on its view (`Api.route(..., body=, query=, response=)`
in functions/*.py); the functions come from routes.json. The TypeScript side
(frontend/src/api/schema.d.ts + generated.ts) is made from openapi.json by
openapi-typescript (`npm run gen:api` in frontend/, which make openapi runs).
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from common.http import RouteSpec
from common.models import SCHEMA_MODELS, Strict
from common.routes import functions

ROOT = Path(__file__).resolve().parent.parent
OPENAPI = ROOT / "openapi.json"
ERROR = {"description": "Error (API.md)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}}


def route_specs() -> list[RouteSpec]:
    """Every public route of every function in routes.json, in registration order."""
    specs: list[RouteSpec] = []
    for name in functions():
        specs += [s for s in importlib.import_module(f"functions.{name}").api.specs() if not s.internal]
    return specs


def _mode(model: type[BaseModel]) -> str:
    return "validation" if issubclass(model, Strict) else "serialization"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(spec: RouteSpec) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": f"{spec.function}_{spec.view.__name__}", "summary": spec.summary, "tags": [spec.function]}
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"<(?:[^:>]+:)?([^>]+)>", spec.path)]
    if spec.query is not None:
        params += _query_parameters(spec.query)
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(spec.body)}}}
    elif spec.upload:
        op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [spec.upload],
            "properties": {spec.upload: {"type": "string", "format": "binary"}}}}}}
    content: dict[str, Any] = {}
    if isinstance(spec.response, tuple):
        content["application/json"] = {"schema": {"anyOf": [_ref(m) for m in spec.response]}}
    elif spec.response is not None:
        content["application/json"] = {"schema": _ref(spec.response)}
    for media_type in spec.produces:
        content[media_type] = {"schema": {"type": "string"}} if media_type.startswith("text/") else \
            {"schema": {"type": "string", "format": "binary"}}
    ok: dict[str, Any] = {"description": "OK"}
    if content:
        ok["content"] = content
    op["responses"] = {str(spec.status): ok, "default": ERROR}
    op["security"] = [] if spec.auth == "public" else [{"bearerAuth": []}]
    if spec.auth == "admin":
        op["x-role"] = "admin"
    return op


def build_openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every public route, with the shared schemas as components."""
    specs = route_specs()
    models: dict[str, type[BaseModel]] = {m.__name__: m for m in SCHEMA_MODELS}
    for spec in specs:
        responses = spec.response if isinstance(spec.response, tuple) else (spec.response,)
        for model in (spec.body, *responses):
            if model is not None:
                models.setdefault(model.__name__, model)
    _, schema = models_json_schema([(m, _mode(m)) for m in models.values()],  # type: ignore[misc]
                                   ref_template="#/components/schemas/{model}")
    paths: dict[str, Any] = {}
    for spec in specs:
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", spec.path)
        for method in spec.methods:
            if method == "HEAD":
                continue
            paths.setdefault(path, {})[method.lower()] = _operation(spec)
    return {
        "openapi": "3.1.0", "info": {"title": "Sora Studio API", "version": "1"}, "paths": paths,
        "components": {"schemas": schema.get("$defs", {}), "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer",
                           "description": "A session JWT (sign-in), or a developer API token (sora_…) on /api/ai/*"}}},
    }


def main(argv: list[str]) -> int:
    """Write openapi.json, or with `--check` exit 1 when it differs from what the routes declare."""
    text = json.dumps(build_openapi(), indent=2, sort_keys=True) + "\n"
    if "--check" in argv:
        if not OPENAPI.exists() or OPENAPI.read_text() != text:
            print("stale generated file (run `make openapi`): openapi.json")
            return 1
        return 0
    OPENAPI.write_text(text)
    print(f"wrote {OPENAPI.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
