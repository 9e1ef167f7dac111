"""Cloud Tasks and Secret Manager adapters, through the official clients against wire-format fakes."""

from __future__ import annotations

import base64
import json

import pytest

from common.errors import Forbidden
from common.queue import CloudTasksQueue
from common.secrets import CachedSecrets, SecretManagerStore
from tests.integration.gcp_fakes import FakeCloudTasks, FakeSecretManager


def test_cloud_tasks_queue_sends_http_task_with_oidc_deadline_name_and_delay() -> None:
    with FakeCloudTasks() as fake:
        queue = CloudTasksQueue(project="p", location="europe-west1", queue="generation",
                                target_url="https://worker-x.a.run.app/api/tasks/run",
                                service_account="tasks@p.iam.gserviceaccount.com", audience="https://worker-x.a.run.app",
                                endpoint=fake.endpoint, dispatch_deadline_s=900)
        assert queue.enqueue({"task_id": "t1", "step": 0}, name="t1-0", delay_s=30) is True
        (name, task), = fake.tasks.items()
        assert name == "projects/p/locations/europe-west1/queues/generation/tasks/t1-0"
        http = task["httpRequest"]
        assert http["url"] == "https://worker-x.a.run.app/api/tasks/run"
        assert http["httpMethod"] in ("POST", 1)  # the REST transport sends enums as numbers; POST = 1
        assert json.loads(base64.b64decode(http["body"])) == {"task_id": "t1", "step": 0}
        assert http["oidcToken"] == {"serviceAccountEmail": "tasks@p.iam.gserviceaccount.com",
                                     "audience": "https://worker-x.a.run.app"}
        assert task["dispatchDeadline"] == "900s"
        assert "scheduleTime" in task


def test_cloud_tasks_queue_reports_a_repeated_name_as_deduplicated() -> None:
    with FakeCloudTasks() as fake:
        queue = CloudTasksQueue(project="p", location="l", queue="q", target_url="https://w/api/tasks/run",
                                service_account="", audience="", endpoint=fake.endpoint)
        assert queue.enqueue({"task_id": "t"}, name="same") is True
        assert queue.enqueue({"task_id": "t"}, name="same") is False
        assert len(fake.tasks) == 1


def test_secret_manager_store_reads_latest_version_and_rotation_shows_through_cache() -> None:
    with FakeSecretManager() as fake:
        store = SecretManagerStore(project="p", endpoint=fake.endpoint)
        assert store.get("gemini-api-key") is None
        store.put("gemini-api-key", "key-one-1234")
        secrets = CachedSecrets(store, ttl_s=0.0)
        assert secrets.get("gemini-api-key") == "key-one-1234"
        store.put("gemini-api-key", "key-two-5678")
        assert secrets.get("gemini-api-key") == "key-two-5678"
        assert secrets.describe("gemini-api-key") == {"set": True, "last4": "5678"}
        assert fake.versions["projects/p/secrets/gemini-api-key"] == [b"key-one-1234", b"key-two-5678"]


def test_secret_manager_lists_the_two_newest_versions_for_signing_key_grace() -> None:
    with FakeSecretManager() as fake:
        store = SecretManagerStore(project="p", endpoint=fake.endpoint)
        assert store.versions("media-signing-key") == []
        for value in ("key-v1-aaaaaaaa", "key-v2-bbbbbbbb", "key-v3-cccccccc"):
            store.put("media-signing-key", value)
        assert store.versions("media-signing-key") == ["key-v3-cccccccc", "key-v2-bbbbbbbb"]


def test_cached_secrets_serve_from_cache_within_ttl() -> None:
    with FakeSecretManager() as fake:
        store = SecretManagerStore(project="p", endpoint=fake.endpoint)
        store.put("k", "v1-abcdefgh")
        secrets = CachedSecrets(store, ttl_s=60.0)
        assert secrets.get("k") == "v1-abcdefgh"
        reads = len(fake.requests)
        assert secrets.get("k") == "v1-abcdefgh"
        assert len(fake.requests) == reads


def test_media_links_survive_a_signing_key_rotation_in_secret_manager(settings) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import parse_qs, urlsplit

    from common.runtime import Services

    with FakeSecretManager() as fake:
        svc = Services(settings.model_copy(update={"SECRETS_BACKEND": "secretmanager", "SECRET_MANAGER_ENDPOINT": fake.endpoint}))
        svc.secrets.put("media-signing-key", "first-key-0123456789abcdef")
        url = svc.signer.url_for("media/u1/t1.png")
        svc.secrets.put("media-signing-key", "second-key-0123456789abcdef")
        fresh = svc.signer.url_for("media/u1/t1.png")
        assert fresh != url
        for link in (url, fresh):
            q = parse_qs(urlsplit(link).query)
            assert svc.signer.verify(q["url"][0], q["sig"][0]).name == "media/u1/t1.png"
        svc.secrets.put("media-signing-key", "third-key-0123456789abcdef")
        q = parse_qs(urlsplit(url).query)
        with pytest.raises(Forbidden) as refused:  # two versions old: past the grace period
            svc.signer.verify(q["url"][0], q["sig"][0])
        assert refused.value.code == "bad_signature"


def test_secret_ids_carry_the_stack_prefix_terraform_gives_them(settings) -> None:  # type: ignore[no-untyped-def]
    """Two stacks in one project: SECRET_ID_PREFIX (Terraform: "<name_prefix>-") picks this stack's secrets."""
    from common.runtime import Services

    with FakeSecretManager() as fake:
        SecretManagerStore(project="p", endpoint=fake.endpoint).put("jwt-signing-key", "unprefixed-other-stack")
        svc = Services(settings.model_copy(update={
            "SECRETS_BACKEND": "secretmanager", "SECRET_MANAGER_ENDPOINT": fake.endpoint,
            "GCP_PROJECT": "p", "SECRET_ID_PREFIX": "blue-",
        }))
        assert svc.secrets.get("jwt-signing-key") is None
        svc.secrets.put("jwt-signing-key", "blue-stack-key-0123456789")
        assert svc.secrets.get("jwt-signing-key") == "blue-stack-key-0123456789"
        assert fake.versions["projects/p/secrets/blue-jwt-signing-key"] == [b"blue-stack-key-0123456789"]
        assert fake.versions["projects/p/secrets/jwt-signing-key"] == [b"unprefixed-other-stack"]
