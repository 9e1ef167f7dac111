"""The walking skeleton on the production path, through the Nginx port (tests/prod/cluster.py)."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from tests.fakes.oidc import forwarded_token, google_claims
from tests.prod.cluster import ADMIN_EMAIL, FUNCTIONS, GEMINI_KEY, INVOKER, Cluster, wait_until


def _api(cluster: Cluster, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, cluster.url + path, headers=headers, timeout=30, **kwargs)


def _task(cluster: Cluster, token: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a generation and wait (deadline, loud) until the queue and the worker finish it."""
    r = _api(cluster, "POST", f"/api/ai/{kind}", token=token, json=body)
    assert r.status_code == 202, r.text
    task_id = r.json()["id"]
    seen: dict[str, Any] = {}

    def finished() -> bool:
        seen.update(_api(cluster, "GET", f"/api/ai/tasks/{task_id}", token=token).json())
        return seen.get("status") in {"COMPLETED", "FAILED"}

    wait_until(f"{kind} task {task_id} to finish", finished, timeout_s=60,
               detail=lambda: f"last: {seen}\ndeliveries: {cluster.tasks.deliveries[-10:]}\n{cluster.logs()}")
    assert seen["status"] == "COMPLETED", seen
    return seen


def test_every_service_is_ready_with_its_own_account(cluster: Cluster) -> None:
    for name in FUNCTIONS:
        r = requests.get(cluster.functions[name].url + "/api/health", timeout=10)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["status"] == "ok"
    r = _api(cluster, "GET", "/api/health")  # the public one, through Nginx
    assert r.status_code == 200, r.text
    assert set(r.json()["checks"]) == {"db", "secrets"}


def test_walking_skeleton_register_image_video_range_rotation(cluster: Cluster) -> None:
    r = _api(cluster, "POST", "/api/auth/register", json={"email": f"u{uuid.uuid4().hex[:8]}@example.com",
                                                          "password": "password-123"})
    assert r.status_code == 201, r.text
    user = r.json()["token"]

    # Terraform sets no provider: `sim` runs in the read-only image, writing under TMPDIR only.
    image = _task(cluster, user, "image", {"prompt": "a lighthouse at dusk"})
    assert image["result"]["url"].startswith("/api/ai/proxy") or "/api/ai/proxy" in image["result"]["url"]
    video = _task(cluster, user, "video", {"prompt": "waves", "duration_s": 4})
    media = _api(cluster, "GET", video["result"]["url"], headers={"Range": "bytes=0-1"})
    assert media.status_code == 206, media.text
    assert media.headers["Content-Range"].startswith("bytes 0-1/")
    assert media.content and len(media.content) == 2
    full = _api(cluster, "GET", image["result"]["url"])
    assert full.status_code == 200 and full.content.startswith(b"\x89PNG")

    # The admin (created by the first sign-in) switches to Gemini + Veo and sets the key:
    # written to Secret Manager by the admin process, read by the worker process.
    r = _api(cluster, "POST", "/api/auth/login", json={"email": ADMIN_EMAIL, "password": cluster.admin_password})
    assert r.status_code == 200, r.text
    admin = r.json()["token"]
    r = _api(cluster, "PUT", "/api/admin/settings", token=admin, json={
        "providers": {"image_provider": "gemini", "video_provider": "veo"},
        "api_keys": {"gemini_api_key": GEMINI_KEY}})
    assert r.status_code == 200, r.text
    _task(cluster, user, "image", {"prompt": "through gemini"})
    assert cluster.gemini.requests_to("generate")[-1].headers["x-goog-api-key"] == GEMINI_KEY

    # Key rotation through the admin: the provider now takes only the new key.
    rotated = "gemini-key-two-9876543210"
    r = _api(cluster, "PUT", "/api/admin/settings", token=admin, json={"api_keys": {"gemini_api_key": rotated}})
    assert r.status_code == 200, r.text
    cluster.gemini.accept_only(rotated)  # the old key is revoked at the provider
    veo = _task(cluster, user, "video", {"prompt": "through veo", "duration_s": 8})
    assert cluster.gemini.requests_to("predict")[-1].headers["x-goog-api-key"] == rotated
    assert _api(cluster, "GET", veo["result"]["url"], headers={"Range": "bytes=0-1"}).status_code == 206

    # Every delivery reached the worker with a forwarded token and none was refused.
    assert cluster.tasks.deliveries and all(d.status != 403 for d in cluster.tasks.deliveries)


def test_sweep_as_cloud_scheduler_calls_it(cluster: Cluster) -> None:
    worker = cluster.functions["worker"].url
    token = forwarded_token(google_claims(email=INVOKER, audience=worker))
    r = requests.post(worker + "/api/tasks/sweep", json={}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    assert requests.post(worker + "/api/tasks/sweep", json={}, timeout=30).status_code == 403
    stranger = forwarded_token(google_claims(email=f"sora-generate@{INVOKER.split('@')[1]}", audience=worker))
    r = requests.post(worker + "/api/tasks/sweep", json={}, headers={"Authorization": f"Bearer {stranger}"}, timeout=30)
    assert r.status_code == 403
    # The worker is private: Nginx never routes to it.
    assert _api(cluster, "POST", "/api/tasks/sweep", json={}).status_code == 404


def test_nothing_written_outside_tmpdir_and_no_permission_error_or_traceback(cluster: Cluster) -> None:
    assert cluster.app_changes() == []
    for fn in cluster.functions.values():
        text = fn.log.read_text(errors="replace")
        assert "Permission denied" not in text and "PermissionError" not in text, fn.log_tail()
        assert "Traceback" not in text, fn.log_tail()
