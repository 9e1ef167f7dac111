"""The admin API over HTTP: role checks on every route, users, tasks, orders, settings, API keys, audit.

Settings changes must reach the next generation (provider, quotas, keys) with
no restart, and no secret value may ever leave through a response or the audit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from localstack.emulator import StorageEmulator
from tests.conftest import Stack, make_settings, start_stack, stop_stack
from tests.fakes import FakeGemini
from tests.fakes.c2pa_certs import make_chain
from tests.integration.gcp_fakes import FakeSecretManager

ADMIN_EMAIL, ADMIN_PASSWORD = "boss@example.com", "admin-password-123"
GEMINI_KEY = "AIzaPanelKey-0123456789-wxyz"

ROUTES = [
    ("GET", "/api/admin/stats", None),
    ("GET", "/api/admin/users", None),
    ("PATCH", "/api/admin/users/someone", {"disabled": True}),
    ("GET", "/api/admin/tasks", None),
    ("POST", "/api/admin/tasks/some-task/retry", None),
    ("GET", "/api/admin/orders", None),
    ("POST", "/api/admin/orders/some-order/refund", None),
    ("GET", "/api/admin/settings", None),
    ("PUT", "/api/admin/settings", {"pricing": {"quotas": {"image": 0}}}),
    ("GET", "/api/admin/audit", None),
    ("GET", "/api/admin/not-a-route", None),
]


def admin_token(stack: Stack) -> str:
    stack.svc.auth.ensure_admin(email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    r = stack.api("POST", "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


def me(stack: Stack, token: str) -> dict[str, Any]:
    return dict(stack.api("GET", "/api/auth/me", token=token).json())


class Recorder:
    """Every admin answer, so a test can assert no secret ever left through one."""

    def __init__(self, stack: Stack, token: str) -> None:
        self.stack, self.token = stack, token
        self.bodies: list[str] = []

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self.stack.api(method, path, token=self.token, **kwargs)
        self.bodies.append(r.text)
        return r


@pytest.fixture
def admin(stack: Stack) -> Recorder:
    return Recorder(stack, admin_token(stack))


# ---- the role --------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_admin_route_refuses_a_normal_user_and_a_guest(stack: Stack, method: str, path: str, body: Any) -> None:
    token = stack.register()
    r = stack.api(method, path, token=token, json=body)
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "forbidden"
    assert stack.api(method, path, json=body).status_code == 401
    assert stack.svc.db.audit.count_documents({}) == 0
    assert stack.svc.db.settings.count_documents({}) == 0


def test_a_demoted_admin_loses_access_on_the_next_request(stack: Stack, admin: Recorder) -> None:
    other = stack.register()
    other_id = me(stack, other)["id"]
    assert admin("PATCH", f"/api/admin/users/{other_id}", json={"role": "admin"}).status_code == 200
    assert stack.api("GET", "/api/admin/stats", token=other).status_code == 200
    assert admin("PATCH", f"/api/admin/users/{other_id}", json={"role": "user"}).status_code == 200
    assert stack.api("GET", "/api/admin/stats", token=other).status_code == 403  # same token, role read per request


# ---- stats and users -----------------------------------------------------------------------


def test_stats_count_users_tasks_revenue_and_today(stack: Stack, admin: Recorder) -> None:
    token = stack.register()
    task = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a cat"}).json()
    stack.wait_task(token, task["id"])
    res = stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": "creator"}).json()
    path, _, query = res["checkout_url"].partition("?")
    assert stack.api("POST", f"{path}/pay?{query}", allow_redirects=False).status_code == 303
    stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": "starter"})  # stays PENDING
    stats = admin("GET", "/api/admin/stats").json()
    assert stats["users"] == 2 and stats["disabled_users"] == 0
    assert stats["tasks_by_status"]["COMPLETED"] == 1 and stats["tasks_by_status"]["FAILED"] == 0
    assert stats["tasks_by_type"] == {"image": 1, "video": 0}
    assert stats["revenue_cents"] == {"usd": 1999}
    assert stats["orders_by_status"]["PAID"] == 1 and stats["orders_by_status"]["PENDING"] == 1
    assert stats["generations_today"] == 1


def test_user_search_is_case_insensitive_and_escaped(stack: Stack, admin: Recorder) -> None:
    stack.register("Alice.Smith@example.com")
    stack.register("alicexsmith@example.com")
    stack.register("bob@example.com")
    found = admin("GET", "/api/admin/users", params={"q": "ALICE.smith"}).json()["items"]
    assert [u["email"] for u in found] == ["alice.smith@example.com"]  # '.' is literal, not a wildcard
    assert admin("GET", "/api/admin/users", params={"q": ".*"}).json()["items"] == []
    page = admin("GET", "/api/admin/users", params={"limit": 2}).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = admin("GET", "/api/admin/users", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert {u["email"] for u in page["items"] + rest["items"]} == {
        "alice.smith@example.com", "alicexsmith@example.com", "bob@example.com", ADMIN_EMAIL}


def test_credit_adjustment_goes_through_the_ledger_once_per_action(stack: Stack, admin: Recorder) -> None:
    token = stack.register()
    uid = me(stack, token)["id"]
    r = admin("PATCH", f"/api/admin/users/{uid}", json={"credits_delta": 250, "note": "support ticket 42"})
    assert r.status_code == 200 and r.json()["credits"] == 250
    again = admin("PATCH", f"/api/admin/users/{uid}", json={"credits_delta": 250, "note": "support ticket 42"},
                  headers={"Idempotency-Key": "k1"})
    assert again.json()["credits"] == 500  # a second action is a second adjustment
    retried = admin("PATCH", f"/api/admin/users/{uid}", json={"credits_delta": 250, "note": "support ticket 42"},
                    headers={"Idempotency-Key": "k1"})
    assert retried.json()["credits"] == 500  # ... but a retried one is not
    changed = admin("PATCH", f"/api/admin/users/{uid}", json={"credits_delta": 250}, headers={"Idempotency-Key": "k1"})
    assert changed.status_code == 422  # the same key with another body is a client mistake, not a silent no-op
    entries = list(stack.svc.db.ledger.find({"user_id": uid}, sort=[("created_at", 1)]))
    assert [e["delta"] for e in entries] == [250, 250]
    assert all(e["reason"].startswith("admin adjustment") and "support ticket 42" in e["reason"] for e in entries)
    too_much = admin("PATCH", f"/api/admin/users/{uid}", json={"credits_delta": -501})
    assert too_much.status_code == 409 and me(stack, token)["credits"] == 500


def test_disabling_a_user_stops_their_token_at_once_and_enabling_revives_none(stack: Stack, admin: Recorder) -> None:
    email = "dis@example.com"
    token = stack.register(email)
    uid = me(stack, token)["id"]
    api_token = stack.api("POST", "/api/auth/tokens", token=token, json={"name": "ci"}).json()["token"]
    r = admin("PATCH", f"/api/admin/users/{uid}", json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 401
    assert stack.api("GET", "/api/ai/tasks", token=api_token).status_code == 401
    admin("PATCH", f"/api/admin/users/{uid}", json={"disabled": False})
    assert stack.api("GET", "/api/auth/me", token=token).status_code == 401
    assert stack.api("GET", "/api/ai/tasks", token=api_token).status_code == 401
    fresh = stack.api("POST", "/api/auth/login", json={"email": email, "password": "password-123"})
    assert fresh.status_code == 200
    assert stack.api("GET", "/api/auth/me", token=fresh.json()["token"]).status_code == 200


def test_an_admin_cannot_disable_or_demote_themself(stack: Stack, admin: Recorder) -> None:
    my_id = me(stack, admin.token)["id"]
    for body in ({"disabled": True}, {"role": "user"}):
        r = admin("PATCH", f"/api/admin/users/{my_id}", json=body)
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert me(stack, admin.token)["role"] == "admin"
    assert admin("PATCH", f"/api/admin/users/{my_id}", json={"credits_delta": 5}).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"credits_delta": 1_000_001}, "credits_delta"),
    ({"credits_delta": "10"}, "credits_delta"),
    ({"credits_delta": 1.5}, "credits_delta"),
    ({"note": "x" * 501, "credits_delta": 1}, "note"),
    ({"role": "owner"}, "role"),
    ({"disabled": "yes"}, "disabled"),
    ({"credit": 5}, "credit"),
    ({}, "body"),
])
def test_user_patch_validation_names_the_field(stack: Stack, admin: Recorder, body: dict[str, Any], field: str) -> None:
    uid = me(stack, stack.register())["id"]
    r = admin("PATCH", f"/api/admin/users/{uid}", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["details"]["field"] == field


def test_unknown_user_is_404(admin: Recorder) -> None:
    assert admin("PATCH", "/api/admin/users/nobody", json={"disabled": True}).status_code == 404


# ---- tasks -------------------------------------------------------------------------------


def test_tasks_of_every_user_with_filters_and_owner(stack: Stack, admin: Recorder) -> None:
    alice, bob = stack.register("alice@example.com"), stack.register("bob@example.com")
    a = stack.api("POST", "/api/ai/image", token=alice, json={"prompt": "ok"}).json()
    b = stack.api("POST", "/api/ai/image", token=bob, json={"prompt": "bad [sim:unsafe]"}).json()
    stack.wait_task(alice, a["id"])
    stack.wait_task(bob, b["id"])
    items = admin("GET", "/api/admin/tasks").json()["items"]
    assert [(t["id"], t["email"]) for t in items] == [(b["id"], "bob@example.com"), (a["id"], "alice@example.com")]
    failed = admin("GET", "/api/admin/tasks", params={"status": "FAILED"}).json()["items"]
    assert [t["id"] for t in failed] == [b["id"]]
    by_user = admin("GET", "/api/admin/tasks", params={"user_id": me(stack, alice)["id"]}).json()["items"]
    assert [t["id"] for t in by_user] == [a["id"]]
    assert admin("GET", "/api/admin/tasks", params={"status": "NOPE"}).status_code == 400


def test_retry_runs_a_failed_task_again_for_free(stack: Stack, admin: Recorder) -> None:
    token = stack.register()
    stack.svc.db.settings.update_one({"_id": "pricing"}, {"$set": {"quotas.image": 0}}, upsert=True)
    uid = me(stack, token)["id"]
    stack.svc.accounting.apply_credits(user_id=uid, delta=10, key="grant-test", reason="test")
    task = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "x [sim:unsafe]"}).json()
    assert task["cost"] == {"credits": 2, "from_quota": False}
    assert stack.wait_task(token, task["id"])["status"] == "FAILED"
    assert me(stack, token)["credits"] == 10  # refunded
    r = admin("POST", f"/api/admin/tasks/{task['id']}/retry")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "PENDING" and r.json()["cost"] == {"credits": 0, "from_quota": False}
    again = stack.wait_task(token, task["id"])
    assert again["status"] == "FAILED"  # it ran again (the prompt is refused again)
    assert stack.svc.db.tasks.find_one({"_id": task["id"]})["step"] >= 1
    assert me(stack, token)["credits"] == 10  # neither charged nor refunded a second time
    assert admin("POST", f"/api/admin/tasks/{task['id']}/retry").status_code == 200
    ok = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "fine"}).json()
    assert stack.wait_task(token, ok["id"])["status"] == "COMPLETED"
    r = admin("POST", f"/api/admin/tasks/{ok['id']}/retry")
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    assert admin("POST", "/api/admin/tasks/nope/retry").status_code == 404


# ---- orders -------------------------------------------------------------------------------


def test_orders_list_and_refund_once(stack: Stack, admin: Recorder) -> None:
    token = stack.register("payer@example.com")
    res = stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": "starter"}).json()
    pending = stack.api("POST", "/api/billing/checkout", token=token, json={"package_id": "creator"}).json()["order"]
    path, _, query = res["checkout_url"].partition("?")
    stack.api("POST", f"{path}/pay?{query}", allow_redirects=False)
    assert me(stack, token)["credits"] == 100
    listed = admin("GET", "/api/admin/orders", params={"status": "PAID"}).json()["items"]
    assert [(o["id"], o["email"]) for o in listed] == [(res["order"]["id"], "payer@example.com")]
    r = admin("POST", f"/api/admin/orders/{res['order']['id']}/refund")
    assert r.status_code == 200 and r.json()["status"] == "REFUNDED"
    assert me(stack, token)["credits"] == 0
    assert admin("POST", f"/api/admin/orders/{res['order']['id']}/refund").status_code == 409
    assert admin("POST", f"/api/admin/orders/{pending['id']}/refund").status_code == 409
    assert admin("POST", "/api/admin/orders/nope/refund").status_code == 404
    assert me(stack, token)["credits"] == 0
    assert admin("GET", "/api/admin/stats").json()["revenue_cents"] == {}


# ---- settings ------------------------------------------------------------------------------


def test_settings_read_defaults_with_keys_unset(admin: Recorder) -> None:
    s = admin("GET", "/api/admin/settings").json()
    assert s["pricing"] == {"quotas": {"video": 3, "image": 10, "chat": 50}, "costs": {"video": 10, "image": 2, "chat": 1},
                            "quota_timezone": "UTC"}
    assert [p["id"] for p in s["packages"]] == ["starter", "creator", "studio"]
    assert s["providers"]["image_provider"] == "sim" and s["providers"]["video_provider"] == "sim"
    assert s["cors_origins"] == []
    assert s["api_keys"]["gemini_api_key"] == {"set": False, "last4": None, "updated_at": None}


@pytest.mark.parametrize(("body", "field"), [
    ({"pricing": {"quotas": {"image": 10_001}}}, "pricing.quotas.image"),
    ({"pricing": {"costs": {"video": -1}}}, "pricing.costs.video"),
    ({"pricing": {"quotas": {"image": "5"}}}, "pricing.quotas.image"),
    ({"pricing": {"quotas": {"music": 5}}}, "pricing.quotas.music"),
    ({"pricing": {"quota_timezone": "Mars/Olympus"}}, "pricing.quota_timezone"),
    ({"providers": {"image_provider": "dalle"}}, "providers.image_provider"),
    ({"providers": {"gemini_base_url": "ftp://x.example"}}, "providers.gemini_base_url"),
    ({"providers": {"openai_base_url": "http://evil.example"}}, "providers.openai_base_url"),
    ({"providers": {"sora_model": "bad model name"}}, "providers.sora_model"),
    ({"cors_origins": ["https://ok.example", "https://x.example/path"]}, "cors_origins.1"),
    ({"cors_origins": ["*"]}, "cors_origins.0"),
    ({"packages": [{"id": "a", "name": "A", "credits": 1, "price_cents": 10, "currency": "usd"}]}, "packages.0.price_cents"),
    ({"packages": [{"id": "a", "name": "A", "credits": 1, "price_cents": 100, "currency": "usd"}] * 2}, "packages"),
    ({"api_keys": {"gemini_api_key": None}}, "api_keys.gemini_api_key"),
    ({"api_keys": {"openai_api_key": "short"}}, "api_keys.openai_api_key"),
    ({"api_keys": {"aws_key": "x" * 20}}, "api_keys.aws_key"),
])
def test_settings_validation_names_the_field_and_writes_nothing(stack: Stack, admin: Recorder, body: dict[str, Any], field: str) -> None:
    r = admin("PUT", "/api/admin/settings", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "invalid_request"
    assert r.json()["error"]["details"]["field"] == field
    assert stack.svc.db.settings.count_documents({}) == 0 and stack.svc.db.audit.count_documents({}) == 0


def test_production_refuses_plain_http_base_urls(stack: Stack, admin: Recorder) -> None:
    stack.svc.admin._production = True
    r = admin("PUT", "/api/admin/settings", json={"providers": {"gemini_base_url": "http://127.0.0.1:9"}})
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == "providers.gemini_base_url"


def test_partial_put_changes_only_what_it_names(stack: Stack, admin: Recorder) -> None:
    r = admin("PUT", "/api/admin/settings", json={
        "pricing": {"quotas": {"video": 1}}, "cors_origins": ["https://app.example/"],
        "packages": [{"id": "solo", "name": "Solo", "credits": 42, "price_cents": 299, "currency": "EUR"}],
    })
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["pricing"]["quotas"] == {"video": 1, "image": 10, "chat": 50}
    assert s["cors_origins"] == ["https://app.example"]
    assert stack.api("GET", "/api/billing/packages").json()["items"] == [
        {"id": "solo", "name": "Solo", "credits": 42, "price_cents": 299, "currency": "eur"}]
    s2 = admin("PUT", "/api/admin/settings", json={"pricing": {"costs": {"video": 7}}}).json()
    assert s2["pricing"] == {"quotas": {"video": 1, "image": 10, "chat": 50}, "costs": {"video": 7, "image": 2, "chat": 1},
                             "quota_timezone": "UTC"}
    s3 = admin("PUT", "/api/admin/settings", json={"pricing": {"quota_timezone": "Asia/Shanghai"}}).json()
    assert s3["pricing"]["quota_timezone"] == "Asia/Shanghai" and s3["pricing"]["costs"]["video"] == 7
    assert s2["cors_origins"] == ["https://app.example"] and s2["packages"][0]["id"] == "solo"
    # The CORS origin the panel added is honoured by every function.
    pre = stack.api("OPTIONS", "/api/ai/tasks", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert pre.headers.get("Access-Control-Allow-Origin") == "https://app.example"


def test_settings_apply_to_the_next_generation_provider_quota_and_key(stack: Stack, admin: Recorder) -> None:
    with FakeGemini(accepted_keys=(GEMINI_KEY,)) as started:
        gemini = cast(FakeGemini, started)
        token = stack.register()
        uid = me(stack, token)["id"]
        admin("PATCH", f"/api/admin/users/{uid}", json={"credits_delta": 20})
        r = admin("PUT", "/api/admin/settings", json={
            "providers": {"image_provider": "gemini", "gemini_base_url": gemini.base_url},
            "pricing": {"quotas": {"image": 0}, "costs": {"image": 3}},
        })
        assert r.status_code == 200, r.text
        first = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a fox"}).json()
        assert first["provider"] == "gemini"
        assert first["cost"] == {"credits": 3, "from_quota": False}  # quota 0: credits at the new cost
        assert me(stack, token)["quota"]["image"]["limit"] == 0
        failed = stack.wait_task(token, first["id"])
        assert failed["status"] == "FAILED"  # no key yet
        assert gemini.requests_to("generate") == []

        r = admin("PUT", "/api/admin/settings", json={"api_keys": {"gemini_api_key": GEMINI_KEY}})
        assert r.json()["api_keys"]["gemini_api_key"]["set"] is True
        assert r.json()["api_keys"]["gemini_api_key"]["last4"] == "wxyz"
        second = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a fox"}).json()
        done = stack.wait_task(token, second["id"])
        assert done["status"] == "COMPLETED", done
        assert [r.headers.get("x-goog-api-key") for r in gemini.requests_to("generate")] == [GEMINI_KEY]
        assert me(stack, token)["credits"] == 20 - 3


def test_api_keys_are_write_only_and_never_leave_in_answers_or_audit(stack: Stack, admin: Recorder) -> None:
    keys = {"gemini_api_key": GEMINI_KEY, "openai_api_key": "sk-proj-secret-openai-9876",
            "stripe_secret_key": "sk_test_secret_stripe_5555", "stripe_webhook_secret": "whsec_secret_hook_4444"}
    chain, key, _ = make_chain()
    keys.update(c2pa_certificate_chain=chain, c2pa_private_key=key)
    assert admin("PUT", "/api/admin/settings", json={"api_keys": keys}).status_code == 200
    s = admin("GET", "/api/admin/settings").json()
    assert {k: (v["set"], v["last4"]) for k, v in s["api_keys"].items()} == {
        "gemini_api_key": (True, "wxyz"), "openai_api_key": (True, "9876"),
        "stripe_secret_key": (True, "5555"), "stripe_webhook_secret": (True, "4444"),
        "c2pa_certificate_chain": (True, None), "c2pa_private_key": (True, None)}  # PEM: no last4
    assert all(v["updated_at"] for v in s["api_keys"].values())
    # '' leaves a key alone; a new value is a new version.
    admin("PUT", "/api/admin/settings", json={"api_keys": {"gemini_api_key": "", "openai_api_key": "sk-proj-rotated-1111"}})
    assert stack.svc.secrets.get("gemini-api-key") == GEMINI_KEY
    assert stack.svc.secrets.get("openai-api-key") == "sk-proj-rotated-1111"
    admin("GET", "/api/admin/audit")
    admin("GET", "/api/admin/stats")
    admin("GET", "/api/admin/users")
    audit_docs = json.dumps([{k: v for k, v in d.items() if k != "created_at"} for d in stack.svc.db.audit.find({})])
    for value in [*keys.values(), "sk-proj-rotated-1111"]:
        for body in admin.bodies:
            assert value not in body
        assert value not in audit_docs


def test_audit_records_who_what_when_and_before_after(stack: Stack, admin: Recorder) -> None:
    uid = me(stack, stack.register())["id"]
    admin("PATCH", f"/api/admin/users/{uid}", json={"disabled": True, "note": "spam"})
    admin("PUT", "/api/admin/settings", json={"pricing": {"quotas": {"chat": 5}}, "api_keys": {"gemini_api_key": GEMINI_KEY}})
    page = admin("GET", "/api/admin/audit").json()
    latest, first = page["items"]
    assert first["action"] == "user.update" and first["target_type"] == "user" and first["target_id"] == uid
    assert first["actor_email"] == ADMIN_EMAIL
    assert first["before"]["disabled"] is False and first["after"]["disabled"] is True and first["after"]["note"] == "spam"
    assert latest["action"] == "settings.update"
    assert latest["before"]["pricing/quotas/chat"] == 50 and latest["after"]["pricing/quotas/chat"] == 5
    assert latest["after"]["api_keys/gemini_api_key/set"] is True
    assert latest["created_at"] >= first["created_at"]


# ---- Secret Manager -----------------------------------------------------------------------


@pytest.fixture
def sm_stack(emulator: StorageEmulator, tmp_path: Path, mongodb_uri: str) -> Iterator[tuple[Stack, FakeSecretManager]]:
    with FakeSecretManager() as started:
        fake = cast(FakeSecretManager, started)
        settings = make_settings(
            emulator, tmp_path, mongodb_uri=mongodb_uri, SECRETS_BACKEND="secretmanager", SECRET_MANAGER_ENDPOINT=fake.endpoint,
            GCP_PROJECT="sora-prod", JWT_SECRET="j" * 40, MEDIA_SIGNING_KEY="m" * 40,
        )
        stack, server = start_stack(settings)
        try:
            yield stack, fake
        finally:
            stop_stack(stack, server)


def test_key_written_in_the_panel_lands_in_secret_manager_as_a_new_version(sm_stack: tuple[Stack, FakeSecretManager]) -> None:
    stack, fake = sm_stack
    token = admin_token(stack)
    before = stack.api("GET", "/api/admin/settings", token=token).json()
    assert before["api_keys"]["gemini_api_key"]["set"] is False
    r = stack.api("PUT", "/api/admin/settings", token=token, json={"api_keys": {"gemini_api_key": GEMINI_KEY}})
    assert r.status_code == 200, r.text
    r = stack.api("PUT", "/api/admin/settings", token=token, json={"api_keys": {"gemini_api_key": GEMINI_KEY + "-v2"}})
    assert fake.versions["projects/sora-prod/secrets/gemini-api-key"] == [GEMINI_KEY.encode(), (GEMINI_KEY + "-v2").encode()]
    assert ("POST", "/v1/projects/sora-prod/secrets/gemini-api-key:addVersion") in [(m, p.split("?")[0]) for m, p, _ in fake.requests]
    assert r.json()["api_keys"]["gemini_api_key"]["last4"] == "z-v2"
    assert stack.svc.secrets.get("gemini-api-key") == GEMINI_KEY + "-v2"  # what every function now reads
    assert GEMINI_KEY not in r.text
    # The metadata lives in the database, so reads need no access to the secret's value.
    assert stack.svc.db.settings.find_one({"_id": "api_keys_meta"})["gemini_api_key"]["last4"] == "z-v2"
