"""Turn SDK and transport exceptions into `ProviderError`s, once, for every adapter.

The users see the messages of the errors raised here, so provider text only
ever reaches them through `sanitize_provider_message`; the raw text goes to
`detail`, which is for logs.
"""

from __future__ import annotations

import re
from typing import Any

from common.providers.base import (
    InvalidProviderRequest,
    ModelUnavailable,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
    SafetyRefusal,
)

try:  # Both SDKs send through httpx2 today; plain httpx is the older transport.
    import httpx2 as _httpx
except ImportError:  # pragma: no cover - depends on the installed SDK
    import httpx as _httpx  # type: ignore[no-redef]

# Timeouts, refused connections, resets, broken chunked bodies: all transient.
TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    _httpx.TransportError,
    TimeoutError,
    ConnectionError,
)

_SAFETY_WORDS = ("moderation", "safety", "content_policy", "policy_violation", "content_filter", "blocked")

_ID_LIKE = re.compile(
    r"https?://\S+"  # URLs (signed links, request consoles)
    r"|\b(?:req|video|task|op|file|operations?)[_/-][A-Za-z0-9_\-]{4,}"  # provider object ids
    r"|\b[0-9a-f]{16,}\b"  # hex ids and hashes
    r"|\b[A-Za-z0-9_\-]{32,}\b",  # opaque tokens
    re.IGNORECASE,
)


def sanitize_provider_message(text: str | None, *, limit: int = 200) -> str:
    """A provider's own error text, safe to show a user: no URLs, ids or tokens, one short line."""
    if not text:
        return ""
    cleaned = _ID_LIKE.sub("", " ".join(str(text).split()))
    cleaned = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"\s{2,}", " ", cleaned)).strip(" .,;:")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def looks_like_safety(*texts: str | None) -> bool:
    """True when a provider error code or message says it refused on content grounds."""
    joined = " ".join(t for t in texts if t).lower()
    return any(word in joined for word in _SAFETY_WORDS)


def unreadable_answer(what: str, *, detail: str) -> ProviderError:
    """A 200 answer we cannot use (not JSON, missing fields, not the media it claims): permanent, since asking again
    the same way gets the same answer. `what` names it for users ("video", "answer"); `detail` is for logs."""
    return ProviderError(f"The AI provider sent a {what} that could not be read.", detail=detail)


# ---- google-genai --------------------------------------------------------------


