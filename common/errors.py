"""Errors of the domain. Raised anywhere in `common`, rendered once at the HTTP edge (API.md)."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """An error a client can act on: HTTP status, stable code, human message, details."""

    status: int = 500
    code: str = "internal"
    default_message: str = "Something went wrong on our side. Please try again."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)

    def to_body(self) -> dict[str, Any]:
        """The API.md error body: {"error": {"code": str, "message": str, "details": {...}}}."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidRequest(AppError):
    """400 `invalid_request`: the request is malformed or fails validation (RFC 9110 section 15.5.1)."""
    status, code, default_message = 400, "invalid_request", "The request is not valid."


class Unauthorized(AppError):
    """401 `unauthorized`: no valid credentials (RFC 9110 section 15.5.2); also `token_expired`, `invalid_credentials`."""
    status, code, default_message = 401, "unauthorized", "Please sign in."


class Forbidden(AppError):
    """403 `forbidden`: authenticated but not allowed (RFC 9110 section 15.5.4); also `account_disabled`."""
    status, code, default_message = 403, "forbidden", "You are not allowed to do this."


class NotFound(AppError):
    """404 `not_found` (RFC 9110 section 15.5.5); also answered for another user's resource, so ids cannot be probed."""
    status, code, default_message = 404, "not_found", "Not found."


class Conflict(AppError):
    """409 `conflict`: the change contradicts the current state (RFC 9110 section 15.5.10), e.g. `email_taken`."""
    status, code, default_message = 409, "conflict", "That change conflicts with the current state."


class PayloadTooLarge(AppError):
    """413 `payload_too_large`: the body or upload exceeds its limit (RFC 9110 section 15.5.14)."""
    status, code, default_message = 413, "payload_too_large", "The upload is too large."


class UnsupportedMediaType(AppError):
    """415 `unsupported_media_type`: the content (checked by its bytes, not its name) is not accepted (RFC 9110 section 15.5.16)."""
    status, code, default_message = 415, "unsupported_media_type", "That file type is not supported."


class RangeNotSatisfiable(AppError):
    """416 `range_not_satisfiable`: a Range header outside the object (RFC 9110 section 15.5.17)."""
    status, code, default_message = 416, "range_not_satisfiable", "The requested range is outside the file."


class PaymentRequired(AppError):
    """402 `insufficient_credits`: the quota is spent and the balance cannot pay (RFC 9110 section 15.5.3); details say
    the balance and the credits needed.
    """
    status, code, default_message = 402, "insufficient_credits", "Not enough credits for this generation."


class TooManyRequests(AppError):
    """429 `rate_limited`: a rate limit or throttle refused the request (RFC 6585 section 4); may carry Retry-After."""
    status, code, default_message = 429, "rate_limited", "Too many requests. Please slow down."


class ServiceUnavailable(AppError):
    """503 `provider_unavailable`: an upstream (AI provider) cannot serve now (RFC 9110 section 15.6.4); safe to retry later."""
    status, code, default_message = 503, "provider_unavailable", "The AI provider is unavailable right now."
