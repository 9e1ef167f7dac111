"""Accounts and sessions: argon2id passwords, HS256 JWTs (exp/iss/aud), roles, login throttling."""

from __future__ import annotations

import functools
import logging
import os
import threading
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
from common.models.users import UserDocument
from common.throttle import LoginThrottle

log = logging.getLogger(__name__)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters (64 MiB per hash)
_profile = "RFC_9106_LOW_MEMORY"  # the argon2-cffi profile `_hasher` was made from
# Each hash holds `memory_cost` KiB while it runs and argon2 releases the GIL, so N request
# threads hashing at once need N x 64 MiB. At most HASH_CONCURRENCY hashes run at a time
# (the others wait their turn): memory stays bounded at any request concurrency, and on
# one CPU more parallel hashes would not finish sooner anyway.
HASH_CONCURRENCY = max(1, int(os.environ.get("HASH_CONCURRENCY", "2")))
_hash_slots = threading.BoundedSemaphore(HASH_CONCURRENCY)


def use_password_profile(name: str) -> None:
    """Hash new passwords with the argon2-cffi parameter profile `name` (`argon2.profiles.<name>`).

    "RFC_9106_LOW_MEMORY" (the default: argon2id, t=3, 64 MiB, p=4, RFC 9106 section 4's second
    recommendation) everywhere but tests; "CHEAPEST" (t=1, 8 KiB) only where `Settings` allows it
    (never in production). Verification reads the parameters from each stored PHC string, so hashes
    made under either profile keep verifying. Idempotent; raises AttributeError for an unknown name.
    """
    global _hasher, _profile
    if name == _profile:
        return
    import argon2.profiles

    _hasher = PasswordHasher.from_parameters(getattr(argon2.profiles, name))
    _profile = name


