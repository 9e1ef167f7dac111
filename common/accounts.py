"""Account self-service: password change and reset, logout, developer API tokens, usage history.

Session tokens (JWTs) carry the user's `token_version` as the claim `ver`;
`AuthService.user_from_token` accepts a token only while the user's version
is unchanged. Logout, a password change or reset, and an admin disable or
enable each increment the version, so every session token issued before
stops working at once, and re-enabling a user does not revive old ones.

Developer API tokens (`sora_<43 url-safe chars>`, 256 random bits) are
stored as SHA-256 hashes (a high-entropy secret needs no slow hash, OWASP
Password Storage Cheat Sheet); the plain token is in the create answer only.
They authenticate `/api/ai/*` only (see `common.http.authenticate`). A
password reset or an admin disable revokes them all; a password change by
the signed-in user does not (they are revoked one by one on the Account page).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from bson import ObjectId
from pymongo import ReturnDocument

from common import clock
from common.accounting import LedgerStore
from common.db import Database
from common.errors import Conflict, InvalidRequest, NotFound, Unauthorized
from common.ids import plausible_id
from common.mailer import Mail, Mailer
from common.models import ApiTokenCreated, ApiTokenInfo, UsageEntry
from common.models.users import LedgerEntry

log = logging.getLogger(__name__)

API_TOKEN_PREFIX = "sora_"  # noqa: S105 - a public prefix, not a secret
MAX_API_TOKENS = 20
RESET_TTL_S = 3600


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class AccountService:
    """Account self-service beyond sign-in: password change and reset by mailed link, and developer API tokens
    (`sora_` prefix, stored as SHA-256 hashes, shown once).
    """
    def __init__(self, *, db: Database, ledger: LedgerStore, mailer: Mailer, public_base_url: str,
                 reset_ttl_s: int = RESET_TTL_S) -> None:
        self._db = db
        self._ledger = ledger
        self._mailer = mailer
        self._base = public_base_url.rstrip("/")
        self._reset_ttl_s = reset_ttl_s

    # ---- sessions -----------------------------------------------------------------

    def retire_sessions(self, user_id: str) -> None:
        """Every session token issued to the user so far stops working (logout, password change, disable)."""
        self._db.users.update_one({"_id": user_id}, {"$inc": {"token_version": 1}, "$set": {"updated_at": clock.now()}})

    def change_password(self, *, user: dict[str, Any], current: str, new: str) -> None:
        """Check `current`, store `new`, retire every session token. 401 invalid_credentials on a wrong current one."""
        from common.auth import hash_password, password_matches

        if not password_matches(user.get("password_hash"), current):
            raise Unauthorized("The current password is wrong.", code="invalid_credentials")
        if current == new:
            raise InvalidRequest("The new password must differ from the current one.", details={"field": "new_password"})
        self._db.users.update_one(
            {"_id": user["_id"]},
            {"$set": {"password_hash": hash_password(new), "updated_at": clock.now()}, "$inc": {"token_version": 1}},
        )
        log.info("password changed", extra={"user_id": user["_id"]})

    # ---- password reset -----------------------------------------------------------

    def request_reset(self, email: str) -> None:
        """Mail a one-time reset link if an enabled account has this email. Says nothing either way."""
        user = self._db.users.find_one({"email": email.strip().lower()})
        if user is None or user.get("disabled"):
            log.info("password reset requested for no enabled account")
            return
        token = secrets.token_urlsafe(32)
        now = clock.now()
        self._db.password_resets.insert_one({
            "_id": _sha256(token), "user_id": user["_id"], "created_at": now,
            "expires_at": now + timedelta(seconds=self._reset_ttl_s), "used_at": None,
        })
        link = f"{self._base}/reset-password?token={quote(token)}"
        minutes = self._reset_ttl_s // 60
        try:
            self._mailer.send(Mail(
                to=user["email"], subject="Reset your Sora Studio password",
                text=(f"Someone (hopefully you) asked to reset the password of your Sora Studio account.\n\n"
                      f"Open this link within {minutes} minutes to choose a new password:\n{link}\n\n"
                      "If it was not you, ignore this mail: your password stays as it is."),
            ))
        except Exception:
            log.exception("password reset mail failed", extra={"user_id": user["_id"]})

    def confirm_reset(self, *, token: str, new_password: str) -> None:
        """Spend a reset token once: new password, sessions retired, API tokens revoked. 400 for a bad/used/old token."""
        from common.auth import hash_password

        now = clock.now()
        reset = self._db.password_resets.find_one_and_update(
            {"_id": _sha256(token), "used_at": None, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}}, return_document=ReturnDocument.AFTER,
        )
        if reset is None:
            raise InvalidRequest("This reset link is not valid any more. Ask for a new one.",
                                 code="invalid_token", details={"field": "token"})
        user_id = reset["user_id"]
        updated = self._db.users.update_one(
            {"_id": user_id, "disabled": {"$ne": True}},
            {"$set": {"password_hash": hash_password(new_password), "updated_at": now}, "$inc": {"token_version": 1}},
        )
        if updated.matched_count != 1:
            raise InvalidRequest("This reset link is not valid any more. Ask for a new one.",
                                 code="invalid_token", details={"field": "token"})
        self.revoke_all_api_tokens(user_id)
        # Other outstanding links for this account die with this one.
        self._db.password_resets.update_many({"user_id": user_id, "used_at": None}, {"$set": {"used_at": now}})
        log.info("password reset", extra={"user_id": user_id})

    # ---- developer API tokens -----------------------------------------------------

    def create_api_token(self, *, user_id: str, name: str) -> ApiTokenCreated:
        """Create a developer API token named `name`; the answer carries the token itself, the only time it is shown.
        Raises Conflict (409) when the user already has MAX_API_TOKENS active tokens.
        """
        if self._db.api_tokens.count_documents({"user_id": user_id, "revoked_at": None}) >= MAX_API_TOKENS:
            raise Conflict(f"You have {MAX_API_TOKENS} tokens already; revoke one first.")
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = clock.now()
        doc = {"_id": str(ObjectId()), "user_id": user_id, "name": name, "hash": _sha256(token), "last4": token[-4:],
               "created_at": now, "last_used_at": None, "revoked_at": None}
        self._db.api_tokens.insert_one(doc)
        log.info("api token created", extra={"user_id": user_id, "token_id": doc["_id"]})
        return ApiTokenCreated(id=doc["_id"], name=name, token=token, created_at=now)

    def list_api_tokens(self, user_id: str) -> list[ApiTokenInfo]:
        """The user's active tokens, newest first: id, name, last 4 characters, created/last used times (never the token)."""
        docs = self._db.api_tokens.find({"user_id": user_id, "revoked_at": None}, sort=[("_id", -1)], limit=MAX_API_TOKENS)
        return [ApiTokenInfo(id=d["_id"], name=d["name"], last4=d["last4"], created_at=clock.as_utc(d["created_at"]),
                             last_used_at=clock.as_utc(d["last_used_at"]) if d.get("last_used_at") else None) for d in docs]

    def revoke_api_token(self, *, user_id: str, token_id: str) -> None:
        """Revoke the user's token `token_id` at once. Raises NotFound (404) for an unknown, revoked or another user's token."""
        done = self._db.api_tokens.update_one({"_id": token_id, "user_id": user_id, "revoked_at": None},
                                              {"$set": {"revoked_at": clock.now()}}) if plausible_id(token_id) else None
        if done is None or done.matched_count != 1:
            raise NotFound("Token not found.")

    def revoke_all_api_tokens(self, user_id: str) -> None:
        self._db.api_tokens.update_many({"user_id": user_id, "revoked_at": None}, {"$set": {"revoked_at": clock.now()}})

    def user_for_api_token(self, token: str) -> dict[str, Any]:
        """The enabled owner of a live API token, or 401. Records `last_used_at` (at most once a minute)."""
        invalid = Unauthorized("This API token is not valid (revoked or mistyped).")
        if len(token) > 100:
            raise invalid
        doc = self._db.api_tokens.find_one({"hash": _sha256(token), "revoked_at": None})
        if doc is None:
            raise invalid
        user = self._db.users.find_one({"_id": doc["user_id"]})
        if user is None or user.get("disabled"):
            raise invalid
        now = clock.now()
        last = doc.get("last_used_at")
        if last is None or clock.as_utc(last) < now - timedelta(minutes=1):
            self._db.api_tokens.update_one({"_id": doc["_id"]}, {"$set": {"last_used_at": now}})
        return user

    # ---- usage --------------------------------------------------------------------

    def usage(self, *, user_id: str, limit: int, cursor: str | None) -> tuple[list[UsageEntry], str | None]:
        """One page of the user's own credit ledger, newest first, and the next cursor (the ledger store's keyset).
        Raises InvalidRequest for a bad cursor."""
        entries, next_cursor = self._ledger.entries(user_id=user_id, limit=limit, cursor=cursor)
        return [_usage_entry(e) for e in entries], next_cursor


def _usage_entry(entry: LedgerEntry) -> UsageEntry:
    prefix = entry.key.split(":", 1)[0]
    kind = {"charge": "charge", "refund": "refund", "order": "purchase", "admin": "adjustment",
            "order-refund": "refund"}.get(prefix, "other")
    meta = entry.meta
    return UsageEntry(at=clock.as_utc(entry.created_at), kind=kind, amount=entry.delta,
                      reason=entry.reason, task_id=meta.get("task_id"), order_id=meta.get("order_id"))
