"""Each deployable, loaded the way Cloud Run loads it: functions_framework.create_app(target, source)."""

from __future__ import annotations

from pathlib import Path

import functions_framework
import pytest

from common.health import READINESS
from tests.conftest import Stack

MAIN = str(Path(__file__).resolve().parents[2] / "main.py")


@pytest.mark.parametrize("target", ["auth", "generate", "chat", "proxy", "billing", "admin", "worker", "web"])
def test_every_target_loads_and_answers_json_errors(stack: Stack, target: str) -> None:
    client = functions_framework.create_app(target, MAIN).test_client()
    r = client.get("/api/definitely-not-here")
    if target == "web":
        assert r.status_code == 404
    else:
        assert r.status_code == 404
        assert r.get_json()["error"]["code"] == "not_found"


def test_auth_target_registers_and_generate_target_accepts_the_token(stack: Stack) -> None:
    auth = functions_framework.create_app("auth", MAIN).test_client()
    r = auth.post("/api/auth/register", json={"email": "ff@example.com", "password": "password-123"})
    assert r.status_code == 201
    token = r.get_json()["token"]
    generate = functions_framework.create_app("generate", MAIN).test_client()
    r = generate.post("/api/ai/image", json={"prompt": "through the framework"}, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 202
    assert r.get_json()["status"] == "PENDING"
    # A function only serves its own routes: auth does not answer generation paths.
    assert auth.post("/api/ai/image", json={}).status_code == 404


def test_web_target_serves_runtime_config(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCTION_URLS", '{"auth": "https://auth-x.a.run.app"}')
    web = functions_framework.create_app("web", MAIN).test_client()
    assert web.get("/config.json").get_json() == {
        "api": {"auth": "https://auth-x.a.run.app"},
        "google_client_id": None,  # the stack configures no Google client
    }


@pytest.mark.parametrize("target", sorted(READINESS))
def test_every_target_answers_health_with_its_own_checks(stack: Stack, target: str) -> None:
    client = functions_framework.create_app(target, MAIN).test_client()
    r = client.get("/api/health")
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["checks"] == dict.fromkeys(READINESS[target], "ok")
    assert client.get("/api/health/live").status_code == 200


class _Unreachable:
    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"this service must not touch {name}")


def test_auth_health_needs_neither_storage_nor_queue(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(stack.svc.__dict__, "storage", _Unreachable())
    monkeypatch.setitem(stack.svc.__dict__, "queue", _Unreachable())
    r = functions_framework.create_app("auth", MAIN).test_client().get("/api/health")
    assert r.status_code == 200, r.get_data(as_text=True)


def test_readiness_is_503_with_the_failing_check_and_liveness_stays_200(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from common.storage import StorageService

    monkeypatch.setitem(stack.svc.__dict__, "storage", StorageService(
        bucket="no-such-bucket", project="local", emulator_host=stack.svc.settings.STORAGE_EMULATOR_HOST))
    client = functions_framework.create_app("proxy", MAIN).test_client()
    r = client.get("/api/health")
    assert r.status_code == 503
    assert r.get_json() == {"status": "degraded", "version": stack.svc.settings.VERSION,
                            "checks": {"storage": "down", "secrets": "ok"}}
    assert client.get("/api/health/live").status_code == 200
