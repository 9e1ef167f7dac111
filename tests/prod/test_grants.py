"""Each service account's grants, read from terraform/*.tf, against what each function touches.

The table below is what the code does (common/health.py's readiness checks
included); the grants are derived from the Terraform files themselves
(python-hcl2 + tests/prod/hcl_eval.py), so a grant removed from or never
added to terraform/ fails here, as `auth` reading bucket metadata would have.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.prod.hcl_eval import Evaluator, Ref

TF = Path(__file__).resolve().parents[2] / "terraform"

# Permissions (shortened) each predefined role gives on its resource.
OBJECT_RW = {"objects.get", "objects.list", "objects.create", "objects.delete"}
ROLES: dict[str, set[str]] = {
    "roles/secretmanager.secretAccessor": {"versions.access"},
    "roles/secretmanager.viewer": {"versions.list"},
    "roles/secretmanager.secretVersionAdder": {"versions.add"},
    "roles/secretmanager.secretVersionManager": {"versions.add", "versions.list"},
    "roles/secretmanager.admin": {"versions.access", "versions.list", "versions.add"},
    "roles/storage.objectViewer": {"objects.get", "objects.list"},
    "roles/storage.objectCreator": {"objects.create"},
    "roles/storage.objectUser": OBJECT_RW,
    "roles/storage.objectAdmin": OBJECT_RW,
    "roles/cloudtasks.enqueuer": {"tasks.create"},
    "roles/iam.serviceAccountUser": {"actAs"},
    "roles/run.invoker": {"invoke"},
}

# Secrets Cloud Run resolves into env vars at instance start, as the service's own account.
SETTINGS_SECRETS = {("secret:mongodb-uri", "versions.access"), ("secret:admin-password", "versions.access")}
READ_MEDIA = {("bucket:media", "objects.get"), ("bucket:media", "objects.list")}  # list: the readiness probe
WRITE_MEDIA = {("bucket:media", p) for p in OBJECT_RW}
SIGNS_MEDIA = {("secret:media-signing-key", "versions.access"), ("secret:media-signing-key", "versions.list")}
SESSIONS = {("secret:jwt-signing-key", "versions.access")}
ENQUEUES = {("queue:generation", "tasks.create"), ("sa:tasks_invoker", "actAs")}
MANAGED_KEYS = ("gemini-api-key", "openai-api-key", "stripe-secret-key", "stripe-webhook-secret")

def _readiness_needs(service: str) -> set[tuple[str, str]]:
    """What common/health.py's readiness checks of `service` touch (read from the code, not restated)."""
    from common.health import READINESS, SERVICE_KEYS

    secret_of = {"jwt": "jwt-signing-key", "media": "media-signing-key"}
    needs: set[tuple[str, str]] = set()
    if "storage" in READINESS[service]:
        needs.add(("bucket:media", "objects.list"))
    if "secrets" in READINESS[service]:
        needs |= {(f"secret:{secret_of[k]}", "versions.access") for k in SERVICE_KEYS.get(service, ())}
        if "media" in SERVICE_KEYS.get(service, ()):
            needs.add(("secret:media-signing-key", "versions.list"))
    return needs


# What each function touches, from the code (common/runtime.py, common/health.py, the handlers).
NEEDS: dict[str, set[tuple[str, str]]] = {
    "web": set(),
    "auth": SESSIONS,
    "generate": SESSIONS | SIGNS_MEDIA | WRITE_MEDIA | ENQUEUES,
    "chat": SESSIONS | SIGNS_MEDIA | READ_MEDIA | {("secret:gemini-api-key", "versions.access")},
    "proxy": SIGNS_MEDIA | READ_MEDIA,
    "billing": SESSIONS | {("secret:stripe-secret-key", "versions.access"),
                           ("secret:stripe-webhook-secret", "versions.access")},
    # admin: settings show each key's last4 and the key test calls the provider (both read the value);
    # saving a key adds a version; retrying a task enqueues it; task lists sign media links.
    "admin": SESSIONS | SIGNS_MEDIA | ENQUEUES | {(f"secret:{k}", p) for k in MANAGED_KEYS
                                                 for p in ("versions.access", "versions.add")},
    "worker": SIGNS_MEDIA | WRITE_MEDIA | ENQUEUES | {("secret:gemini-api-key", "versions.access"),
                                                      ("secret:openai-api-key", "versions.access")},
    # Cloud Tasks and Cloud Scheduler call the private worker as this account.
    "tasks_invoker": {("run:worker", "invoke")},
}
for _fn in ("web", "auth", "generate", "chat", "proxy", "billing", "admin", "worker"):
    NEEDS[_fn] = NEEDS[_fn] | SETTINGS_SECRETS | _readiness_needs(_fn)


