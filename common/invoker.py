"""Who may call the private worker: Cloud Tasks / Cloud Scheduler through Cloud Run's IAM.

Wire facts (Cloud Run documentation, "Authenticating service-to-service",
https://cloud.google.com/run/docs/authenticating/service-to-service, and
"Troubleshooting: signature removed",
https://cloud.google.com/run/docs/troubleshooting#signature-removed):

- A private Cloud Run service (no `allUsers` invoker) only receives requests
  whose Google-signed OIDC ID token Cloud Run's front end has already
  verified: signature, expiry, audience (the service URL or a custom
  audience) and the caller's `roles/run.invoker` grant.
- Cloud Run then forwards that token to the container in `Authorization`
  with its third (signature) segment replaced by the literal
  `SIGNATURE_REMOVED_BY_GOOGLE`, so the token can no longer be re-verified
  (a verification library fails on it, and the worker answered 403 to every
  delivery). What the container can and should do is read the claims and
  check that the verified caller is the one it expects.

So `check_invoker` never re-verifies a removed signature: it decodes the
claims and checks issuer, audience, the invoker service account (`email`,
`email_verified`) and that `exp` is not long past. A token that still carries
a real signature (a caller that reached the container some other way) is
verified in full with Google's certificates. No token at all is refused.
This is only as strong as the IAM policy in front of it: the worker must stay
private (terraform/iam.tf grants `run.invoker` on it to the invoker account
alone; tests/prod/test_grants.py checks that).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

REMOVED_SIGNATURE = "SIGNATURE_REMOVED_BY_GOOGLE"
GOOGLE_ISSUERS = frozenset({"https://accounts.google.com", "accounts.google.com"})
DEFAULT_LEEWAY_S = 300  # Cloud Run checked `exp` on arrival; allow a slow queue hop and clock skew


class InvokerRefused(Exception):
    """The request does not come from the expected invoker; the message says why (for the log only)."""


@dataclass(frozen=True)
class InvokerPolicy:
    """What a forwarded ID token must say.

    service_account: the `email` claim (Cloud Tasks' and Cloud Scheduler's
        `oidc_token.service_account_email`).
    audiences: accepted `aud` values (the worker's URL; with and without a
        trailing slash, since callers differ).
    leeway_s: how far past `exp` (seconds) a forwarded token is still taken.
    """

    service_account: str
    audiences: frozenset[str]
    leeway_s: int = DEFAULT_LEEWAY_S

    @classmethod
    def for_worker(cls, *, service_account: str, audience: str, leeway_s: int = DEFAULT_LEEWAY_S) -> InvokerPolicy:
        """The policy for the worker route: OIDC tokens of `service_account` whose audience is the worker URL `audience`
        (with or without a trailing slash), `leeway_s` seconds of clock skew.
        """
        base = audience.rstrip("/")
        return cls(service_account=service_account, audiences=frozenset({base, base + "/"}), leeway_s=leeway_s)


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header value; InvokerRefused when there is none."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvokerRefused("no bearer token")
    return token.strip()


def check_invoker(
    token: str,
    policy: InvokerPolicy,
    *,
    now: Callable[[], float] = time.time,
    verify_signed: Callable[[str], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The claims of an invoker's ID token, once they match `policy`; raises InvokerRefused otherwise.

    token: a compact JWS (`header.payload.signature`).
    now: the clock (epoch seconds), injectable for tests.
    verify_signed: verifies the signature of a token that still has one and
        returns its claims (they are then checked like any others); default
        google.oauth2.id_token with Google's published certificates (network).
        Never called for a token whose signature Cloud Run removed.
    """
    if not policy.service_account or not policy.audiences:
        raise InvokerRefused("the worker's invoker account or audience is not configured")
    parts = token.split(".")
    if len(parts) != 3:
        raise InvokerRefused("not a JWT")
    if parts[2] == REMOVED_SIGNATURE:
        try:
            claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise InvokerRefused(f"unreadable token: {exc}") from None
    else:
        verify = verify_signed or _verify_with_google
        try:
            claims = dict(verify(token))
        except (ValueError, jwt.PyJWTError) as exc:
            raise InvokerRefused(f"bad signature: {exc}") from None
    _check_claims(claims, policy, now())
    return claims


def _check_claims(claims: Mapping[str, Any], policy: InvokerPolicy, now: float) -> None:
    if claims.get("iss") not in GOOGLE_ISSUERS:
        raise InvokerRefused(f"issuer {claims.get('iss')!r} is not Google")
    aud = claims.get("aud")
    auds = {aud} if isinstance(aud, str) else set(aud) if isinstance(aud, list) else set()
    if not auds & policy.audiences:
        raise InvokerRefused(f"audience {aud!r} is not the worker's")
    if claims.get("email") != policy.service_account:
        raise InvokerRefused(f"caller {claims.get('email')!r} is not the invoker account")
    if claims.get("email_verified") is not True:
        raise InvokerRefused("email not verified")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise InvokerRefused("no expiry")
    if now > exp + policy.leeway_s:
        raise InvokerRefused("token expired")


def _verify_with_google(token: str) -> Mapping[str, Any]:
    from google.auth.transport import requests as google_requests
    from google.oauth2 import id_token

    # audience=None: the audience is checked in _check_claims, against every accepted form.
    return id_token.verify_oauth2_token(token, google_requests.Request(), None)  # type: ignore[no-untyped-call,no-any-return]
