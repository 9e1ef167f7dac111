"""openapi.json (from the declared routes) and the frontend's generated files (TypeScript types,
zod schemas) are never stale."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from scripts.gen_openapi import main

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_json_matches_the_declared_routes() -> None:
    assert main(["--check"]) == 0, "run `make openapi` and commit the result"


def test_generated_typescript_and_zod_match_openapi_json() -> None:
    node = shutil.which("node")
    assert node, "node is needed (make test installs the frontend's dependencies)"
    for generator in ("openapi-typescript", "@hey-api/openapi-ts"):
        assert (ROOT / "frontend" / "node_modules" / generator).is_dir(), "run `make frontend-deps`"
    result = subprocess.run([node, "scripts/gen-api.mjs", "--check"], cwd=ROOT / "frontend", capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr + result.stdout
