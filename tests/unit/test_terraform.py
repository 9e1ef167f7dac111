"""Structural checks of terraform/ with python-hcl2 (no provider, no cloud).

Each test pins one operational property a review found missing; undoing it
(a hand-written region pattern, an unprefixed secret id, a value spliced into
the startup script, ...) fails here. `terraform fmt -check` runs too when the
terraform binary is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions

from common import secrets as app_secrets
from common.queue import RetryPolicy

ROOT = Path(__file__).resolve().parents[2]
TF = ROOT / "terraform"
OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=True, preserve_heredocs=False
)

# Regions and zones Google offers that a hand pattern like ^[a-z]+-[a-z]+[0-9]$ rejected.
REAL_REGIONS = ["us-central1", "europe-west10", "europe-west12", "me-central2", "northamerica-northeast2",
                "africa-south1", "us-east5", "asia-southeast2", "europe-southwest1"]
REAL_ZONES = ["us-central1-a", "europe-west10-b", "europe-west12-c", "me-central2-a", "africa-south1-c"]


@cache
def module(path: Path = TF) -> dict[str, list[Any]]:
    """Every top-level block of the .tf files in `path`, merged by kind."""
    merged: dict[str, list[Any]] = {}
    for file in sorted(path.glob("*.tf")):
        with file.open() as handle:
            for kind, blocks in hcl2.load(handle, serialization_options=OPTIONS).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def resources(kind: str = "resource") -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for block in module().get(kind, []):
        for rtype, named in block.items():
            for name, body in named.items():
                out[(rtype, name)] = body
    return out


def resource(rtype: str, name: str, kind: str = "resource") -> dict[str, Any]:
    return resources(kind)[(rtype, name)]


def locals_() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for block in module().get("locals", []):
        out.update(block)
    return out


def variable(name: str) -> dict[str, Any]:
    for block in module()["variable"]:
        if name in block:
            return dict(block[name])
    raise KeyError(name)


def regexes_in(expression: str) -> list[str]:
    """The patterns of every regex("...") call in an HCL expression, unescaped to Python."""
    return [bytes(p, "utf-8").decode("unicode_escape") for p in re.findall(r'regex\("((?:[^"\\]|\\.)*)"', expression)]


# --------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform binary not installed")
def test_terraform_fmt_is_clean() -> None:
    result = subprocess.run(["terraform", "fmt", "-check", "-recursive", "-diff", str(TF)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_every_tf_file_parses_including_the_atlas_module() -> None:
    assert resources()
    atlas = module(TF / "modules" / "atlas")
    kinds = {rtype for block in atlas["resource"] for rtype in block}
    assert {"mongodbatlas_project", "mongodbatlas_advanced_cluster", "mongodbatlas_database_user",
            "mongodbatlas_project_ip_access_list"} <= kinds


def test_a_fresh_project_enables_resource_manager_and_service_usage_first() -> None:
    assert {"cloudresourcemanager.googleapis.com", "serviceusage.googleapis.com"} <= set(
        re.findall(r"[a-z]+\.googleapis\.com", str(locals_()["bootstrap_services"])))
    project = resource("google_project", "this", "data")
    assert project["depends_on"] == ["${google_project_service.bootstrap}"]
    assert resource("google_project_service", "enabled")["depends_on"] == ["${google_project_service.bootstrap}"]
    for api in ("monitoring.googleapis.com", "logging.googleapis.com", "billingbudgets.googleapis.com"):
        assert api in str(locals_()["services_to_enable"])


@pytest.mark.parametrize(("var", "values"), [("region", REAL_REGIONS), ("proxy_zone", REAL_ZONES)])
def test_region_and_zone_validation_accepts_every_real_name(var: str, values: list[str]) -> None:
    for validation in variable(var).get("validation", []):
        for pattern in regexes_in(validation["condition"]):
            rejected = [v for v in values if not re.search(pattern, v)]
            assert not rejected, f"var.{var} validation {pattern!r} rejects real names {rejected}"


def test_region_and_zone_are_checked_against_googles_own_lists() -> None:
    locations = resource("google_cloud_run_locations", "available", "data")
    (post,) = locations["lifecycle"][0]["postcondition"]
    assert post["condition"] == "${contains(self.locations, var.region)}"
    zones = resource("google_compute_zones", "proxy_region", "data")
    assert zones["region"] == "${var.region}"
    (post,) = zones["lifecycle"][0]["postcondition"]
    assert post["condition"] == "${contains(self.names, var.proxy_zone)}"


NAME_ATTRIBUTES = ("name", "account_id", "secret_id", "repository_id")  # unique per project
# Locals whose definition carries var.name_prefix.
PREFIXED_LOCALS = ("local.service_names", "local.media_bucket_name", "local.queue_name", "local.secret_id_prefix")


def test_every_created_name_carries_name_prefix() -> None:
    for local in PREFIXED_LOCALS:
        definition = str(locals_()[local.split(".", 1)[1]])
        assert "var.name_prefix" in definition or "local.secret_id_prefix" in definition, local
    unprefixed = []
    for (rtype, name), body in resources().items():
        for attribute in NAME_ATTRIBUTES:
            value = body.get(attribute)
            if not isinstance(value, str):
                continue
            # Names that point at another resource (IAM bindings, routers...) are that resource's.
            if re.fullmatch(r"\$\{(google|module|random)[^}]*\}", value):
                continue
            if "var.name_prefix" not in value and not any(local in value for local in PREFIXED_LOCALS):
                unprefixed.append(f"{rtype}.{name}.{attribute} = {value}")
    assert not unprefixed, "two stacks in one project would collide on: " + "; ".join(unprefixed)


def test_secret_ids_are_prefixed_and_the_prefix_reaches_the_app() -> None:
    secret = resource("google_secret_manager_secret", "s")
    assert secret["secret_id"] == "${local.secret_id_prefix}${each.value}"
    assert locals_()["secret_id_prefix"] == "${var.name_prefix}-"
    env = locals_()["common_env"]
    assert env["SECRET_ID_PREFIX"] == "${local.secret_id_prefix}"
    # The logical names Terraform creates are the ones the app reads.
    app_names = {v for k, v in vars(app_secrets).items() if k.isupper() and isinstance(v, str) and "-" in v}
    created = set(re.findall(r'"([a-z0-9-]+)"', str(locals_()["generated_secrets"]) + str(locals_()["ai_key_secrets"])
                             + str(locals_()["payment_key_secrets"]) + str(locals_()["provenance_key_secrets"])))
    assert app_names <= created, app_names - created


def test_queue_name_is_prefixed_with_a_random_suffix() -> None:
    assert locals_()["queue_name"] == "${var.name_prefix}-${var.queue_name}-${random_id.queue_suffix.hex}"
    assert resource("google_cloud_tasks_queue", "generation")["name"] == "${local.queue_name}"
    assert "random_id" in {rtype for rtype, _ in resources()}
    assert locals_()["common_env"]["CLOUD_TASKS_QUEUE"] == "${google_cloud_tasks_queue.generation.name}"


def test_operator_values_reach_the_vm_as_metadata_never_spliced_into_shell() -> None:
    metadata = resource("google_compute_instance", "proxy")["metadata"]
    assert metadata["startup-script"] == '${file("${path.module}/../nginx/gce_startup.sh")}'
    assert metadata["sora-acme-email"] == "${var.admin_email}"
    assert metadata["sora-domain"] == "${var.proxy_domain}"
    assert metadata["sora-nginx-image"] == "${var.proxy_nginx_image}"
    startup = (ROOT / "nginx" / "gce_startup.sh").read_text()
    for key in ("sora-acme-email", "sora-domain", "sora-nginx-image", "sora-tls", "sora-log-driver"):
        assert f"attr {key}" in startup
    # No heredoc script anywhere interpolates Terraform values.
    for (rtype, name), body in resources().items():
        for key, value in (body.get("metadata") or {}).items():
            assert not (key.endswith("script") and "var." in value), f"{rtype}.{name} metadata {key}"


def test_labels_on_every_resource() -> None:
    (provider,) = [p["google"] for p in module()["provider"] if "google" in p]
    assert provider["default_labels"] == "${local.labels}"
    labels = locals_()["labels"]
    assert "stack" in labels and "var.name_prefix" in labels and "var.labels" in labels
    missing = [f"{rtype}.{name}" for (rtype, name), body in resources().items()
               if rtype.startswith(("google_monitoring_alert_policy", "google_monitoring_uptime",
                                    "google_monitoring_notification")) and body.get("user_labels") != "${local.labels}"]
    assert not missing, f"monitoring objects take user_labels, not default_labels: {missing}"
    # An explicit `labels` would replace nothing but must not drop the stack labels.
    for (rtype, name), body in resources().items():
        if "labels" in body and not rtype.startswith("google_monitoring_notification"):
            assert "local.labels" in str(body["labels"]), f"{rtype}.{name}"


def test_cloud_run_ignores_what_gcloud_run_deploy_stamps() -> None:
    (lifecycle,) = resource("google_cloud_run_v2_service", "fn")["lifecycle"]
    ignored = lifecycle["ignore_changes"]
    for expected in ('${template[0].containers[0].image}', "client", "client_version",
                     '${annotations["client.knative.dev/user-image"]}',
                     '${template[0].annotations["client.knative.dev/user-image"]}'):
        assert expected in ignored


def test_one_owner_of_the_retry_policy_and_the_comments_say_so() -> None:
    (retry,) = resource("google_cloud_tasks_queue", "generation")["retry_config"]
    attempts = variable("queue_max_attempts")["default"]
    doc = " ".join((RetryPolicy.__doc__ or "").split())
    # common/queue.py states the production numbers of queue.tf ...
    assert f"{attempts} attempts by default" in doc
    assert f"backoff {retry['min_backoff'].rstrip('s')}-{retry['max_backoff'].rstrip('s')} s" in doc
    assert f"{retry['max_doublings']} doublings" in doc
    assert f"at most {retry['max_retry_duration'].rstrip('s')} s" in doc
    # ... and its own (local) defaults truthfully.
    local = RetryPolicy()
    assert f"({local.max_attempts} attempts, {local.min_backoff_s:g}-{local.max_backoff_s:g} s)" in doc
    # Nobody claims the last attempt refunds: the sweep does, after the deadline.
    assert "refunded by the sweep" in variable("queue_max_attempts")["description"]
    assert "refunded by the sweep" in doc
    queue_tf = " ".join((TF / "queue.tf").read_text().replace("#", " ").split())
    assert "last attempt fails" not in queue_tf and "refunded by the sweep" in queue_tf


def test_direct_vpc_egress_through_cloud_nat_with_a_static_ip_and_optional_atlas() -> None:
    service = resource("google_cloud_run_v2_service", "fn")
    (vpc,) = [d["vpc_access"] for d in service["template"][0].get("dynamic", []) if "vpc_access" in d]
    assert vpc["for_each"] == "${var.egress_static_ip_enabled ? [1] : []}"
    assert vpc["content"][0]["egress"] == "ALL_TRAFFIC"
    nat = resource("google_compute_router_nat", "egress")
    assert nat["nat_ip_allocate_option"] == "MANUAL_ONLY"
    assert nat["nat_ips"] == ["${google_compute_address.egress[0].self_link}"]
    (atlas,) = [b["atlas"] for b in module()["module"] if "atlas" in b]
    assert atlas["count"] == "${var.atlas_enabled ? 1 : 0}"
    assert atlas["allowed_ips"] == "${google_compute_address.egress[*].address}"
    uri = resource("google_secret_manager_secret_version", "mongodb_uri")
    assert "module.atlas[0].mongodb_uri" in uri["secret_data"]


def test_uptime_check_and_alerts_cover_health_5xx_worker_403_and_queue_age() -> None:
    check = resource("google_monitoring_uptime_check_config", "health")
    assert check["http_check"][0]["path"] == "/api/health"
    assert check["http_check"][0]["use_ssl"] is True
    assert check["monitored_resource"][0]["labels"]["host"] == "${var.proxy_domain}"
    filters = {name: " ".join(c["condition_threshold"][0]["filter"] for c in body["conditions"])
               for (rtype, name), body in resources().items() if rtype == "google_monitoring_alert_policy"}
    assert "uptime_check/check_passed" in filters["uptime"]
    assert 'response_code_class = "5xx"' in filters["http_5xx"]
    worker = filters["worker_failures"]
    assert 'one_of("4xx", "5xx")' in worker and 'local.service_names["worker"]' in worker
    assert 'response_code != "ok"' in worker
    assert "task_attempt_delays" in filters["queue_delay"]
    for (rtype, _), body in resources().items():
        if rtype == "google_monitoring_alert_policy":
            assert body["notification_channels"] == ["${google_monitoring_notification_channel.email.id}"]
    assert resource("google_billing_budget", "monthly")["count"] == '${var.billing_account != "" ? 1 : 0}'


def test_nginx_image_is_pinned_and_unpinned_tags_are_refused() -> None:
    image = variable("proxy_nginx_image")
    assert re.fullmatch(r"nginx:\d+\.\d+\.\d+", image["default"])
    (pattern,) = regexes_in(image["validation"][0]["condition"])
    assert re.search(pattern, image["default"])
    assert re.search(pattern, "nginx@sha256:" + "a" * 64)
    for unpinned in ("nginx:stable", "nginx:latest", "nginx", "nginx:1.28"):
        assert not re.search(pattern, unpinned), unpinned


def test_cloud_cdn_option_fronts_the_proxy_service_keyed_on_the_signed_url() -> None:
    neg = resource("google_compute_region_network_endpoint_group", "media")
    assert neg["count"] == "${var.cdn_enabled ? 1 : 0}"
    assert neg["cloud_run"][0]["service"] == '${google_cloud_run_v2_service.fn["proxy"].name}'
    backend = resource("google_compute_backend_service", "media")
    assert backend["enable_cdn"] is True
    policy = backend["cdn_policy"][0]
    assert policy["cache_key_policy"][0]["include_query_string"] is True
    assert policy["negative_caching"] is False


def test_tfvars_are_ignored_by_git() -> None:
    patterns = [line.strip() for line in (ROOT / ".gitignore").read_text().splitlines()]
    assert "*.tfvars" in patterns and "*.tfvars.json" in patterns
    assert patterns.index("!terraform.tfvars.example") > patterns.index("*.tfvars")
    if not (ROOT / ".git").exists():  # a Cloud Build source tarball has no .git
        return
    result = subprocess.run(["git", "check-ignore", "terraform/terraform.tfvars", "terraform/prod.tfvars"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.split() == ["terraform/terraform.tfvars", "terraform/prod.tfvars"]
    example = subprocess.run(["git", "check-ignore", "terraform/terraform.tfvars.example"], cwd=ROOT)
    assert example.returncode == 1


def test_the_deployer_can_read_the_source_of_a_manual_build() -> None:
    grant = resource("google_storage_bucket_iam_member", "deployer_reads_build_source")
    assert grant["bucket"] == "${google_storage_bucket.build_source.name}"
    assert grant["role"] == "roles/storage.objectViewer"
    assert grant["member"] == "${google_service_account.deployer.member}"
    docs = (ROOT / "docs" / "deploy.md").read_text()
    submit = docs[docs.index("gcloud builds submit"):].split("```")[0]
    assert "--gcs-source-staging-dir" in submit and "--service-account" in submit


def test_every_reference_names_something_declared() -> None:
    """What `terraform validate` would catch first, without downloading providers."""
    text = "\n".join(re.sub(r"#.*", "", f.read_text()) for f in sorted(TF.glob("*.tf")))
    declared_vars = {name for block in module()["variable"] for name in block}
    declared_locals = set(locals_())
    declared_resources = {f"{rtype}.{name}" for rtype, name in resources()}
    declared_data = {f"{rtype}.{name}" for rtype, name in resources("data")}
    declared_modules = {name for block in module().get("module", []) for name in block}
    assert sorted(set(re.findall(r"\bvar\.([a-z0-9_]+)", text)) - declared_vars) == []
    assert sorted(set(re.findall(r"\blocal\.([a-z0-9_]+)", text)) - declared_locals) == []
    data_refs = set(re.findall(r"\bdata\.([a-z0-9_]+\.[a-z0-9_]+)", text))
    assert sorted(data_refs - declared_data) == []
    resource_refs = set(re.findall(r"(?<![\w.\"/-])((?:google|random)_[a-z0-9_]+\.[a-z0-9_]+)\b", text))
    # `resource "google_x" "name"` headers are quoted, so these are references.
    assert sorted(resource_refs - declared_resources) == []
    assert sorted(set(re.findall(r"\bmodule\.([a-z0-9_]+)", text)) - declared_modules) == []
    atlas = (TF / "modules" / "atlas" / "main.tf").read_text()
    atlas_vars = {name for block in module(TF / "modules" / "atlas")["variable"] for name in block}
    assert sorted(set(re.findall(r"\bvar\.([a-z0-9_]+)", atlas)) - atlas_vars) == []
    (call,) = [b["atlas"] for b in module()["module"] if "atlas" in b]
    assert sorted(set(call) - {"source", "count"} - atlas_vars) == []


def test_the_index_deploy_step_is_a_job_with_the_database_uri_only() -> None:
    job = resource("google_cloud_run_v2_job", "ensure_indexes")
    assert job["name"] == "${var.name_prefix}-ensure-indexes"
    inner = job["template"][0]["template"][0]
    (container,) = inner["containers"]
    assert container["command"] == ["python", "-m", "scripts.ensure_indexes"]
    (env,) = container["env"]
    assert env["name"] == "MONGODB_URI"
    assert env["value_source"][0]["secret_key_ref"][0]["secret"] == '${google_secret_manager_secret.s["mongodb-uri"].secret_id}'
    assert inner["service_account"] == "${google_service_account.migrate.email}"
    # Same egress as the services: an Atlas allow-list of the NAT IP admits it.
    (vpc,) = [d["vpc_access"] for d in inner.get("dynamic", []) if "vpc_access" in d]
    assert vpc["for_each"] == "${var.egress_static_ip_enabled ? [1] : []}"
    grants = [body for (rtype, _), body in resources().items() if body.get("member") == "${google_service_account.migrate.member}"]
    assert [g["role"] for g in grants] == ["roles/secretmanager.secretAccessor"]
    assert (ROOT / "scripts" / "ensure_indexes.py").exists()
