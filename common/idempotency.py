"""`Idempotency-Key` for unsafe requests (IETF draft-ietf-httpapi-idempotency-key-header).

One record per (caller, method, path, key) in the `idempotency` collection:
`{_id, fingerprint, state: "running"|"done", status, body, content_type, expire_at}`.

- First request: the record is inserted as `running` (a unique `_id`, so two
  concurrent first requests cannot both run), the view runs, and a 2xx answer
  is stored. An error answer deletes the record, so the client may retry.
- Same key, same body: the stored answer is returned and the view does not
  run (nothing is written, no audit entry, no charge). `Idempotent-Replayed: true`.
- Same key, another body: 422 `idempotency_key_reused`.
- Same key while the first is still running: 409 `idempotency_key_in_use`.
Records expire after a day (TTL index).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

import flask
from pymongo.errors import DuplicateKeyError

from common import clock
from common.db import Database
from common.errors import AppError, Conflict, InvalidRequest

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the draft's sf-string allows


class IdempotencyKeyReused(AppError):
    """422 `idempotency_key_reused`: the key was already used with a different body
    (draft-ietf-httpapi-idempotency-key-header).
    """
    status, code = 422, "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request body."


def fingerprint(raw: bytes) -> str:
    """SHA-256 of the body; JSON bodies are compared by meaning (key order and spacing do not matter)."""
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


class Idempotency:
    """Idempotency-Key support for unsafe routes (draft-ietf-httpapi-idempotency-key-header): the first response per
    (scope, key) is stored for `ttl_s` seconds and replayed for a repeat with the same body; 422 for a different
    body, 409 `idempotency_key_in_use` (Retry-After) while the first request is still running.
    """
    def __init__(self, db: Database, *, ttl_s: int = 24 * 3600) -> None:
        self._db = db
        self._ttl_s = ttl_s

    def run(self, *, scope: str, key: str, body: bytes, call: Callable[[], flask.Response]) -> flask.Response:
        """Answer `call()` once per (scope, key); replays get the first answer without calling it."""
        if not _KEY.fullmatch(key):
            raise InvalidRequest("The Idempotency-Key must be 1-255 visible ASCII characters.", details={"field": HEADER})
        record_id = hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()
        print_ = fingerprint(body)
        coll = self._db.idempotency
        now = clock.now()
        try:
            coll.insert_one({"_id": record_id, "fingerprint": print_, "state": "running", "created_at": now,
                             "expire_at": now + timedelta(seconds=self._ttl_s)})
        except DuplicateKeyError:
            return self._replay(record_id, print_)
        try:
            response = call()
        except BaseException:
            coll.delete_one({"_id": record_id, "state": "running"})
            raise
        if 200 <= response.status_code < 300 and not response.is_streamed:
            coll.update_one({"_id": record_id}, {"$set": {
                "state": "done", "status": response.status_code, "body": response.get_data(),
                "content_type": response.headers.get("Content-Type", "application/json")}})
        else:
            coll.delete_one({"_id": record_id, "state": "running"})
        return response

    def _replay(self, record_id: str, print_: str) -> flask.Response:
        doc = self._db.idempotency.find_one({"_id": record_id})
        if doc is None:  # expired or given up between the insert and this read: the client may retry
            raise Conflict("A request with this Idempotency-Key just finished. Please retry.", code="idempotency_key_in_use")
        if doc["fingerprint"] != print_:
            raise IdempotencyKeyReused(details={"field": HEADER})
        if doc["state"] != "done":
            raise Conflict("A request with this Idempotency-Key is still being processed.", code="idempotency_key_in_use",
                           headers={"Retry-After": "1"})
        response = flask.Response(bytes(doc["body"]), status=int(doc["status"]), content_type=doc["content_type"])
        response.headers["Idempotent-Replayed"] = "true"
        return response
