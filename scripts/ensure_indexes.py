"""`python -m scripts.ensure_indexes`: create every index the code relies on (`common.db.INDEXES`).

A deploy step (production runs it once per release, before traffic) and what the
local stack runs at start. Reads MONGODB_URI / MONGODB_DB like the services;
idempotent (MongoDB's createIndexes leaves an existing identical index alone).
Exits 1 with the server's message if an index cannot be created (e.g. a unique
index over existing duplicates).
"""

from __future__ import annotations

import os
import sys

import pymongo

from common.config import Settings
from common.db import connect


def ensure_indexes(uri: str, name: str) -> dict[str, list[str]]:
    """Create every index of `common.db.INDEXES` in database `name` at `uri`; {collection: [index names]}."""
    db = connect(uri=uri, name=name)
    try:
        return db.ensure_indexes()
    finally:
        db.close()


def main() -> int:
    # Only the two database variables: a deploy step need not carry a service's whole configuration
    # (Settings() would refuse ENV=production without its secrets).
    uri = os.environ.get("MONGODB_URI", "")
    name = os.environ.get("MONGODB_DB") or Settings.model_fields["MONGODB_DB"].default
    if not uri:
        print("MONGODB_URI is not set: the embedded store creates its indexes when it opens.")
        return 0
    try:
        for coll, names in ensure_indexes(uri, name).items():
            print(f"{coll}: {', '.join(names)}")
    except pymongo.errors.PyMongoError as exc:
        print(f"creating indexes failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
