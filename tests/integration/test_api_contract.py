"""Bad input gets API.md's JSON error and changes nothing; other people's things stay invisible."""

from __future__ import annotations

import jwt
import pytest

from tests.conftest import Stack


def error_of(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}
    assert "Traceback" not in response.text
    return dict(body["error"])


def test_health_reports_each_dependency(stack: Stack) -> None:
    r = stack.api("GET", "/api/health")  # the auth service's readiness (Nginx routes it there)
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": stack.svc.settings.VERSION, "checks": {"db": "ok", "secrets": "ok"}}
    assert stack.api("GET", "/api/health/live").json()["status"] == "ok"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x", "aspect_ratio": "2:1"}, "aspect_ratio"),
        ({"prompt": "x", "extra": 1}, "extra"),
        ({"prompt": 42}, "prompt"),
        ({"prompt": "x" * 2001}, "prompt"),
    ],
)
def test_image_request_validation_names_the_field(stack: Stack, body: dict, field: str) -> None:
    token = stack.register()
    r = stack.api("POST", "/api/ai/image", token=token, json=body)
    assert r.status_code == 400
    err = error_of(r)
    assert err["code"] == "invalid_request"
    assert err["details"]["field"] == field
    assert stack.api("GET", "/api/ai/tasks", token=token).json()["items"] == []


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b"\xff\xfe", b""])
def test_malformed_json_is_400_not_500(stack: Stack, raw: bytes) -> None:
    token = stack.register()
    r = stack.api("POST", "/api/ai/video", token=token, data=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert error_of(r)["code"] == "invalid_request"


@pytest.mark.parametrize(
    "body", [{"prompt": "x", "duration_s": 5}, {"prompt": "x", "aspect_ratio": "1:1"}, {"prompt": "x", "image_url": "http://127.0.0.1:1/x.png"}]
)
def test_video_request_rejects_bad_duration_aspect_and_foreign_urls(stack: Stack, body: dict) -> None:
    token = stack.register()
    r = stack.api("POST", "/api/ai/video", token=token, json=body)
    assert r.status_code in (400, 403)
    assert error_of(r)["code"] in ("invalid_request", "bad_signature")
    assert stack.api("GET", "/api/ai/tasks", token=token).json()["items"] == []


def test_register_rules_and_duplicate_email(stack: Stack) -> None:
    short = stack.api("POST", "/api/auth/register", json={"email": "a@example.com", "password": "short"})
    assert short.status_code == 400 and error_of(short)["details"]["field"] == "password"
    bad = stack.api("POST", "/api/auth/register", json={"email": "not-an-email", "password": "long-enough"})
    assert bad.status_code == 400 and error_of(bad)["details"]["field"] == "email"
    stack.register("dup@example.com")
    again = stack.api("POST", "/api/auth/register", json={"email": "DUP@example.com", "password": "password-123"})
    assert again.status_code == 409 and error_of(again)["code"] == "email_taken"


def test_login_wrong_password_then_throttled_with_retry_after(stack: Stack) -> None:
    stack.register("t@example.com", "password-123")
    for _ in range(3):
        r = stack.api("POST", "/api/auth/login", json={"email": "t@example.com", "password": "wrong-pass"})
        assert r.status_code == 401 and error_of(r)["code"] == "invalid_credentials"
    r = stack.api("POST", "/api/auth/login", json={"email": "t@example.com", "password": "password-123"})
    assert r.status_code == 429
    assert error_of(r)["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) > 0


def test_login_and_me_show_quota_and_credits(stack: Stack) -> None:
    stack.register("me@example.com", "password-123")
    r = stack.api("POST", "/api/auth/login", json={"email": "me@example.com", "password": "password-123"})
    assert r.status_code == 200
    me = stack.api("GET", "/api/auth/me", token=r.json()["token"]).json()
    assert me["email"] == "me@example.com" and me["role"] == "user" and me["credits"] == 0
    assert set(me["quota"]) == {"video", "image", "chat"}
    assert me["quota"]["image"]["used"] == 0


def test_missing_forged_and_expired_tokens_are_401(stack: Stack) -> None:
    assert error_of(stack.api("GET", "/api/auth/me"))["code"] == "unauthorized"
    forged = jwt.encode({"sub": "x", "iss": "sora-studio", "aud": "sora-studio-web", "iat": 1_700_000_000,
                         "exp": 4_000_000_000}, "not-the-key", algorithm="HS256")
    r = stack.api("GET", "/api/auth/me", token=forged)
    assert r.status_code == 401 and error_of(r)["code"] == "unauthorized"
    none_alg = jwt.encode({"sub": "x"}, None, algorithm="none")  # type: ignore[arg-type]
    assert stack.api("GET", "/api/auth/me", token=none_alg).status_code == 401
    token = stack.register()
    claims = jwt.decode(token, options={"verify_signature": False})
    expired = jwt.encode({**claims, "exp": claims["iat"] - 1}, stack.svc.jwt_key(), algorithm="HS256")
    r = stack.api("GET", "/api/auth/me", token=expired)
    assert r.status_code == 401 and error_of(r)["code"] == "token_expired"
    wrong_aud = jwt.encode({**claims, "aud": "someone-else"}, stack.svc.jwt_key(), algorithm="HS256")
    assert stack.api("GET", "/api/auth/me", token=wrong_aud).status_code == 401


def test_disabled_user_token_stops_working_at_once(stack: Stack) -> None:
    token = stack.register("gone@example.com")
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 200
    stack.svc.db.users.update_one({"email": "gone@example.com"}, {"$set": {"disabled": True}})
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 401


def test_someone_elses_task_is_404_for_read_and_delete(stack: Stack) -> None:
    alice, bob = stack.register(), stack.register()
    task = stack.api("POST", "/api/ai/image", token=alice, json={"prompt": "alice's"}).json()
    for method in ("GET", "DELETE"):
        r = stack.api(method, f"/api/ai/tasks/{task['id']}", token=bob)
        assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert stack.api("GET", "/api/ai/tasks", token=bob).json()["items"] == []
    assert stack.api("GET", f"/api/ai/tasks/{task['id']}", token=alice).status_code == 200
    assert stack.api("GET", "/api/ai/tasks/../../etc", token=alice).status_code == 404


def test_someone_elses_media_cannot_be_used_as_a_start_frame(stack: Stack) -> None:
    alice, bob = stack.register(), stack.register()
    done = stack.wait_task(alice, stack.api("POST", "/api/ai/image", token=alice, json={"prompt": "p"}).json()["id"])
    r = stack.api("POST", "/api/ai/video", token=bob, json={"prompt": "steal", "image_url": done["result"]["url"]})
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden"


def test_proxy_refuses_tampered_signatures_and_foreign_urls_without_fetching(stack: Stack) -> None:
    token = stack.register()
    done = stack.wait_task(token, stack.api("POST", "/api/ai/image", token=token, json={"prompt": "p"}).json()["id"])
    url = done["result"]["url"]
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    for bad in (tampered, "/api/ai/proxy?url=http%3A%2F%2F127.0.0.1%3A1%2Fsecret&sig=" + "0" * 64,
                "/api/ai/proxy?url=gs%3A%2F%2Fother-bucket%2Fmedia%2Fu%2Fx.png&sig=" + "0" * 64, "/api/ai/proxy"):
        r = stack.api("GET", bad)
        assert r.status_code == 403, bad
        assert error_of(r)["code"] == "bad_signature"


def test_unknown_route_and_wrong_method(stack: Stack) -> None:
    r = stack.api("GET", "/api/nope")
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    r = stack.api("PUT", "/api/ai/image", token=stack.register(), json={})
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


def test_task_list_paginates_newest_first_and_filters(stack: Stack) -> None:
    token = stack.register()
    ids = [stack.api("POST", "/api/ai/image", token=token, json={"prompt": f"p{i}"}).json()["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        page = stack.api("GET", "/api/ai/tasks", token=token, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert stack.api("GET", "/api/ai/tasks", token=token, params={"type": "video"}).json()["items"] == []
    bad = stack.api("GET", "/api/ai/tasks", token=token, params={"cursor": "garbage!"})
    assert bad.status_code == 400
    bad = stack.api("GET", "/api/ai/tasks", token=token, params={"limit": 1000})
    assert bad.status_code == 400 and error_of(bad)["details"]["field"] == "limit"


def test_task_list_polls_only_the_named_own_tasks(stack: Stack) -> None:
    """`ids=`: the running tasks a gallery polls; others' and unknown ids are left out, bad lists are 400."""
    alice, bob = stack.register(), stack.register()
    mine = [stack.api("POST", "/api/ai/image", token=alice, json={"prompt": f"p{i}"}).json()["id"] for i in range(4)]
    theirs = stack.api("POST", "/api/ai/image", token=bob, json={"prompt": "b"}).json()["id"]
    asked = [mine[0], mine[2], theirs, "0" * 24, mine[2]]
    page = stack.api("GET", "/api/ai/tasks", token=alice, params={"ids": ",".join(asked)}).json()
    assert [t["id"] for t in page["items"]] == [mine[2], mine[0]] and page["next_cursor"] is None
    first = stack.api("GET", "/api/ai/tasks", token=alice, params={"ids": ",".join(mine), "limit": 3}).json()
    rest = stack.api("GET", "/api/ai/tasks", token=alice,
                     params={"ids": ",".join(mine), "limit": 3, "cursor": first["next_cursor"]}).json()
    assert [t["id"] for t in first["items"] + rest["items"]] == list(reversed(mine))
    for bad in ("", ",", ",".join(f"{i:024x}" for i in range(101)), "x" * 65):
        r = stack.api("GET", "/api/ai/tasks", token=alice, params={"ids": bad})
        assert r.status_code == 400 and error_of(r)["details"]["field"] == "ids", (bad[:30], r.text)


def test_delete_removes_task_and_its_media(stack: Stack) -> None:
    token = stack.register()
    done = stack.wait_task(token, stack.api("POST", "/api/ai/image", token=token, json={"prompt": "p"}).json()["id"])
    assert stack.api("GET", done["result"]["url"]).status_code == 200
    assert stack.api("DELETE", f"/api/ai/tasks/{done['id']}", token=token).status_code == 204
    assert stack.api("GET", f"/api/ai/tasks/{done['id']}", token=token).status_code == 404
    assert stack.api("GET", done["result"]["url"]).status_code == 404


def test_cors_allows_configured_origin_only(stack: Stack) -> None:
    pre = stack.api("OPTIONS", "/api/ai/image", headers={"Origin": "https://studio.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://studio.example"
    assert "Authorization" in pre.headers["Access-Control-Allow-Headers"]
    other = stack.api("GET", "/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_google_sign_in_is_404_not_enabled_without_a_client_id(stack: Stack) -> None:
    r = stack.api("POST", "/api/auth/google", json={"id_token": "x" * 20})
    assert r.status_code == 404 and error_of(r)["code"] == "not_enabled"