def _blocks() -> tuple[dict[str, Any], list[tuple[str, str, dict[str, Any]]]]:
    locals_: dict[str, Any] = {}
    resources: list[tuple[str, str, dict[str, Any]]] = []
    for path in sorted(TF.glob("*.tf")):
        with path.open() as f:
            doc = hcl2.load(f)
        for block in doc.get("locals", []):
            locals_.update({k: v for k, v in block.items() if not k.startswith("__")})
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    resources.append((rtype.strip('"'), name.strip('"'), body))
    return locals_, resources


def _principal(member: str) -> str:
    if member in ("allUsers", "allAuthenticatedUsers"):
        return member
    m = re.fullmatch(r"google_service_account\.(\w+)(?:\[(.+)\])?\.member", member)
    if not m:
        return member
    return m.group(2) if m.group(1) == "fn" else m.group(1)


def _target(rtype: str, body: dict[str, Any]) -> str:
    if rtype == "google_secret_manager_secret_iam_member":
        m = re.fullmatch(r"google_secret_manager_secret\.\w+\[(.+)\]\.(id|secret_id)", str(body["secret_id"]))
        return f"secret:{m.group(1) if m else body['secret_id']}"
    if rtype == "google_storage_bucket_iam_member":
        m = re.fullmatch(r"google_storage_bucket\.(\w+)\.name", str(body["bucket"]))
        return f"bucket:{m.group(1) if m else body['bucket']}"
    if rtype == "google_cloud_tasks_queue_iam_member":
        m = re.fullmatch(r"google_cloud_tasks_queue\.(\w+)\.name", str(body["name"]))
        return f"queue:{m.group(1) if m else body['name']}"
    if rtype == "google_service_account_iam_member":
        return f"sa:{_principal(str(body['service_account_id']).replace('.name', '.member'))}"
    if rtype == "google_cloud_run_v2_service_iam_member":
        m = re.fullmatch(r"google_cloud_run_v2_service\.fn\[(.+)\]\.name", str(body["name"]))
        return f"run:{m.group(1) if m else body['name']}"
    return f"{rtype}:?"


def terraform_grants() -> dict[str, set[tuple[str, str]]]:
    """principal (function name, `tasks_invoker`, `allUsers`) → {(target, permission)} from terraform/*.tf."""
    locals_, resources = _blocks()
    ev = Evaluator(locals_, module_dir=str(TF))
    grants: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for rtype, _name, body in resources:
        if not rtype.endswith("_iam_member"):
            continue
        each_values: list[dict[str, Any]] = [{}]
        if "for_each" in body:
            over = ev.evaluate(body["for_each"], {})
            if isinstance(over, Ref):  # for_each = another resource: its instances
                rtype_, name_ = over.path.split(".", 1)
                keyed = next(b for t, n, b in resources if (t, n) == (rtype_, name_))
                keys = ev.evaluate(keyed["for_each"], {})
                over = {k: Ref(f"{over.path}[{k}]") for k in keys}
            items = over.items() if isinstance(over, dict) else ((v, v) for v in over)
            each_values = [{"each": {"key": k, "value": v}} for k, v in items]
        for scope in each_values:
            attrs = {k: ev.evaluate(v, scope) for k, v in body.items() if k != "for_each" and not k.startswith("__")}
            principal = _principal(str(attrs.get("member")))
            for permission in ROLES.get(str(attrs.get("role")), {str(attrs.get("role"))}):
                grants[principal].add((_target(rtype, attrs), permission))
    return grants


GRANTS = terraform_grants()


@pytest.mark.parametrize("principal", sorted(NEEDS))
def test_every_service_account_holds_what_its_function_touches(principal: str) -> None:
    missing = NEEDS[principal] - GRANTS.get(principal, set())
    assert not missing, f"{principal} lacks grants in terraform/: {sorted(missing)}"


def test_the_worker_is_invoked_only_by_the_tasks_invoker() -> None:
    invokers = sorted(p for p, held in GRANTS.items() if ("run:worker", "invoke") in held)
    assert invokers == ["tasks_invoker"]


def test_the_reader_finds_grants_at_all() -> None:
    """A parser that read nothing would make every other test here vacuous."""
    assert ("secret:jwt-signing-key", "versions.access") in GRANTS["auth"]
    assert ("bucket:media", "objects.create") in GRANTS["worker"]
    assert ("run:auth", "invoke") in GRANTS["allUsers"]
    assert ("bucket:media", "objects.get") not in GRANTS["auth"]  # auth has no role on the bucket
