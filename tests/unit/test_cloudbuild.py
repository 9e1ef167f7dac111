"""cloudbuild.yaml: what it runs, in which order, and that its shell is clean.

Each step's script is turned back into plain bash (Cloud Build's `$$` is a
literal `$`, substitutions get sample values) and linted by shellcheck.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BUILD = yaml.safe_load((ROOT / "cloudbuild.yaml").read_text())
STEPS: dict[str, dict[str, Any]] = {step["id"]: step for step in BUILD["steps"]}


def script(step: dict[str, Any]) -> str:
    return str(step["args"][-1]) if step.get("entrypoint") == "bash" else ""


def as_bash(text: str) -> str:
    """Cloud Build's text as bash sees it: substitutions filled, $$ unescaped."""
    text = re.sub(r"\$\{?(_[A-Z_]+|PROJECT_ID|BUILD_ID|COMMIT_SHA)\}?", "sample", text)
    return text.replace("$$", "$")


def waits_for(step_id: str) -> set[str]:
    """Every step `step_id` runs after, transitively (Cloud Build: no waitFor = after all earlier steps)."""
    ids = list(STEPS)
    direct = STEPS[step_id].get("waitFor")
    before = set(ids[: ids.index(step_id)]) if direct is None else {d for d in direct if d != "-"}
    out = set(before)
    for dep in before:
        out |= waits_for(dep)
    return out


def test_the_test_step_runs_exactly_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    body = script(STEPS["test"])
    assert re.search(r"^make test\b", body, re.M)
    for package in ("nginx", "shellcheck", "chromium", "python3-venv"):
        assert package in body
    # Everything after the tests waits for them.
    for step_id in STEPS:
        if step_id not in ("test", "pull-cache"):
            assert "test" in waits_for(step_id), step_id


def test_build_uses_the_previous_image_as_layer_cache() -> None:
    args = STEPS["build"]["args"]
    cache = [a for a in args if a.startswith("--cache-from=")]
    assert cache and cache[0].endswith(":latest")
    assert "--build-arg=BUILDKIT_INLINE_CACHE=1" in args
    assert "pull-cache" in STEPS["build"]["waitFor"]


def test_images_are_pushed_once() -> None:
    assert "images" not in BUILD  # `images:` would push again after the steps
    pushed = [s["args"][-1] for s in BUILD["steps"] if "push" in s.get("args", [])[:1]]
    assert sorted(pushed) == sorted(set(pushed)) and len(pushed) == 2  # worker image and service image, once each


def test_only_the_worker_gets_the_image_with_ffmpeg() -> None:
    service_build = STEPS["build-service"]["args"]
    assert "--target=service" in service_build
    assert all(not a.startswith("--target") for a in STEPS["build"]["args"])  # the Dockerfile's last stage: worker
    assert '--image="$$IMAGE_REPO:$BUILD_ID" --update-env-vars=FUNCTION_TARGET=worker' in script(STEPS["deploy-worker"])
    assert '--image="$$IMAGE_REPO-service:$BUILD_ID"' in script(STEPS["deploy-services"])
    assert "push-service" in waits_for("deploy-services")


def test_the_worker_is_deployed_before_the_services_that_enqueue_to_it() -> None:
    assert "worker" not in BUILD["substitutions"]["_SERVICES"].split()
    assert '"$$PREFIX-worker"' in script(STEPS["deploy-worker"])
    assert "deploy-worker" in waits_for("deploy-services")
    for step_id in ("deploy-worker", "deploy-services"):
        assert "--to-latest" in script(STEPS[step_id])  # undoes a previous rollback's pin


def test_smoke_test_hits_health_through_the_proxy_domain_and_rolls_back() -> None:
    body = script(STEPS["smoke-test"])
    assert 'url="https://$$PROXY_DOMAIN/api/health"' in body
    assert "deploy-services" in waits_for("smoke-test")
    assert "update-traffic" in body and "--to-revisions" in body
    assert "previous-revisions" in script(STEPS["record-revisions"])
    assert "record-revisions" in waits_for("deploy-worker")


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (make system-deps)")
@pytest.mark.parametrize("step_id", [s["id"] for s in BUILD["steps"] if s.get("entrypoint") == "bash"])
def test_step_scripts_are_shellcheck_clean(step_id: str) -> None:
    source = "#!/usr/bin/env bash\nset -euo pipefail\n" + as_bash(script(STEPS[step_id]))
    result = subprocess.run(["shellcheck", "-s", "bash", "-e", "SC2154", "-"], input=source,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_indexes_are_created_once_per_release_before_any_service_gets_the_image() -> None:
    body = script(STEPS["ensure-indexes"])
    assert 'gcloud run jobs update "$$PREFIX-ensure-indexes"' in body
    assert "--image=\"$$IMAGE_REPO:$BUILD_ID\"" in body
    assert re.search(r"gcloud run jobs execute \"\$\$PREFIX-ensure-indexes\" [^\n]*--wait", body)
    assert "ensure-indexes" in waits_for("deploy-worker")
    assert "push" in waits_for("ensure-indexes")
