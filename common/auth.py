"""Accounts and sessions: argon2id passwords, HS256 JWTs (exp/iss/aud), roles, login throttling."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from common import clock
from common.accounting import Accounting
from common.db import Database
from common.errors import Conflict, Forbidden, Unauthorized
from common.models import Quota, QuotaState, Role, User
from common.throttle import LoginThrottle

log = logging.getLogger(__name__)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps a login for an unknown email as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AuthService:
    def __init__(
        self,
        *,
        db: Database,
        accounting: Accounting,
        jwt_key: Callable[[], str],
        issuer: str,
        audience: str,
        ttl_s: int,
        throttle: LoginThrottle,
    ) -> None:
        self._db = db
        self._accounting = accounting
        self._jwt_key = jwt_key
        self._issuer = issuer
        self._audience = audience
        self._ttl_s = ttl_s
        self._throttle = throttle

    # ---- accounts -----------------------------------------------------------------

    def register(self, *, email: str, password: str, name: str | None, role: Role = Role.USER, credits: int = 0) -> dict[str, Any]:
        email = email.strip().lower()
        now = clock.now()
        doc: dict[str, Any] = {
            "_id": str(ObjectId()),
            "email": email,
            "name": (name or email.split("@")[0]).strip()[:80],
            "password_hash": _hasher.hash(password),
            "role": role.value,
            "credits": credits,
            "credit_keys": [],
            "disabled": False,
            "created_at": now,
            "updated_at": now,
        }
        try:
            self._db.users.insert_one(doc)
        except DuplicateKeyError:
            raise Conflict("An account with this email already exists. Sign in instead.", code="email_taken") from None
        log.info("user registered", extra={"user_id": doc["_id"]})
        return doc

    def login(self, *, email: str, password: str, client_ip: str = "unknown") -> dict[str, Any]:
        """The user whose password this is. 401 `invalid_credentials`; 429 `rate_limited` while throttled
        (the attempt is counted before the password is checked: see common/throttle.py)."""
        email = email.strip().lower()
        reservation = self._throttle.reserve(email=email, ip=client_ip)
        user = self._db.users.find_one({"email": email})
        try:
            ok: bool = _hasher.verify(user["password_hash"] if user and user.get("password_hash") else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:
            raise Unauthorized("Wrong email or password.", code="invalid_credentials")
        if user.get("disabled"):
            raise Forbidden("This account is disabled. Contact support.", code="account_disabled")
        self._throttle.succeeded(reservation)
        if _hasher.check_needs_rehash(user["password_hash"]):
            self._db.users.update_one({"_id": user["_id"]}, {"$set": {"password_hash": _hasher.hash(password)}})
        return user

    def ensure_admin(self, *, email: str, password: str) -> None:
        """Create the admin account at start if it does not exist (never resets an existing password)."""
        try:
            self.register(email=email, password=password, name="Admin", role=Role.ADMIN, credits=1000)
            log.info("admin account created", extra={"email": email})
        except Conflict:
            self._db.users.update_one({"email": email.lower()}, {"$set": {"role": Role.ADMIN.value}})

    def login_with_google(self, *, id_token: str, client_id: str) -> dict[str, Any]:
        """Sign in (or up) with a verified Google ID token; links by verified email."""
        claims = _verify_google_token(id_token, client_id)
        email = str(claims["email"]).lower()
        user = self._db.users.find_one({"email": email})
        if user is None:
            try:
                user = self.register(email=email, password=ObjectId().binary.hex() * 2, name=claims.get("name"))
            except Conflict:
                user = self._db.users.find_one({"email": email})
        assert user is not None
        if user.get("disabled"):
            raise Forbidden("This account is disabled. Contact support.", code="account_disabled")
        return user

    # ---- tokens -------------------------------------------------------------------

    def issue_token(self, user: dict[str, Any]) -> str:
        now = clock.now()
        claims = {
            "sub": user["_id"], "role": user["role"], "iss": self._issuer, "aud": self._audience,
            "iat": int(now.timestamp()), "exp": int(now.timestamp()) + self._ttl_s,
        }
        return jwt.encode(claims, self._jwt_key(), algorithm="HS256")

    def user_from_token(self, token: str) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token, self._jwt_key(), algorithms=["HS256"], audience=self._audience, issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Your session has expired. Please sign in again.", code="token_expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("Your session is not valid. Please sign in again.") from None
        user = self._db.users.find_one({"_id": str(claims["sub"])})
        if user is None or user.get("disabled"):
            raise Unauthorized("Your session is not valid. Please sign in again.")
        return user

    # ---- views --------------------------------------------------------------------

    def to_api(self, user: dict[str, Any]) -> User:
        quota = self._accounting.quota_state(user["_id"])
        return User(
            id=user["_id"], email=user["email"], name=user.get("name", ""), role=user["role"],
            credits=int(user.get("credits", 0)), disabled=bool(user.get("disabled")),
            created_at=clock.as_utc(user["created_at"]),
            quota=Quota(**{k: QuotaState(**v) for k, v in quota.items()}),
        )



def _verify_google_token(id_token: str, client_id: str) -> dict[str, Any]:
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token as google_id_token

    try:
        claims: dict[str, Any] = google_id_token.verify_oauth2_token(id_token, google_requests.Request(), client_id)  # type: ignore[no-untyped-call]
    except ValueError:
        raise Unauthorized("Google sign-in failed. Please try again.") from None
    if not claims.get("email_verified") or not claims.get("email"):
        raise Unauthorized("Your Google account has no verified email.")
    return claims