def hash_password(password: str) -> str:
    """argon2id hash (PHC string) of `password`; blocks while HASH_CONCURRENCY hashes are running."""
    with _hash_slots:
        return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True if `password` matches; raises argon2's VerificationError / InvalidHashError otherwise."""
    with _hash_slots:
        return bool(_hasher.verify(stored_hash, password))


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this keeps a login for an unknown email as slow as a wrong password.

    Made on first use, not at import: a cold start pays no hash.
    """
    return hash_password("not-a-real-password")


GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
GOOGLE_ISSUERS = ("accounts.google.com", "https://accounts.google.com")


def password_matches(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`; a missing hash still costs one verification."""
    try:
        return verify_password(stored_hash or _dummy_hash(), password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


class AuthService:
    """Accounts and sessions: register/login (argon2 password hashes, login throttling), Google sign-in, and HS256 JWTs
    (RFC 7519) whose `ver` claim retires every older token when the user's token_version moves.
    """
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
        google_certs_url: str = GOOGLE_CERTS_URL,
    ) -> None:
        self._db = db
        self._accounting = accounting
        self._jwt_key = jwt_key
        self._issuer = issuer
        self._audience = audience
        self._ttl_s = ttl_s
        self._throttle = throttle
        self._google_certs_url = google_certs_url

    # ---- accounts -----------------------------------------------------------------

    def register(self, *, email: str, password: str, name: str | None, role: Role = Role.USER, credits: int = 0) -> dict[str, Any]:
        """Create a user and return its document. `email` is trimmed and lower-cased; `name` defaults to the email's local
        part (at most 80 characters); `credits` the starting balance. Raises Conflict (409 `email_taken`) if the email exists.
        """
        email = email.strip().lower()
        now = clock.now()
        doc: dict[str, Any] = UserDocument(
            id=str(ObjectId()), email=email, name=(name or email.split("@")[0]).strip()[:80],
            password_hash=hash_password(password), role=role, credits=credits, credit_keys=[], disabled=False,
            created_at=now, updated_at=now,
        ).to_mongo()
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
            ok = verify_password(user["password_hash"] if user and user.get("password_hash") else _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or user is None:
            raise Unauthorized("Wrong email or password.", code="invalid_credentials")
        if user.get("disabled"):
            raise Forbidden("This account is disabled. Contact support.", code="account_disabled")
        self._throttle.succeeded(reservation)
        if _hasher.check_needs_rehash(user["password_hash"]):
            self._db.users.update_one({"_id": user["_id"]}, {"$set": {"password_hash": hash_password(password)}})
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
        claims = _verify_google_token(id_token, client_id, certs_url=self._google_certs_url)
        email = str(claims["email"]).lower()
        user = self._db.users.find_one({"email": email})
        if user is None:
            try:
                user = self.register(email=email, password=ObjectId().binary.hex() * 2, name=claims.get("name"))
            except Conflict:
                user = self._db.users.find_one({"email": email})
        assert user is not None
        if not user.get("google_sub"):  # linked by verified email; remembered for the account's record
            self._db.users.update_one({"_id": user["_id"], "google_sub": None}, {"$set": {"google_sub": str(claims.get("sub", ""))}})
        if user.get("disabled"):
            raise Forbidden("This account is disabled. Contact support.", code="account_disabled")
        return user

    # ---- tokens -------------------------------------------------------------------

    def issue_token(self, user: dict[str, Any]) -> str:
        """A signed HS256 JWT (RFC 7519) for `user`: claims sub, role, iss, aud, iat, exp (iat + ttl seconds) and `ver`
        (the user's token_version).
        """
        now = clock.now()
        claims = {
            "sub": user["_id"], "role": user["role"], "iss": self._issuer, "aud": self._audience,
            "iat": int(now.timestamp()), "exp": int(now.timestamp()) + self._ttl_s,
            "ver": int(user.get("token_version", 0)),  # see common/accounts.py: retired when the user's version moves
        }
        return jwt.encode(claims, self._jwt_key(), algorithm="HS256")

    def user_from_token(self, token: str) -> dict[str, Any]:
        """The user a session token names. Checks signature, exp/iat/sub/iss/aud (PyJWT) and that the user exists, is not
        disabled and that `ver` matches the user's token_version. Raises Unauthorized (401 `token_expired` for an expired
        token, `unauthorized` otherwise).
        """
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
        if user is None or user.get("disabled") or claims.get("ver", 0) != int(user.get("token_version", 0)):
            raise Unauthorized("Your session is not valid. Please sign in again.")
        return user

    # ---- views --------------------------------------------------------------------

    def to_api(self, user: dict[str, Any]) -> User:
        """The API `User` of a user document, with today's quota state."""
        quota = self._accounting.quota_state(user["_id"])
        return User(
            id=user["_id"], email=user["email"], name=user.get("name", ""), role=user["role"],
            credits=int(user.get("credits", 0)), disabled=bool(user.get("disabled")),
            created_at=clock.as_utc(user["created_at"]),
            quota=Quota(**{k: QuotaState(**v) for k, v in quota.items()}),
        )



def _verify_google_token(id_token: str, client_id: str, *, certs_url: str = GOOGLE_CERTS_URL) -> dict[str, Any]:
    """Claims of a Google ID token: signature against Google's certificates (`certs_url`; tests serve
    their own), audience = our client id, issuer accounts.google.com, not expired, verified email."""
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token as google_id_token

    try:
        claims: dict[str, Any] = dict(google_id_token.verify_token(  # type: ignore[no-untyped-call]
            id_token, google_requests.Request(), audience=client_id, certs_url=certs_url, clock_skew_in_seconds=10))
    except (ValueError, google_exceptions()):
        raise Unauthorized("Google sign-in failed. Please try again.") from None
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise Unauthorized("Google sign-in failed. Please try again.")
    if not claims.get("email_verified") or not claims.get("email"):
        raise Unauthorized("Your Google account has no verified email.")
    return claims


def google_exceptions() -> type[Exception]:
    """google.auth's base exception class (GoogleAuthError), imported only when Google sign-in is used."""
    from google.auth import exceptions

    return exceptions.GoogleAuthError
