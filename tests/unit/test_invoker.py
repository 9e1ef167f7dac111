"""The worker's caller check: what Cloud Run forwards is accepted on its claims, never re-verified."""

from __future__ import annotations

from typing import Any

import pytest

from common.invoker import InvokerPolicy, InvokerRefused, bearer_token, check_invoker
from tests.fakes.oidc import forwarded_token, google_claims

SA = "sora-tasks@proj.iam.gserviceaccount.com"
AUD = "https://sora-worker-abc-uc.a.run.app"
NOW = 1_800_000_000.0
POLICY = InvokerPolicy.for_worker(service_account=SA, audience=AUD)


def _never_verify(token: str) -> dict[str, Any]:
    raise AssertionError("a removed signature must never be re-verified")


def _check(claims: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return check_invoker(forwarded_token(claims), POLICY, now=lambda: NOW, verify_signed=_never_verify, **kw)


def test_forwarded_token_is_accepted_on_its_claims_without_verification() -> None:
    claims = _check(google_claims(email=SA, audience=AUD, now=NOW))
    assert claims["email"] == SA


@pytest.mark.parametrize("audience", [AUD, AUD + "/"])
def test_audience_with_or_without_trailing_slash(audience: str) -> None:
    _check(google_claims(email=SA, audience=audience, now=NOW))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"email": "attacker@proj.iam.gserviceaccount.com"}, "not the invoker"),
        ({"email_verified": False}, "not verified"),
        ({"email_verified": "true"}, "not verified"),
        ({"aud": "https://sora-generate-abc-uc.a.run.app"}, "audience"),
        ({"aud": ["https://elsewhere"]}, "audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"exp": int(NOW) - 301}, "expired"),
        ({"exp": "tomorrow"}, "no expiry"),
    ],
)
def test_claims_that_do_not_match_are_refused(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvokerRefused, match=reason):
        _check({**google_claims(email=SA, audience=AUD, now=NOW), **change})


def test_a_token_just_past_exp_is_within_leeway() -> None:
    _check({**google_claims(email=SA, audience=AUD, now=NOW), "exp": int(NOW) - 60})


def test_a_signed_token_is_verified_and_then_checked() -> None:
    seen: list[str] = []
    claims = google_claims(email=SA, audience=AUD, now=NOW)
    token = forwarded_token(claims, signature="c2lnbmF0dXJl")

    def verify(t: str) -> dict[str, Any]:
        seen.append(t)
        return claims

    check_invoker(token, POLICY, now=lambda: NOW, verify_signed=verify)
    assert seen == [token]

    def bad(t: str) -> dict[str, Any]:
        raise ValueError("Could not verify token signature.")

    with pytest.raises(InvokerRefused, match="bad signature"):
        check_invoker(token, POLICY, now=lambda: NOW, verify_signed=bad)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "!!!.???.SIGNATURE_REMOVED_BY_GOOGLE"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvokerRefused):
        check_invoker(token, POLICY, now=lambda: NOW, verify_signed=_never_verify)


@pytest.mark.parametrize("header", [None, "", "Basic eA==", "Bearer ", "Bearer"])
def test_no_bearer_token_is_refused(header: str | None) -> None:
    with pytest.raises(InvokerRefused, match="no bearer"):
        bearer_token(header)


def test_unconfigured_policy_refuses_everything() -> None:
    policy = InvokerPolicy.for_worker(service_account="", audience=AUD)
    with pytest.raises(InvokerRefused, match="not configured"):
        check_invoker(forwarded_token(google_claims(email="", audience=AUD, now=NOW)), policy, now=lambda: NOW)
