"""`/api/health` per service: liveness (the process answers) and readiness (its own dependencies).

Every function serves both on its own Cloud Run service:

- `GET /api/health/live` → 200 always, no dependency touched (a liveness probe
  must not restart an instance because MongoDB blinked).
- `GET /api/health` → readiness: 200 `{status: "ok", version, checks}` when
  every check of THIS service passes, else 503 `{status: "degraded", ...}`.

A check uses only what the service's own account is granted in
terraform/iam.tf (tests/prod/test_grants.py holds the table and compares):
storage is probed by listing one object (storage.objects.list, in every object
role) and never by reading bucket metadata (storage.buckets.get is in no role
a function holds); secrets by reading the keys the service itself uses; the
queue only by its configuration, because Cloud Tasks' enqueuer role cannot
read the queue. Nginx routes the public `/api/health` to `auth`, whose checks
are the database and the session-signing key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from common.runtime import Services

log = logging.getLogger(__name__)

# What each service's readiness checks (and so what its account must be able to reach).
READINESS: dict[str, tuple[str, ...]] = {
    "auth": ("db", "secrets"),
    "generate": ("db", "storage", "queue", "secrets"),
    "chat": ("db", "storage", "secrets"),
    "proxy": ("storage", "secrets"),
    "billing": ("db", "secrets"),
    "admin": ("db", "secrets"),
    "worker": ("db", "storage", "queue", "secrets"),
    "web": (),
}

# The signing keys each service reads (the `secrets` check reads exactly these).
SERVICE_KEYS: dict[str, tuple[str, ...]] = {
    "auth": ("jwt",),
    "generate": ("jwt", "media"),
    "chat": ("jwt",),
    "proxy": ("media",),
    "billing": ("jwt",),
    "admin": ("jwt",),
    "worker": ("media",),
}


def _check_secrets(svc: Services, service: str) -> bool:
    readers: dict[str, Callable[[], object]] = {"jwt": svc.jwt_key, "media": svc.media_keys}
    for key in SERVICE_KEYS.get(service, ()):
        if not readers[key]():
            return False
    return True


CHECKS: dict[str, Callable[[Services, str], bool]] = {
    "db": lambda svc, _: svc.db.ping(),
    "storage": lambda svc, _: svc.storage.ping(),
    "queue": lambda svc, _: svc.queue.ping(),
    "secrets": _check_secrets,
}


def readiness(svc: Services, service: str) -> dict[str, str]:
    """`{check: "ok"|"down"}` for `service`'s checks; a check that raises is "down" (and logged)."""
    checks: dict[str, str] = {}
    for name in READINESS.get(service, ()):
        try:
            ok = CHECKS[name](svc, service)
        except Exception:  # a health check reports, it never fails the request
            log.warning("health check failed", exc_info=True, extra={"check": name, "service": service})
            ok = False
        checks[name] = "ok" if ok else "down"
    return checks
