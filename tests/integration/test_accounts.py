"""Accounts: logout, password change and reset, developer API tokens, usage, quota time zone, Google sign-in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from common import clock
from common.mailer import LogMailer
from localstack.emulator import StorageEmulator
from tests.conftest import Stack, make_settings, start_stack
from tests.fakes.google_identity import FakeGoogleIdentity

PASSWORD = "password-123"


def error_code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


def login(stack: Stack, email: str, password: str = PASSWORD) -> Any:
    return stack.api("POST", "/api/auth/login", json={"email": email, "password": password})


# ---- logout and password change -----------------------------------------------------


def test_logout_retires_the_token(stack: Stack) -> None:
    token = stack.register("out@example.com")
    other_session = login(stack, "out@example.com").json()["token"]
    assert stack.api("POST", "/api/auth/logout", token=token).status_code == 204
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 401
    assert stack.api("GET", "/api/auth/me", token=other_session).status_code == 401
    assert stack.api("POST", "/api/auth/logout").status_code == 401
    again = login(stack, "out@example.com").json()["token"]
    assert stack.api("GET", "/api/auth/me", token=again).status_code == 200


def test_password_change_retires_older_tokens_and_needs_the_current_password(stack: Stack) -> None:
    token = stack.register("pw@example.com")
    wrong = stack.api("POST", "/api/auth/password", token=token,
                      json={"current_password": "not-it-at-all", "new_password": "brand-new-pass"})
    assert wrong.status_code == 401 and error_code(wrong) == "invalid_credentials"
    short = stack.api("POST", "/api/auth/password", token=token, json={"current_password": PASSWORD, "new_password": "short"})
    assert short.status_code == 400 and short.json()["error"]["details"]["field"] == "new_password"
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 200  # nothing changed by the refusals
    ok = stack.api("POST", "/api/auth/password", token=token, json={"current_password": PASSWORD, "new_password": "brand-new-pass"})
    assert ok.status_code == 204
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 401
    assert login(stack, "pw@example.com").status_code == 401
    assert login(stack, "pw@example.com", "brand-new-pass").status_code == 200


# ---- password reset ------------------------------------------------------------------


def reset_token_from(mailer: LogMailer, email: str) -> str:
    mails = [m for m in mailer.sent if m.to == email]
    assert mails, "no reset mail"
    match = re.search(r"/reset-password\?token=([A-Za-z0-9_%-]+)", mails[-1].text)
    assert match, mails[-1].text
    return match.group(1)


def test_password_reset_mails_a_one_time_link_and_never_reveals_accounts(stack: Stack) -> None:
    token = stack.register("reset@example.com")
    api_token = stack.api("POST", "/api/auth/tokens", token=token, json={"name": "x"}).json()["token"]
    mailer = stack.svc.mailer
    assert isinstance(mailer, LogMailer)
    unknown = stack.api("POST", "/api/auth/password/reset", json={"email": "nobody@example.com"})
    known = stack.api("POST", "/api/auth/password/reset", json={"email": "Reset@Example.com"})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert [m.to for m in mailer.sent] == ["reset@example.com"]
    reset = reset_token_from(mailer, "reset@example.com")

    bad = stack.api("POST", "/api/auth/password/reset/confirm", json={"token": "x" * 40, "new_password": "another-pass-1"})
    assert bad.status_code == 400 and error_code(bad) == "invalid_token"
    weak = stack.api("POST", "/api/auth/password/reset/confirm", json={"token": reset, "new_password": "short"})
    assert weak.status_code == 400
    ok = stack.api("POST", "/api/auth/password/reset/confirm", json={"token": reset, "new_password": "another-pass-1"})
    assert ok.status_code == 204
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 401
    assert stack.api("GET", "/api/ai/tasks", token=api_token).status_code == 401  # a reset revokes API tokens too
    assert login(stack, "reset@example.com", "another-pass-1").status_code == 200
    replay = stack.api("POST", "/api/auth/password/reset/confirm", json={"token": reset, "new_password": "third-pass-123"})
    assert replay.status_code == 400 and error_code(replay) == "invalid_token"


def test_an_expired_reset_link_is_refused(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    stack.register("late@example.com")
    stack.api("POST", "/api/auth/password/reset", json={"email": "late@example.com"})
    reset = reset_token_from(stack.svc.mailer, "late@example.com")  # type: ignore[arg-type]
    later = clock.now().replace(year=clock.now().year + 1)
    monkeypatch.setattr(clock, "now", lambda: later)
    r = stack.api("POST", "/api/auth/password/reset/confirm", json={"token": reset, "new_password": "another-pass-1"})
    assert r.status_code == 400 and error_code(r) == "invalid_token"


def test_smtp_mailer_is_chosen_by_settings(emulator: StorageEmulator, tmp_path: Path) -> None:
    from common.mailer import SmtpMailer
    from common.runtime import Services

    svc = Services(make_settings(emulator, tmp_path, SMTP_HOST="smtp.example.com", SMTP_PORT=465, SMTP_TLS=True))
    assert isinstance(svc.mailer, SmtpMailer)


# ---- developer API tokens --------------------------------------------------------------


def test_api_tokens_are_shown_once_stored_hashed_and_work_on_ai_routes_only(stack: Stack) -> None:
    session = stack.register("dev@example.com")
    created = stack.api("POST", "/api/auth/tokens", token=session, json={"name": "my script"})
    assert created.status_code == 201
    body = created.json()
    api_token = body["token"]
    assert api_token.startswith("sora_") and len(api_token) > 40
    stored = stack.svc.db.api_tokens.find_one({"_id": body["id"]})
    assert stored is not None and api_token not in str(stored)
    listed = stack.api("GET", "/api/auth/tokens", token=session).json()["items"]
    assert listed == [{"id": body["id"], "name": "my script", "last4": api_token[-4:], "created_at": body["created_at"],
                       "last_used_at": None}]

    task = stack.api("POST", "/api/ai/image", token=api_token, json={"prompt": "a lighthouse"})
    assert task.status_code == 202, task.text
    assert task.json()["cost"]["from_quota"] is True  # the owner's quota
    assert stack.wait_task(session, task.json()["id"])["status"] == "COMPLETED"  # the owner's task
    assert stack.api("GET", "/api/auth/tokens", token=session).json()["items"][0]["last_used_at"] is not None

    for method, path in [("GET", "/api/auth/me"), ("GET", "/api/auth/tokens"), ("POST", "/api/auth/tokens"),
                         ("POST", "/api/auth/password"), ("GET", "/api/admin/stats"), ("GET", "/api/billing/orders")]:
        r = stack.api(method, path, token=api_token, json={"name": "again"})
        assert r.status_code == 403, (method, path, r.status_code)

    assert stack.api("DELETE", f"/api/auth/tokens/{body['id']}", token=session).status_code == 204
    assert stack.api("GET", "/api/ai/tasks", token=api_token).status_code == 401
    assert stack.api("GET", "/api/auth/tokens", token=session).json()["items"] == []
    assert stack.api("DELETE", f"/api/auth/tokens/{body['id']}", token=session).status_code == 404


def test_api_token_routes_refuse_bad_input_and_others_ids(stack: Stack) -> None:
    alice = stack.register()
    bob = stack.register()
    assert stack.api("POST", "/api/auth/tokens", token=alice, json={"name": ""}).status_code == 400
    assert stack.api("POST", "/api/auth/tokens", token=alice, json={}).status_code == 400
    assert stack.api("POST", "/api/auth/tokens", json={"name": "x"}).status_code == 401
    mine = stack.api("POST", "/api/auth/tokens", token=alice, json={"name": "a"}).json()
    r = stack.api("DELETE", f"/api/auth/tokens/{mine['id']}", token=bob)
    assert r.status_code == 404 and error_code(r) == "not_found"
    assert stack.api("GET", "/api/auth/tokens", token=bob).json()["items"] == []
    assert stack.api("GET", "/api/ai/tasks", token=mine["token"]).status_code == 200
    assert stack.api("GET", "/api/ai/tasks", token="sora_" + "x" * 43).status_code == 401


# ---- usage -------------------------------------------------------------------------------


def test_usage_lists_the_users_own_ledger_newest_first_with_a_cursor(stack: Stack) -> None:
    token = stack.register("use@example.com")
    other = stack.register()
    uid = stack.api("GET", "/api/auth/me", token=token).json()["id"]
    acc = stack.svc.accounting
    acc.apply_credits(user_id=uid, delta=50, key="order:o1", reason="credits purchase", meta={"order_id": "o1"})
    for i in range(3):
        acc.apply_credits(user_id=uid, delta=-2, key=f"charge:t{i}", reason="image generation", meta={"task_id": f"t{i}"})
    acc.apply_credits(user_id=uid, delta=2, key="refund:t2", reason="image generation refund", meta={"task_id": "t2"})
    first = stack.api("GET", "/api/auth/usage?limit=3", token=token).json()
    assert [(e["kind"], e["amount"], e["task_id"]) for e in first["items"]] == [
        ("refund", 2, "t2"), ("charge", -2, "t2"), ("charge", -2, "t1")]
    second = stack.api("GET", f"/api/auth/usage?limit=3&cursor={first['next_cursor']}", token=token).json()
    assert [(e["kind"], e["amount"]) for e in second["items"]] == [("charge", -2), ("purchase", 50)]
    assert second["items"][1]["order_id"] == "o1" and second["next_cursor"] is None
    assert stack.api("GET", "/api/auth/usage", token=other).json()["items"] == []
    bad = stack.api("GET", "/api/auth/usage?cursor=!!!", token=token)
    assert bad.status_code == 400 and error_code(bad) == "invalid_request"
    assert stack.api("GET", "/api/auth/usage").status_code == 401


# ---- quota time zone ------------------------------------------------------------------------


def test_quota_resets_at_midnight_in_the_configured_time_zone(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    token = stack.register()
    # 2026-03-01 17:30 UTC is 01:30 on 03-02 in Shanghai (UTC+8): the next reset is 03-02 16:00 UTC.
    at = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)
    monkeypatch.setattr(clock, "now", lambda: at)
    me = stack.api("GET", "/api/auth/me", token=token).json()
    assert me["quota"]["image"]["resets_at"].startswith("2026-03-02T00:00:00")
    stack.svc.db.settings.update_one({"_id": "pricing"}, {"$set": {"quota_timezone": "Asia/Shanghai"}}, upsert=True)
    me = stack.api("GET", "/api/auth/me", token=token).json()
    assert me["quota"]["image"]["resets_at"].startswith("2026-03-02T16:00:00")
    task = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "tz"}).json()
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["image"]["used"] == 1
    uid = stack.api("GET", "/api/auth/me", token=token).json()["id"]
    assert stack.svc.db.quota_usage.find_one({"_id": f"{uid}:image:2026-03-02"}) is not None
    stack.wait_task(token, task["id"])


def test_clock_next_midnight_is_dst_safe() -> None:
    # New York springs forward on 2026-03-08: local midnight of 03-09 is 04:00 UTC (EDT), of 03-08 05:00 UTC (EST).
    assert clock.next_midnight(datetime(2026, 3, 8, 12, tzinfo=UTC), "America/New_York") == datetime(2026, 3, 9, 4, tzinfo=UTC)
    assert clock.next_midnight(datetime(2026, 3, 7, 12, tzinfo=UTC), "America/New_York") == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert clock.day_key(datetime(2026, 3, 1, 17, tzinfo=UTC), "Asia/Shanghai") == "2026-03-02"
    assert clock.day_key(datetime(2026, 3, 1, 17, tzinfo=UTC), "No/Such_Zone") == "2026-03-01"


# ---- Google sign-in with ID tokens signed by a test key ------------------------------------

CLIENT_ID = "client-123.apps.googleusercontent.com"


@pytest.fixture
def google() -> Iterator[FakeGoogleIdentity]:
    fake = FakeGoogleIdentity().start()
    yield fake
    fake.stop()


@pytest.fixture
def google_stack(emulator: StorageEmulator, tmp_path: Path, google: FakeGoogleIdentity) -> Iterator[Stack]:
    from common.runtime import use

    settings = make_settings(emulator, tmp_path, GOOGLE_CLIENT_ID=CLIENT_ID, GOOGLE_CERTS_URL=google.certs_url)
    stack, server = start_stack(settings)
    yield stack
    server.shutdown()
    stack.svc.close()
    use(None)


def test_google_sign_in_creates_then_links_by_verified_email(google_stack: Stack, google: FakeGoogleIdentity) -> None:
    stack = google_stack
    r = stack.api("POST", "/api/auth/google", json={"id_token": google.sign(audience=CLIENT_ID, email="g@example.com", name="Gee")})
    assert r.status_code == 200, r.text
    assert r.json()["user"]["email"] == "g@example.com" and r.json()["user"]["name"] == "Gee"
    again = stack.api("POST", "/api/auth/google", json={"id_token": google.sign(audience=CLIENT_ID, email="g@example.com")})
    assert again.json()["user"]["id"] == r.json()["user"]["id"]
    assert stack.api("GET", "/api/auth/me", token=again.json()["token"]).status_code == 200

    existing = stack.register("Pat@Example.com")
    pat_id = stack.api("GET", "/api/auth/me", token=existing).json()["id"]
    linked = stack.api("POST", "/api/auth/google", json={"id_token": google.sign(audience=CLIENT_ID, email="pat@example.com")})
    assert linked.status_code == 200 and linked.json()["user"]["id"] == pat_id
    assert login(stack, "pat@example.com").status_code == 200  # the password still works after linking


@pytest.mark.parametrize("case", ["forged", "wrong_audience", "unverified", "expired", "wrong_issuer", "garbage"])
def test_google_sign_in_refuses_bad_tokens(google_stack: Stack, google: FakeGoogleIdentity, case: str) -> None:
    kwargs: dict[str, Any] = {"audience": CLIENT_ID, "email": "bad@example.com"}
    if case == "forged":
        kwargs["forged"] = True
    elif case == "wrong_audience":
        kwargs["audience"] = "someone-else.apps.googleusercontent.com"
    elif case == "unverified":
        kwargs["email_verified"] = False
    elif case == "expired":
        kwargs["expires_in_s"] = -3600
    elif case == "wrong_issuer":
        kwargs["issuer"] = "https://evil.example"
    id_token = "not.a.token-at-all" if case == "garbage" else google.sign(**kwargs)
    r = google_stack.api("POST", "/api/auth/google", json={"id_token": id_token})
    assert r.status_code == 401, (case, r.text)
    assert google_stack.svc.db.users.find_one({"email": "bad@example.com"}) is None


def test_config_json_serves_the_google_client_id(google_stack: Stack) -> None:
    body = google_stack.api("GET", "/config.json").json()
    assert body["google_client_id"] == CLIENT_ID


def test_smtp_mailer_delivers_the_reset_mail_over_smtp() -> None:
    """A minimal SMTP server on 127.0.0.1 (RFC 5321 commands) receives what smtplib sends."""
    import socketserver
    import threading

    from common.mailer import Mail, SmtpMailer

    received: list[bytes] = []

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 test ESMTP\r\n")
            while line := self.rfile.readline():
                verb = line.split(b" ", 1)[0].strip().upper()
                if verb in (b"EHLO", b"HELO"):
                    self.wfile.write(b"250 test\r\n")
                elif verb == b"DATA":
                    self.wfile.write(b"354 go on\r\n")
                    body = b""
                    while (chunk := self.rfile.readline()) != b".\r\n":
                        body += chunk
                    received.append(body)
                    self.wfile.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:  # MAIL FROM, RCPT TO, RSET, NOOP
                    self.wfile.write(b"250 ok\r\n")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        mailer = SmtpMailer(host="127.0.0.1", port=server.server_address[1], sender="Sora <no-reply@example.com>",
                            starttls=False, timeout_s=5)
        mailer.send(Mail(to="me@example.com", subject="Reset", text="link: http://x/reset-password?token=abc"))
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 1
    assert b"To: me@example.com" in received[0] and b"reset-password?token=abc" in received[0]
