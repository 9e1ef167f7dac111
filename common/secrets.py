"""Secrets (API keys, signing keys): Secret Manager in production, the database locally.

Reads go through a short TTL cache, so a key the admin rotates is used by
every function within seconds, with no redeploy.
"""

from __future__ import annotations

import base64
import secrets as pysecrets
import threading
import time
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo.errors import DuplicateKeyError

from common.db import Database

# Names of the secrets the platform knows. Terraform creates each one as the
# Secret Manager secret "<name_prefix>-<name>" and passes the prefix as
# SECRET_ID_PREFIX (SecretManagerStore(id_prefix=...)); the local stack keeps
# them under these plain names.
JWT_SIGNING_KEY = "jwt-signing-key"
MEDIA_SIGNING_KEY = "media-signing-key"
WORKER_SECRET = "worker-secret"
GEMINI_API_KEY = "gemini-api-key"
OPENAI_API_KEY = "openai-api-key"
STRIPE_SECRET_KEY = "stripe-secret-key"
STRIPE_WEBHOOK_SECRET = "stripe-webhook-secret"
# The secret holding each vendor's API key (vendors: common.providers.catalogue.API_KEY_VENDORS).
API_KEY_SECRETS: dict[str, str] = {"gemini": GEMINI_API_KEY, "openai": OPENAI_API_KEY}


class SecretStore(Protocol):
    """Versioned secrets by logical name (Secret Manager semantics): values are immutable versions, the newest wins."""
    def get(self, name: str) -> str | None:
        """The latest version's value, or None when the secret has no version."""

    def put(self, name: str, value: str) -> None:
        """Add a new version (versions are immutable; the newest wins)."""


class DatabaseSecretStore:
    """Local stand-in for Secret Manager: immutable versions in the `secrets` collection."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, name: str) -> str | None:
        """The newest version's value of `name`, or None."""
        docs = self._db.secrets.find({"name": name}, sort=[("version", -1)], limit=1)
        for doc in docs:
            return str(doc["value"])
        return None

    def versions(self, name: str, limit: int = 2) -> list[str]:
        """Values of the newest `limit` versions of `name`, newest first."""
        return [str(d["value"]) for d in self._db.secrets.find({"name": name}, sort=[("version", -1)], limit=limit)]

    def put(self, name: str, value: str) -> None:
        """Add a version of `name` (next version number; a concurrent writer makes it retry with the next number).
        Raises RuntimeError after 20 lost races.
        """
        for _ in range(20):
            latest = list(self._db.secrets.find({"name": name}, sort=[("version", -1)], limit=1))
            version = (latest[0]["version"] + 1) if latest else 1
            try:
                self._db.secrets.insert_one(
                    {"name": name, "version": version, "value": value, "created_at": datetime.now(UTC)}
                )
                return
            except DuplicateKeyError:
                continue  # someone added a version at the same time: take the next number
        raise RuntimeError(f"could not add a version to secret {name}")

    def put_if_absent(self, name: str, value: str) -> str:
        """Version 1 unless it exists already (races resolved by the unique index)."""
        try:
            self._db.secrets.insert_one({"name": name, "version": 1, "value": value, "created_at": datetime.now(UTC)})
        except DuplicateKeyError:
            pass
        current = self.get(name)
        assert current is not None
        return current


class SecretManagerStore:
    """Google Secret Manager through the official client (REST transport)."""

    def __init__(self, *, project: str, endpoint: str = "", id_prefix: str = "") -> None:
        """`id_prefix` + a logical name (e.g. "sora-" + "jwt-signing-key") is the secret id."""
        self._project = project
        self._endpoint = endpoint
        self._id_prefix = id_prefix
        self._client: Any = None
        self._lock = threading.Lock()

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.cloud import secretmanager

                kwargs: dict[str, Any] = {"transport": "rest"}
                if self._endpoint:
                    from google.auth.credentials import AnonymousCredentials

                    kwargs["client_options"] = {"api_endpoint": self._endpoint}
                    kwargs["credentials"] = AnonymousCredentials()  # type: ignore[no-untyped-call]
                self._client = secretmanager.SecretManagerServiceClient(**kwargs)
            return self._client

    def secret_path(self, name: str) -> str:
        """Resource name of the secret behind logical `name` (projects/P/secrets/<prefix><name>)."""
        return f"projects/{self._project}/secrets/{self._id_prefix}{name}"

    def get(self, name: str) -> str | None:
        """The value of versions/latest of `name` (AccessSecretVersion), or None when the secret or an enabled version
        does not exist (NotFound / FailedPrecondition). Other API errors propagate.
        """
        from google.api_core import exceptions as gexc

        path = f"{self.secret_path(name)}/versions/latest"
        try:
            answer = self._get_client().access_secret_version(request={"name": path}, timeout=10)
        except (gexc.NotFound, gexc.FailedPrecondition):
            return None
        return bytes(answer.payload.data).decode()

    def versions(self, name: str, limit: int = 2) -> list[str]:
        """Values of the newest `limit` enabled versions, newest first (signing-key rotation grace)."""
        from google.api_core import exceptions as gexc

        client = self._get_client()
        parent = self.secret_path(name)
        try:
            listed = client.list_secret_versions(request={"parent": parent, "filter": "state:ENABLED"}, timeout=10)
            names = sorted((v.name for v in listed), key=lambda n: int(n.rsplit("/", 1)[-1]), reverse=True)[:limit]
            return [bytes(client.access_secret_version(request={"name": n}, timeout=10).payload.data).decode() for n in names]
        except (gexc.NotFound, gexc.FailedPrecondition):
            return []

    def put(self, name: str, value: str) -> None:
        """Add a version with `value` (AddSecretVersion); the secret itself must exist (Terraform creates it)."""
        parent = self.secret_path(name)
        self._get_client().add_secret_version(
            request={"parent": parent, "payload": {"data": value.encode()}}, timeout=10
        )

    def put_if_absent(self, name: str, value: str) -> str:
        """The current value of `name`, or `value` after adding it as the first version."""
        current = self.get(name)
        if current:
            return current
        self.put(name, value)
        return value


class CachedSecrets:
    """TTL cache in front of a store. `get` is cheap enough to call on every request."""

    def __init__(self, store: DatabaseSecretStore | SecretManagerStore, *, ttl_s: float) -> None:
        self.store = store
        self._ttl = ttl_s
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        """The newest value of `name`, served from the cache for `ttl_s` seconds (None results are cached too)."""
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(name)
            if hit and now - hit[0] < self._ttl:
                return hit[1]
        value = self.store.get(name)
        with self._lock:
            self._cache[name] = (now, value)
        return value

    def put(self, name: str, value: str) -> None:
        """Add a version through the store and drop the cached value."""
        self.store.put(name, value)
        self.invalidate(name)

    def invalidate(self, name: str | None = None) -> None:
        """Forget the cached value of `name`, or of every secret when None."""
        with self._lock:
            if name is None:
                self._cache.clear()
            else:
                self._cache.pop(name, None)

    def ensure_generated(self, name: str, *, nbytes: int = 48) -> str:
        """A signing key that exists from first start on (local stack; Terraform seeds production)."""
        value = self.get(name)
        if value:
            return value
        value = self.store.put_if_absent(name, base64.urlsafe_b64encode(pysecrets.token_bytes(nbytes)).decode())
        self.invalidate(name)
        return value

    def describe(self, name: str) -> dict[str, Any]:
        """What the admin panel may show of a key: never the value."""
        value = self.get(name)
        return {"set": bool(value), "last4": value[-4:] if value and len(value) >= 8 else None}
