"""One fake for the system commands nginx/proxy_install.sh calls (tests/integration/test_proxy_install.py).

Invoked as `proxy_host_cmd.py <command> <args...>` by a wrapper named after
the command. Appends argv to $FAKE_HOST_STATE/calls.jsonl and keeps the
state a Debian host would: installed packages, pulled images, containers,
issued certificates (under $SORA_PROXY_ROOT), metadata values.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

STATE = Path(os.environ["FAKE_HOST_STATE"])
ROOT = Path(os.environ.get("SORA_PROXY_ROOT", "/"))


def _load(name: str, default: Any) -> Any:
    path = STATE / name
    return json.loads(path.read_text()) if path.exists() else default


def _save(name: str, value: Any) -> None:
    (STATE / name).write_text(json.dumps(value))


def _flag(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args else None


def docker(args: list[str]) -> int:
    containers: dict[str, Any] = _load("containers.json", {})
    images: list[str] = _load("images.json", [])
    verb = args[0]
    if verb == "inspect":
        container = containers.get(args[-1])
        if not container:
            print(f"Error: No such object: {args[-1]}", file=sys.stderr)
            return 1
        print(f"{container['sha']}|{container['image']}|{container['log_driver']}|{str(container['running']).lower()}")
        return 0
    if verb == "image" and args[1] == "inspect":
        return 0 if args[2] in images else 1
    if verb == "pull":
        _save("images.json", [*images, args[-1]])
        return 0
    if verb == "rm":
        containers.pop(args[-1], None)
        _save("containers.json", containers)
        return 0
    if verb == "exec":
        return 0
    if verb == "run" and "--rm" in args:  # nginx -t inside the image
        config = next(a.split(":")[0] for a in args if a.endswith(":/etc/nginx/nginx.conf:ro"))
        return 1 if "NGINX_T_FAILS" in Path(config).read_text() else 0
    if verb == "run" and "-d" in args:
        name = _flag(args, "--name") or "unnamed"
        label = _flag(args, "--label") or ""
        containers[name] = {
            "sha": label.partition("=")[2],
            "image": args[-1],
            "log_driver": _flag(args, "--log-driver") or "json-file",
            "running": True,
        }
        _save("containers.json", containers)
        return 0
    print(f"fake docker: unsupported {args}", file=sys.stderr)
    return 2


def dpkg_query(args: list[str]) -> int:
    if args[-1] in _load("packages.json", []):
        print("install ok installed", end="")
        return 0
    return 1


def apt_get(args: list[str]) -> int:
    if args and args[0] == "install":
        _save("packages.json", _load("packages.json", []) + [a for a in args[1:] if not a.startswith("-")])
    return 0


def certbot(args: list[str]) -> int:
    if (STATE / "certbot_fails").exists():
        print("Challenge failed for domain", file=sys.stderr)
        return 1
    live = ROOT / "etc/letsencrypt/live" / str(_flag(args, "-d"))
    live.mkdir(parents=True, exist_ok=True)
    for name in ("fullchain.pem", "privkey.pem", "chain.pem"):
        (live / name).write_text("-----BEGIN CERTIFICATE-----\nfake\n")
    return 0


def curl(args: list[str]) -> int:
    url = args[-1]
    metadata = os.environ.get("SORA_METADATA_URL")
    if metadata and url.startswith(metadata + "/"):
        value = STATE / "metadata" / url[len(metadata) + 1 :]
        if not value.exists():
            return 22
        sys.stdout.write(value.read_text())
        return 0
    return 0  # /nginx-health


def scp(args: list[str]) -> int:
    """Copies to the "remote" directory, which is local here."""
    paths, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg == "-o":
            skip = True  # its value is an option, not a path
        elif not arg.startswith("-"):
            paths.append(arg)
    *sources, target = paths
    directory = Path(target.split(":", 1)[1])
    for source in sources:
        (directory / Path(source).name).write_bytes(Path(source).read_bytes())
    return 0


def ssh(args: list[str]) -> int:
    """Runs the remote command string with bash, as sshd would with the login shell."""
    import subprocess

    command = args[-1]
    return subprocess.run(["bash", "-c", command]).returncode


def sudo(args: list[str]) -> int:
    import subprocess

    return subprocess.run(args).returncode


def main() -> int:
    command, args = sys.argv[1], sys.argv[2:]
    with open(STATE / "calls.jsonl", "a") as log:
        log.write(json.dumps([command, *args]) + "\n")
    handlers = {"docker": docker, "dpkg-query": dpkg_query, "apt-get": apt_get, "certbot": certbot, "curl": curl,
                "scp": scp, "ssh": ssh, "sudo": sudo}
    handler = handlers.get(command)
    return handler(args) if handler else 0


if __name__ == "__main__":
    sys.exit(main())
