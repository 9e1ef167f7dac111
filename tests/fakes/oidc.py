"""ID tokens as a private Cloud Run service receives them: Google's claims, signature removed.

Cloud Run's front end verifies the caller's Google-signed token, then forwards
it with the signature segment replaced by `SIGNATURE_REMOVED_BY_GOOGLE`
(see common/invoker.py for the documentation this follows).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from common.invoker import REMOVED_SIGNATURE


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def google_claims(*, email: str, audience: str, now: float | None = None, lifetime_s: int = 3600,
                  **extra: Any) -> dict[str, Any]:
    """The claims of a Google-issued OIDC token for a service account (as Cloud Tasks requests one)."""
    issued = int(time.time() if now is None else now)
    return {"aud": audience, "azp": "1234567890", "email": email, "email_verified": True,
            "exp": issued + lifetime_s, "iat": issued, "iss": "https://accounts.google.com",
            "sub": "1234567890", **extra}


def forwarded_token(claims: dict[str, Any], *, signature: str = REMOVED_SIGNATURE) -> str:
    """`header.payload.SIGNATURE_REMOVED_BY_GOOGLE`, the form the container sees."""
    header = {"alg": "RS256", "kid": "0123456789abcdef", "typ": "JWT"}
    return f"{_b64(header)}.{_b64(claims)}.{signature}"
