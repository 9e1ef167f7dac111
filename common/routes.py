"""The path → function table (routes.json at the repository root), for Python readers.

routes.json is the one copy; the local router, the Nginx renderer, Terraform
and the frontend read the same file. `function_for` answers which function
serves a path, with the proxy's rules: exact paths, then the longest prefix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "routes.json"


@dataclass(frozen=True)
class PathRoute:
    """One row of routes.json (see its $comment for the flags)."""

    prefix: str
    function: str
    exact: bool = False
    internal: bool = False
    stream: bool = False
    media: bool = False
    comment: str = ""

    def matches(self, path: str) -> bool:
        """Whether this row serves `path` (an exact row: the path alone; a prefix row: the prefix and below)."""
        if self.exact:
            return path == self.prefix
        return path == self.prefix.rstrip("/") or path.startswith(self.prefix)


@lru_cache(maxsize=1)
def table() -> tuple[tuple[PathRoute, ...], str]:
    """The rows, longest prefix first, and the default function (the web app). Raises OSError/ValueError
    when routes.json is missing or malformed."""
    data = json.loads(TABLE_PATH.read_text())
    rows = tuple(PathRoute(**{k: v for k, v in row.items()}) for row in data["routes"])
    return tuple(sorted(rows, key=lambda r: (not r.exact, -len(r.prefix)))), str(data["default"])


def function_for(path: str) -> str:
    """The function that serves `path` (exact rows first, then the longest prefix, else the default)."""
    rows, default = table()
    for row in rows:
        if row.matches(path):
            return row.function
    return default


def functions() -> list[str]:
    """Every function named in the table, the default last, each once."""
    rows, default = table()
    names = list(dict.fromkeys(r.function for r in rows))
    return [*names, default] if default not in names else names
