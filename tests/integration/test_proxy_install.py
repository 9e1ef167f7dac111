"""nginx/proxy_install.sh and nginx/gce_startup.sh against fake system commands.

The scripts run for real (bash, install, sha256sum, ...) with `docker`,
`systemctl`, `certbot`, `curl`, `dpkg-query` and `apt-get` replaced by one
recording fake on PATH (tests/fakes/proxy_host_cmd.py) that keeps a little
state: installed packages, pulled images, running containers, issued
certificates. Every path the installer writes is under SORA_PROXY_ROOT.
shellcheck lints both scripts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "nginx" / "proxy_install.sh"
STARTUP = ROOT / "nginx" / "gce_startup.sh"
FAKE = ROOT / "tests" / "fakes" / "proxy_host_cmd.py"
DEPLOY = ROOT / "nginx" / "deploy_vps.sh"
FAKED = ("docker", "systemctl", "certbot", "curl", "dpkg-query", "apt-get", "ssh", "scp", "sudo")
EMAIL = "o'brien+ops@example.com"  # a quote: must survive every hop unchanged
DOMAIN = "studio.example.com"


@dataclass
class Host:
    root: Path
    state: Path
    env: dict[str, str]

    def calls(self, command: str | None = None) -> list[list[str]]:
        log = self.state / "calls.jsonl"
        if not log.exists():
            return []
        rows = [json.loads(line) for line in log.read_text().splitlines()]
        return [row for row in rows if command is None or row[0] == command]

    def clear_calls(self) -> None:
        (self.state / "calls.jsonl").unlink(missing_ok=True)

    def containers(self) -> dict[str, Any]:
        path = self.state / "containers.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def run(self, script: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(script), *args], env=self.env, capture_output=True, text=True, timeout=60
        )


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Host]:
    bin_dir, state, root = tmp_path / "bin", tmp_path / "state", tmp_path / "root"
    for d in (bin_dir, state, root):
        d.mkdir()
    for name in FAKED:
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "{FAKE}" {name} "$@"\n')
        wrapper.chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SORA_PROXY_ROOT": str(root),
        "FAKE_HOST_STATE": str(state),
        "LC_ALL": "C",
    }
    yield Host(root, state, env)


def write_configs(tmp_path: Path, final: str = "final-v1") -> tuple[Path, Path]:
    conf, pending = tmp_path / "nginx.conf", tmp_path / "nginx-pending.conf"
    conf.write_text(f"# {final}\n")
    pending.write_text("# pending: acme + 503\n")
    return conf, pending


def docker_runs(host: Host) -> list[list[str]]:
    return [c for c in host.calls("docker") if c[1] == "run" and "-d" in c]


def running_config(host: Host) -> str:
    (container,) = host.containers().values()
    return (host.root / "etc/sora-nginx/nginx.conf").read_text() if container["running"] else ""


# --------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck not installed (make system-deps)")
def test_scripts_are_shellcheck_clean() -> None:
    result = subprocess.run(
        ["shellcheck", "--severity=style", str(INSTALL), str(STARTUP), str(DEPLOY)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_install_converges_and_a_second_run_changes_nothing(host: Host, tmp_path: Path) -> None:
    conf, _ = write_configs(tmp_path)
    first = host.run(INSTALL, "--config", str(conf), "--image", "nginx:1.28.0")
    assert first.returncode == 0, first.stderr
    assert [c[:3] for c in host.calls("apt-get")][-1][:2] == ["apt-get", "install"]
    (run,) = docker_runs(host)
    assert run[-1] == "nginx:1.28.0"
    assert ["--restart=always"] == [a for a in run if a.startswith("--restart")]
    assert host.containers()["sora-nginx"]["image"] == "nginx:1.28.0"
    assert running_config(host) == "# final-v1\n"

    host.clear_calls()
    second = host.run(INSTALL, "--config", str(conf), "--image", "nginx:1.28.0")
    assert second.returncode == 0, second.stderr
    assert "already runs this config" in second.stderr
    assert docker_runs(host) == []
    assert [c for c in host.calls("docker") if c[1] in ("rm", "pull")] == []
    assert host.calls("apt-get") == []  # packages were installed by the first run

    # A new config (or image) is rolled out: validated first, then recreated.
    conf.write_text("# final-v2\n")
    third = host.run(INSTALL, "--config", str(conf), "--image", "nginx:1.28.0")
    assert third.returncode == 0, third.stderr
    assert len(docker_runs(host)) == 1
    assert running_config(host) == "# final-v2\n"


def test_a_config_nginx_rejects_leaves_the_running_proxy_alone(host: Host, tmp_path: Path) -> None:
    conf, _ = write_configs(tmp_path)
    assert host.run(INSTALL, "--config", str(conf)).returncode == 0
    conf.write_text("# NGINX_T_FAILS\n")
    host.clear_calls()
    result = host.run(INSTALL, "--config", str(conf))
    assert result.returncode != 0
    assert "rejected" in result.stderr
    assert docker_runs(host) == [] and [c for c in host.calls("docker") if c[1] == "rm"] == []
    assert running_config(host) == "# final-v1\n"


def test_failed_issuance_serves_only_the_pending_config_and_retries_on_a_timer(host: Host, tmp_path: Path) -> None:
    conf, pending = write_configs(tmp_path)
    (host.state / "certbot_fails").touch()
    args = ["--config", str(conf), "--pending-config", str(pending), "--tls", "--domain", DOMAIN, "--email", EMAIL]
    result = host.run(INSTALL, *args)
    assert result.returncode == 0, result.stderr
    # Never the app on plain HTTP: the pending config runs, not the final one.
    assert running_config(host) == "# pending: acme + 503\n"
    (certbot,) = host.calls("certbot")
    assert certbot[certbot.index("--email") + 1] == EMAIL
    assert certbot[certbot.index("-d") + 1] == DOMAIN
    timer = host.root / "etc/systemd/system/sora-cert-retry.timer"
    service = host.root / "etc/systemd/system/sora-cert-retry.service"
    assert "OnUnitActiveSec=5min" in timer.read_text()
    assert "--resume" in service.read_text()
    assert ["systemctl", "enable", "--now", "sora-cert-retry.timer"] in host.calls("systemctl")
    hook = host.root / "etc/letsencrypt/renewal-hooks/deploy/sora-nginx-reload"
    assert "docker exec sora-nginx nginx -s reload" in hook.read_text()
    assert os.access(hook, os.X_OK)

    # The timer's run: same arguments (saved, quoted), issuance works now.
    (host.state / "certbot_fails").unlink()
    host.clear_calls()
    installed = host.root / "usr/local/sbin/sora-proxy-install"
    resumed = host.run(installed, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    (certbot,) = host.calls("certbot")
    assert certbot[certbot.index("--email") + 1] == EMAIL
    assert running_config(host) == "# final-v1\n"
    assert not timer.exists() and not service.exists()
    assert ["systemctl", "disable", "--now", "sora-cert-retry.timer"] in host.calls("systemctl")

    # And once more: a certificate exists, nothing to do.
    host.clear_calls()
    again = host.run(INSTALL, *args)
    assert again.returncode == 0, again.stderr
    assert host.calls("certbot") == [] and docker_runs(host) == []


def test_gcplogs_driver_reaches_docker_run_and_is_part_of_the_converged_state(host: Host, tmp_path: Path) -> None:
    conf, _ = write_configs(tmp_path)
    assert host.run(INSTALL, "--config", str(conf)).returncode == 0
    assert host.containers()["sora-nginx"]["log_driver"] == "json-file"
    host.clear_calls()
    result = host.run(INSTALL, "--config", str(conf), "--log-driver", "gcplogs")
    assert result.returncode == 0, result.stderr
    (run,) = docker_runs(host)
    assert run[run.index("--log-driver") + 1] == "gcplogs"
    assert "max-size=50m" not in run  # json-file options do not apply to gcplogs
    assert host.run(INSTALL, "--config", str(conf), "--log-driver", "syslog; rm -rf /").returncode != 0


def test_gce_startup_passes_metadata_values_as_single_arguments(host: Host, tmp_path: Path) -> None:
    """admin_email with a quote used to break the root startup script."""
    meta = host.state / "metadata"
    meta.mkdir()
    recorder = (
        '#!/usr/bin/env bash\nprintf "%s\\0" "$@" > "$FAKE_HOST_STATE/installer_argv"\n'
    )
    values = {
        "sora-proxy-install": recorder,
        "sora-nginx-conf": "# final\n",
        "sora-nginx-pending": "# pending\n",
        "sora-domain": DOMAIN,
        "sora-acme-email": EMAIL + " $(touch /tmp/pwned) `id`",
        "sora-nginx-image": "nginx:1.28.0",
        "sora-tls": "true",
        "sora-log-driver": "gcplogs",
    }
    for key, value in values.items():
        (meta / key).write_text(value)
    host.env["SORA_METADATA_URL"] = "http://metadata.test/attrs"
    result = host.run(STARTUP)
    assert result.returncode == 0, result.stderr
    argv = (host.state / "installer_argv").read_text().split("\0")[:-1]
    opt = str(host.root / "opt/sora-proxy")
    assert argv == [
        "--config", f"{opt}/nginx.conf", "--image", "nginx:1.28.0", "--log-driver", "gcplogs",
        "--tls", "--domain", DOMAIN, "--email", values["sora-acme-email"],
        "--pending-config", f"{opt}/nginx-pending.conf",
    ]
    assert (host.root / "opt/sora-proxy/nginx.conf").read_text() == "# final\n"
    assert all(c[-1].startswith("http://metadata.test/attrs/") for c in host.calls("curl"))


def test_deploy_over_ssh_runs_the_installer_remotely_with_exact_arguments_twice(host: Host, tmp_path: Path) -> None:
    """The documented non-GCP path: nginx/deploy_vps.sh user@host -- <installer arguments>."""
    remote = host.root / "opt/sora-proxy"
    host.env["SORA_REMOTE_DIR"] = str(remote)
    conf, pending = write_configs(tmp_path)
    (host.state / "certbot_fails").touch()
    args = ["--config", str(conf), "--pending-config", str(pending), "--tls", "--domain", DOMAIN,
            "--email", EMAIL, "--image", "nginx:1.28.0"]
    first = host.run(DEPLOY, "--ssh-option", "StrictHostKeyChecking=yes", "root@vps.example", "--", *args)
    assert first.returncode == 0, first.stderr
    assert (remote / "proxy_install.sh").read_bytes() == INSTALL.read_bytes()
    (certbot,) = host.calls("certbot")
    assert certbot[certbot.index("--email") + 1] == EMAIL  # one argument, quote intact, across ssh
    assert running_config(host) == "# pending: acme + 503\n"
    assert all(c[1:3] == ["-o", "StrictHostKeyChecking=yes"] for c in host.calls("ssh"))

    (host.state / "certbot_fails").unlink()
    host.clear_calls()
    second = host.run(DEPLOY, "root@vps.example", "--", *args)
    assert second.returncode == 0, second.stderr
    assert running_config(host) == "# final-v1\n"
    host.clear_calls()
    third = host.run(DEPLOY, "root@vps.example", "--", *args)
    assert third.returncode == 0, third.stderr
    assert docker_runs(host) == [] and host.calls("certbot") == []