def _google_reasons(details: Any) -> set[str]:
    """The `ErrorInfo.reason`s of a Google API error body (e.g. API_KEY_INVALID)."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    reasons: set[str] = set()
    for item in error.get("details") or () if isinstance(error, dict) else ():
        if isinstance(item, dict) and item.get("reason"):
            reasons.add(str(item["reason"]))
    return reasons


def map_google_error(exc: BaseException, *, model: str | None = None, setting: str = "") -> ProviderError:
    """Map a google-genai `APIError` or a transport failure to our error type.

    `model`/`setting`: given for a call that names a model (generate, predict,
    chat); its 404 then means the model is unavailable (ModelUnavailable, naming
    the settings field `setting` to change), not a missing resource."""
    from google.genai import errors as genai_errors

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TRANSPORT_ERRORS):
        return ProviderUnavailable(detail=f"{type(exc).__name__}: {exc}")
    if not isinstance(exc, genai_errors.APIError):
        return ProviderError(detail=f"{type(exc).__name__}: {exc}")

    code = int(exc.code or 0)
    status = str(exc.status or "")
    detail = f"{code} {status}: {exc.message}"
    reasons = _google_reasons(exc.details)
    if "API_KEY_INVALID" in reasons or code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return ProviderAuthError(detail=detail)
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return ProviderRateLimited(detail=detail)
    if code >= 500 or code in (408,) or status in ("UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"):
        return ProviderUnavailable(detail=detail)
    if code == 404 and model:
        return ModelUnavailable(model, setting=setting, detail=detail)
    if code == 404:
        return InvalidProviderRequest("The AI provider does not know the requested model or resource.", detail=detail)
    if looks_like_safety(status, exc.message):
        return SafetyRefusal(detail=detail)
    return InvalidProviderRequest(detail=detail)


# gRPC canonical codes, as they appear in a long-running operation's `error.code`.
_GRPC_INVALID_ARGUMENT, _GRPC_DEADLINE_EXCEEDED, _GRPC_NOT_FOUND = 3, 4, 5
_GRPC_PERMISSION_DENIED, _GRPC_RESOURCE_EXHAUSTED, _GRPC_FAILED_PRECONDITION = 7, 8, 9
_GRPC_ABORTED, _GRPC_INTERNAL, _GRPC_UNAVAILABLE, _GRPC_UNAUTHENTICATED = 10, 13, 14, 16


def map_operation_error(error: dict[str, Any]) -> ProviderError:
    """Map the `error` of a finished Google long-running operation (a `google.rpc.Status`)."""
    code = int(error.get("code") or 0)
    message = str(error.get("message") or "")
    detail = f"operation error {code}: {message}"
    if looks_like_safety(message) or "usage guidelines" in message.lower():
        return SafetyRefusal(detail=detail)
    if code in (_GRPC_PERMISSION_DENIED, _GRPC_UNAUTHENTICATED):
        return ProviderAuthError(detail=detail)
    if code == _GRPC_RESOURCE_EXHAUSTED:
        return ProviderRateLimited(detail=detail)
    if code in (_GRPC_DEADLINE_EXCEEDED, _GRPC_ABORTED, _GRPC_INTERNAL, _GRPC_UNAVAILABLE):
        return ProviderUnavailable(detail=detail)
    if code in (_GRPC_INVALID_ARGUMENT, _GRPC_FAILED_PRECONDITION, _GRPC_NOT_FOUND):
        return InvalidProviderRequest(detail=detail)
    return _provider_error_with_message(message, detail=detail)


# ---- openai ----------------------------------------------------------------------


def map_openai_error(exc: BaseException, *, not_found: type[ProviderError] = InvalidProviderRequest,
                     model: str | None = None, setting: str = "") -> ProviderError:
    """Map an openai SDK exception (or a transport failure) to our error type.

    `not_found` says what a 404 means where the call was made: a missing
    result is `ResultExpired` for a download, a bad request elsewhere.
    """
    import openai

    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, (openai.APIConnectionError, *TRANSPORT_ERRORS)):  # APITimeoutError included
        return ProviderUnavailable(detail=f"{type(exc).__name__}: {exc}")
    if not isinstance(exc, openai.APIStatusError):
        return ProviderError(detail=f"{type(exc).__name__}: {exc}")

    code = exc.code or ""
    detail = f"{exc.status_code} {code}: {exc.message}"
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return ProviderAuthError(detail=detail)
    if isinstance(exc, openai.RateLimitError):
        return ProviderRateLimited(detail=detail)
    if isinstance(exc, openai.InternalServerError) or exc.status_code in (408, 409):
        return ProviderUnavailable(detail=detail)
    if isinstance(exc, openai.NotFoundError):
        if model and (code == "model_not_found" or "model" in str(exc.message).lower()):
            return ModelUnavailable(model, setting=setting, detail=detail)
        return not_found(detail=detail)
    if looks_like_safety(code, getattr(exc, "type", None)):
        return SafetyRefusal(detail=detail)
    return InvalidProviderRequest(detail=detail)


def map_failed_job(code: str | None, message: str | None) -> ProviderError:
    """The error of a job the provider reports as failed (its own `error.code` / `error.message`)."""
    detail = f"job failed {code}: {message}"
    if looks_like_safety(code, message):
        return SafetyRefusal(detail=detail)
    if code and ("rate_limit" in code or "quota" in code):
        return ProviderRateLimited(detail=detail)
    if code and ("server_error" in code or "internal" in code or "unavailable" in code):
        return ProviderUnavailable(detail=detail)
    return _provider_error_with_message(message, detail=detail)


def _provider_error_with_message(message: str | None, *, detail: str) -> ProviderError:
    clean = sanitize_provider_message(message)
    if not clean:
        return ProviderError(detail=detail)
    return ProviderError(f"{ProviderError.user_message} The provider said: {clean}.", detail=detail)
