"""Issue 10, authentication: no lockout of the owner, atomic throttling, rate limits, client IP."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import common.auth
from common.ratelimit import client_ip, parse_networks
from localstack.emulator import StorageEmulator
from tests.abuse_helpers import FrozenClock, call_from, error_of, stack_with, wait_until
from tests.conftest import Stack

ATTACKER, OWNER, OTHER = "127.0.0.2", "127.0.0.3", "127.0.0.4"


class _Hasher:
    """Stands in for argon2's PasswordHasher (its attributes are read-only), with a hook on verify."""

    def __init__(self, hook: Any) -> None:
        self._real = common.auth._hasher
        self._hook = hook

    def verify(self, hash_: str, password: str) -> bool:
        self._hook(password)
        return bool(self._real.verify(hash_, password))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def login(stack: Stack, ip: str, email: str, password: str, **kwargs: Any) -> int:
    return call_from(stack, ip, "POST", "/api/auth/login", json={"email": email, "password": password}, **kwargs).status_code


# ---- anyone could lock anyone out ------------------------------------------------------------


def test_wrong_passwords_from_one_ip_do_not_lock_the_owner_out(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    FrozenClock(monkeypatch)
    stack.register("victim@example.com", "password-123")
    codes = [login(stack, ATTACKER, "victim@example.com", "wrong-pass") for _ in range(6)]
    assert codes == [401, 401, 401, 429, 429, 429]
    assert login(stack, OWNER, "victim@example.com", "password-123") == 200


def test_the_default_admin_cannot_be_locked_out_either(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    FrozenClock(monkeypatch)
    admin, password = "admin@example.com", "admin-password-1"
    stack.svc.auth.ensure_admin(email=admin, password=password)
    for _ in range(8):
        login(stack, ATTACKER, admin, "guess-guess")
    assert login(stack, ATTACKER, admin, password) == 429
    assert login(stack, OWNER, admin, password) == 200


def test_the_delay_grows_instead_of_a_lock(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    now = FrozenClock(monkeypatch)
    stack.register("slow@example.com", "password-123")
    for _ in range(3):
        assert login(stack, ATTACKER, "slow@example.com", "wrong-pass") == 401
    r = call_from(stack, ATTACKER, "POST", "/api/auth/login", json={"email": "slow@example.com", "password": "wrong-pass"})
    assert r.status_code == 429 and error_of(r)["code"] == "rate_limited"
    assert r.headers["Retry-After"] == "30"
    now.advance(30)
    assert login(stack, ATTACKER, "slow@example.com", "wrong-pass") == 401  # one more try after the wait
    r = call_from(stack, ATTACKER, "POST", "/api/auth/login", json={"email": "slow@example.com", "password": "wrong-pass"})
    assert r.headers["Retry-After"] == "60"  # and the next wait is twice as long
    now.advance(60)
    assert login(stack, ATTACKER, "slow@example.com", "password-123") == 200  # never a hard lock
    assert login(stack, ATTACKER, "slow@example.com", "wrong-pass") == 401  # success forgot the failures


def test_password_spraying_from_one_ip_meets_the_ip_throttle(emulator: StorageEmulator, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Second member of the kind: one IP trying one password on many accounts."""
    FrozenClock(monkeypatch)
    with stack_with(emulator, tmp_path, LOGIN_IP_MAX_FAILURES=5) as stack:
        stack.register("sprayed@example.com", "password-123")
        codes = [login(stack, ATTACKER, f"user{i}@example.com", "Summer2026!") for i in range(8)]
        assert codes == [401] * 5 + [429] * 3
        assert login(stack, ATTACKER, "sprayed@example.com", "password-123") == 429
        assert login(stack, OTHER, "sprayed@example.com", "password-123") == 200


# ---- parallel guesses ------------------------------------------------------------------------


def test_thirty_parallel_wrong_passwords_hit_the_limit(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    FrozenClock(monkeypatch)
    stack.register("par@example.com", "password-123")
    with ThreadPoolExecutor(max_workers=30) as pool:
        codes = list(pool.map(lambda _: login(stack, ATTACKER, "par@example.com", "wrong-pass"), range(30)))
    assert sorted(codes) == [401] * 3 + [429] * 27


def test_parallel_wrong_guesses_on_many_accounts_hit_the_ip_limit(emulator: StorageEmulator, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Second member: the per-IP key is counted atomically too."""
    FrozenClock(monkeypatch)
    with stack_with(emulator, tmp_path, LOGIN_IP_MAX_FAILURES=4) as stack, ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda i: login(stack, ATTACKER, f"p{i}@example.com", "wrong-pass"), range(20)))
    assert sorted(codes) == [401] * 4 + [429] * 16


def test_a_right_password_behind_eleven_wrong_ones_in_flight_is_not_let_in(
    emulator: StorageEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The attempt is counted before the password check: the 12th of 11 wrong + 1 right is refused."""
    FrozenClock(monkeypatch)
    gate, inside = threading.Event(), []

    def hold(password: str) -> None:
        inside.append(password)
        assert gate.wait(30), "the gate was never opened"

    with stack_with(emulator, tmp_path, LOGIN_MAX_FAILURES=10) as stack:
        stack.register("race@example.com", "password-123")
        monkeypatch.setattr(common.auth, "_hasher", _Hasher(hold))
        monkeypatch.setattr(common.auth, "_hash_slots", threading.BoundedSemaphore(100))  # let all ten in at once
        with ThreadPoolExecutor(max_workers=12) as pool:
            wrong = [pool.submit(login, stack, ATTACKER, "race@example.com", "wrong-pass") for _ in range(11)]
            wait_until(lambda: len(inside) == 10 and sum(f.done() for f in wrong) == 1,
                       what="10 wrong guesses inside the password check and the 11th refused")
            right = login(stack, ATTACKER, "race@example.com", "password-123")
            gate.set()
            codes = sorted(f.result() for f in wrong)
        assert right == 429
        assert codes == [401] * 10 + [429]
        assert "password-123" not in inside


# ---- request rate limits (the `limits` library, counters in MongoDB) ---------------------------


def test_registrations_in_a_row_are_rate_limited_per_ip(emulator: StorageEmulator, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    FrozenClock(monkeypatch)
    with stack_with(emulator, tmp_path, RATE_LIMIT_REGISTER="5/hour") as stack:
        codes = [call_from(stack, ATTACKER, "POST", "/api/auth/register",
                           json={"email": f"farm{i}@example.com", "password": "password-123"}).status_code for i in range(10)]
        assert codes == [201] * 5 + [429] * 5
        r = call_from(stack, ATTACKER, "POST", "/api/auth/register", json={"email": "x@example.com", "password": "password-123"})
        assert error_of(r)["code"] == "rate_limited" and 0 < int(r.headers["Retry-After"]) <= 3600
        assert call_from(stack, OTHER, "POST", "/api/auth/register",
                         json={"email": "honest@example.com", "password": "password-123"}).status_code == 201
        assert stack.svc.db.users.count_documents({}) == 6


def test_logins_to_unknown_emails_are_rate_limited_before_any_password_hashing(
    emulator: StorageEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    FrozenClock(monkeypatch)
    verified: list[str] = []
    with stack_with(emulator, tmp_path, RATE_LIMIT_LOGIN="10/minute", LOGIN_IP_MAX_FAILURES=1000) as stack:
        stack.register("known@example.com", "password-123")

        monkeypatch.setattr(common.auth, "_hasher", _Hasher(verified.append))
        codes = [login(stack, ATTACKER, f"nobody{i}@example.com", "whatever-1") for i in range(32)]
        assert codes == [401] * 10 + [429] * 22
        assert len(verified) == 10  # the refused ones cost no argon2 work
        assert login(stack, OTHER, "known@example.com", "password-123") == 200


def test_per_user_limit_on_generation(emulator: StorageEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Second member: a per-user policy (any IP), not per IP."""
    FrozenClock(monkeypatch)
    with stack_with(emulator, tmp_path, RATE_LIMIT_GENERATE="3/minute") as stack:
        token = stack.register()
        codes = [call_from(stack, ip, "POST", "/api/ai/image", token=token, json={"prompt": "p"}).status_code
                 for ip in (ATTACKER, OWNER, OTHER, ATTACKER)]
        assert codes[:3] == [202, 202, 202]
        assert codes[3] == 429
        other = stack.register()
        assert call_from(stack, ATTACKER, "POST", "/api/ai/image", token=other, json={"prompt": "p"}).status_code == 202


# ---- the client IP ----------------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_unless_it_came_through_our_proxy(emulator: StorageEmulator, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    FrozenClock(monkeypatch)
    with stack_with(emulator, tmp_path, RATE_LIMIT_REGISTER="2/hour") as stack:
        for i in range(2):  # a forged header per request does not make a new client
            call_from(stack, ATTACKER, "POST", "/api/auth/register", headers={"X-Forwarded-For": f"10.0.0.{i}"},
                      json={"email": f"f{i}@example.com", "password": "password-123"})
        r = call_from(stack, ATTACKER, "POST", "/api/auth/register", headers={"X-Forwarded-For": "10.9.9.9"},
                      json={"email": "f9@example.com", "password": "password-123"})
        assert r.status_code == 429
    with stack_with(emulator, tmp_path, RATE_LIMIT_REGISTER="2/hour", TRUSTED_PROXIES="127.0.0.2/32") as stack:
        for i in range(3):  # our proxy at 127.0.0.2 speaks for three different clients
            r = call_from(stack, ATTACKER, "POST", "/api/auth/register", headers={"X-Forwarded-For": f"spoof, 10.0.0.{i}"},
                          json={"email": f"g{i}@example.com", "password": "password-123"})
            assert r.status_code == 201, r.text


def test_client_ip_walks_only_trusted_hops() -> None:
    trusted = parse_networks(["10.1.0.0/16", "169.254.0.0/16"])
    assert client_ip("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"  # direct: the header is the client's own
    assert client_ip("169.254.1.1", "1.2.3.4, 10.1.0.5", trusted) == "1.2.3.4"  # front end ← our proxy ← client
    assert client_ip("169.254.1.1", "6.6.6.6, 1.2.3.4", trusted) == "1.2.3.4"  # forged leftmost entry is not reached
    assert client_ip("169.254.1.1", "garbage", trusted) == "169.254.1.1"
    assert client_ip("127.0.0.1", "1.2.3.4", []) == "127.0.0.1"
    # Cloud Run replaces X-Forwarded-For with whoever reached Google's front end: through the VPS
    # Nginx (10.1.0.5, trusted) that is the proxy itself, and the client is the X-Real-IP it set.
    assert client_ip("169.254.1.1", "10.1.0.5", trusted, "1.2.3.4") == "1.2.3.4"
    # A direct caller's own X-Real-IP is never believed: its address is not a trusted hop.
    assert client_ip("169.254.1.1", "203.0.113.9", trusted, "1.2.3.4") == "203.0.113.9"
    assert client_ip("203.0.113.9", None, trusted, "1.2.3.4") == "203.0.113.9"
    assert client_ip("169.254.1.1", "10.1.0.5", trusted, "not-an-ip") == "10.1.0.5"


# ---- every answer under /api/ is JSON; security headers from the app ----------------------------


def test_deeply_nested_json_is_400_on_a_public_route(stack: Stack) -> None:
    r = stack.api("POST", "/api/auth/login", data="[" * 1000 + "]" * 1000, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_request"
    r = stack.api("POST", "/api/auth/login", data='{"email":' + "[" * 5000 + "]" * 5000 + "}",
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_request"


def test_deeply_nested_json_is_400_on_an_authenticated_route(stack: Stack) -> None:
    """Second member: the same parser limit on every route (here chat, behind a token)."""
    token = stack.register()
    r = stack.api("POST", "/api/ai/chat", token=token, data='{"message":' + "{\"a\":" * 3000 + "1" + "}" * 3001,
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and error_of(r)["code"] == "invalid_request"


@pytest.mark.parametrize("method", ["PROPFIND", "TRACE", "BREW"])
def test_unusual_methods_get_json_not_html(stack: Stack, method: str) -> None:
    r = stack.api(method, "/api/auth/login")
    assert r.headers["Content-Type"].startswith("application/json"), r.text[:200]
    assert error_of(r)["code"] in ("method_not_allowed", "invalid_request")


def test_functions_framework_errors_are_json_too(stack: Stack) -> None:
    import functions_framework

    main = str(Path(__file__).resolve().parents[2] / "main.py")
    client = functions_framework.create_app("auth", main).test_client()
    for path in ("/robots.txt", "/favicon.ico"):
        r = client.get(path)
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found", r.data[:200]
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_security_headers_on_api_answers_and_a_strict_csp_on_the_app(stack: Stack, tmp_path: Path) -> None:
    for r in (stack.api("GET", "/api/health"), stack.api("GET", "/api/nope"), stack.api("POST", "/api/auth/login", json={})):
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert "max-age=" in r.headers["Strict-Transport-Security"]
    page = stack.api("GET", "/studio")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    assert "unsafe-eval" not in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_a_rate_limit_window_restarts_after_it_expires(emulator: StorageEmulator, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    now = FrozenClock(monkeypatch)
    with stack_with(emulator, tmp_path, RATE_LIMIT_REGISTER="2/minute") as stack:
        def register(i: int) -> int:
            return call_from(stack, OTHER, "POST", "/api/auth/register",
                             json={"email": f"w{i}@example.com", "password": "password-123"}).status_code

        assert [register(i) for i in range(3)] == [201, 201, 429]
        now.advance(61)
        assert [register(i) for i in range(3, 6)] == [201, 201, 429]
