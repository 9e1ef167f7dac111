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
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidRequest(AppError):
    status, code, default_message = 400, "invalid_request", "The request is not valid."


class Unauthorized(AppError):
    status, code, default_message = 401, "unauthorized", "Please sign in."


class Forbidden(AppError):
    status, code, default_message = 403, "forbidden", "You are not allowed to do this."


class NotFound(AppError):
    status, code, default_message = 404, "not_found", "Not found."


class Conflict(AppError):
    status, code, default_message = 409, "conflict", "That change conflicts with the current state."


class PayloadTooLarge(AppError):
    status, code, default_message = 413, "payload_too_large", "The upload is too large."


class UnsupportedMediaType(AppError):
    status, code, default_message = 415, "unsupported_media_type", "That file type is not supported."


class RangeNotSatisfiable(AppError):
    status, code, default_message = 416, "range_not_satisfiable", "The requested range is outside the file."


class PaymentRequired(AppError):
    status, code, default_message = 402, "insufficient_credits", "Not enough credits for this generation."


class TooManyRequests(AppError):
    status, code, default_message = 429, "rate_limited", "Too many requests. Please slow down."


class ServiceUnavailable(AppError):
    status, code, default_message = 503, "provider_unavailable", "The AI provider is unavailable right now."
