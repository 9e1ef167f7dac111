#!/usr/bin/env python3
"""Render nginx/sora.conf.tmpl into an nginx.conf, with no dependencies.

The template is also rendered by Terraform's templatefile() (proxy_vps.tf),
so this implements the same subset of Terraform's template language:

* ``${name}`` interpolates a value (whitespace inside the braces allowed);
* ``%{ if name }`` / ``%{ if !name }`` / ``%{ else }`` / ``%{ endif }`` on
  boolean values, nestable;
* ``~`` strip markers (``%{~ if x ~}``) drop the whitespace on their side;
* ``$${`` and ``%%{`` are escapes for a literal ``${`` and ``%{``.

Anything else inside ``${...}`` or ``%{...}`` is rejected, so the template
never grows syntax that only one of the two renderers understands.

Values come from defaults, then a JSON file (``--values``), then
``SORA_NGINX_<NAME>`` environment variables, then ``--set name=value``.
For every ``<service>_upstream`` URL, ``<service>_host`` defaults to the
URL's host[:port] (the Host header and TLS name sent to Cloud Run).

    python nginx/render.py --values values.json --output /etc/nginx/nginx.conf
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TEMPLATE_PATH = Path(__file__).with_name("sora.conf.tmpl")
ROUTES_PATH = Path(__file__).resolve().parent.parent / "routes.json"
ENV_PREFIX = "SORA_NGINX_"


def load_routes(path: Path = ROUTES_PATH) -> list[dict[str, Any]]:
    """The rows of routes.json (the path -> function table), in file order."""
    return list(json.loads(path.read_text())["routes"])


# The proxy's upstreams: the web app ("frontend") and every function a public route reaches.
UPSTREAMS = ("frontend", *dict.fromkeys(r["function"] for r in load_routes() if not r.get("internal")))

# Values for the official nginx container (pinned, >= 1.25.1) on the proxy VPS.
DEFAULTS: dict[str, Any] = {
    "server_name": "_",
    "listen_address": "0.0.0.0",  # noqa: S104 - the proxy serves the internet
    "http_port": 80,
    "https_port": 443,
    "tls_enabled": False,
    "cert_pending": False,  # no certificate yet: ACME + 503 only on :80
    "http2_directive": True,  # `http2 on;` (nginx >= 1.25.1); False: `listen ... http2`
    "tls_cert_path": "/etc/letsencrypt/live/example.com/fullchain.pem",
    "tls_key_path": "/etc/letsencrypt/live/example.com/privkey.pem",
    "tls_chain_path": "/etc/letsencrypt/live/example.com/chain.pem",  # OCSP stapling verification
    # Edge rate limits per client IP (writes only for auth/generate).
    "auth_rate": "10r/m",
    "auth_burst": 10,
    "auth_retry_after_s": 30,
    "generate_rate": "30r/m",
    "generate_burst": 20,
    "generate_retry_after_s": 10,
    "media_conn_limit": 16,
    # Slice cache of /api/ai/proxy.
    "media_cache_enabled": True,
    "media_cache_path": "/var/cache/nginx/sora-media",
    "media_cache_max_size": "5g",
    "media_cache_inactive": "7d",
    "media_cache_valid": "10m",
    "media_cache_slice_size": "1m",
    "acme_webroot": "/var/www/acme",
    "resolver": "8.8.8.8 1.1.1.1",
    "ca_bundle": "/etc/ssl/certs/ca-certificates.crt",
    "worker_user": "nginx",
    "worker_processes": "auto",
    "pid_path": "/var/run/nginx.pid",
    "error_log": "/dev/stderr",
    "access_log": "/dev/stdout",
    "temp_dir": "/var/cache/nginx",
}

_TOKEN = re.compile(
    r"(?P<escape>\$\$\{|%%\{)"
    r"|(?P<kind>[$%])\{(?P<lstrip>~?)(?P<body>[^}]*?)(?P<rstrip>~?)\}"
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_IF = re.compile(r"if\s+(?P<neg>!?)\s*(?P<name>[A-Za-z_][A-Za-z0-9_-]*)")


class TemplateError(ValueError):
    """The template or its values cannot be rendered."""


def _lookup(values: dict[str, Any], name: str) -> Any:
    if name not in values:
        raise TemplateError(f"no value for template variable {name!r}")
    return values[name]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):  # Terraform renders booleans as true/false
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"cannot interpolate a {type(value).__name__}")


def render(template: str, values: dict[str, Any]) -> str:
    """Render `template` with `values` the way Terraform's templatefile does."""
    out: list[str] = []
    # Each frame: (emitting_before_this_if, this_branch_taken, seen_else).
    stack: list[tuple[bool, bool, bool]] = []
    emitting = True
    strip_next = False
    pos = 0
    for match in _TOKEN.finditer(template):
        literal = template[pos : match.start()]
        if strip_next:
            literal = literal.lstrip()
            strip_next = False
        if emitting:
            out.append(literal)
        pos = match.end()

        if match.group("escape"):
            if emitting:
                out.append(match.group("escape")[1:])
            continue

        if match.group("lstrip") and emitting and out:
            out[-1] = out[-1].rstrip()
        strip_next = bool(match.group("rstrip"))
        body = match.group("body").strip()

        if match.group("kind") == "$":
            if not _NAME.fullmatch(body):
                raise TemplateError(f"unsupported expression ${{{body}}}; use a plain name")
            if emitting:
                out.append(_as_text(_lookup(values, body)))
            continue

        if_match = _IF.fullmatch(body)
        if if_match:
            condition = _lookup(values, if_match.group("name"))
            if not isinstance(condition, bool):
                raise TemplateError(f"{if_match.group('name')!r} must be a boolean")
            taken = condition != bool(if_match.group("neg"))
            stack.append((emitting, taken, False))
            emitting = emitting and taken
        elif body == "else":
            if not stack or stack[-1][2]:
                raise TemplateError("%{ else } without a matching %{ if }")
            outer, taken, _ = stack[-1]
            stack[-1] = (outer, taken, True)
            emitting = outer and not taken
        elif body == "endif":
            if not stack:
                raise TemplateError("%{ endif } without a matching %{ if }")
            emitting = stack.pop()[0]
        else:
            raise TemplateError(f"unsupported directive %{{{body}}}")

    if stack:
        raise TemplateError("%{ if } without %{ endif }")
    tail = template[pos:]
    out.append(tail.lstrip() if strip_next else tail)
    return "".join(out)


def upstream_host(url: str) -> str:
    """The host[:port] of an upstream URL: the Host header Cloud Run routes on."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TemplateError(f"upstream {url!r} must be an absolute http(s) URL")
    if parts.path not in ("", "/") or parts.query:
        raise TemplateError(f"upstream {url!r} must not have a path or query")
    return parts.netloc


def build_values(overrides: dict[str, Any]) -> dict[str, Any]:
    """Defaults + overrides, upstream URLs normalised, hosts derived (one upstream per function in routes.json)."""
    values = {**DEFAULTS, **overrides}
    for service in UPSTREAMS:
        key = f"{service}_upstream"
        if key not in values:
            raise TemplateError(f"missing {key} (the URL of the {service} service)")
        url = str(values[key]).rstrip("/")
        values[key] = url
        values.setdefault(f"{service}_host", upstream_host(url))
    return values


_LOCATION = re.compile(r"^\s*location\s+(=|\^~)\s+(/api/\S*)\s*\{(?P<body>.*?)^\s*\}", re.M | re.S)
_UPSTREAM_VAR = re.compile(r'set \$sora_upstream "\$\{(\w+)_upstream\}"')


def check_locations(template: str, routes: list[dict[str, Any]] | None = None) -> None:
    """Check the template's `/api/...` locations against routes.json, the one path -> function table.

    Each row needs a location with its prefix (`=` for an exact row, `^~` otherwise) that proxies to the
    row's function (`${<function>_upstream}`), or answers 404 for an internal row; the template may add
    only the `/api/` catch-all. The location bodies (rate limits, caching, buffering) are the template's
    own policy. Raises TemplateError naming the first difference.
    """
    rows = routes if routes is not None else load_routes()
    found: dict[tuple[str, str], str] = {}
    for m in _LOCATION.finditer(template):
        upstream = _UPSTREAM_VAR.search(m.group("body"))
        found[(m.group(1), m.group(2))] = upstream.group(1) if upstream else "404"
    for row in rows:
        key = ("=" if row.get("exact") else "^~", row["prefix"])
        want = "404" if row.get("internal") else row["function"]
        if found.pop(key, None) != want:
            raise TemplateError(f"routes.json row {row['prefix']} -> {want}: the template has no such location")
    extra = [f"{k[0]} {k[1]}" for k in found if k != ("^~", "/api/")]
    if extra:
        raise TemplateError(f"template locations not in routes.json: {extra}")


def _parse_scalar(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def _env_values(environ: dict[str, str]) -> dict[str, Any]:
    return {
        key[len(ENV_PREFIX) :].lower(): _parse_scalar(value)
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX)
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
    parser.add_argument("--values", type=Path, help="JSON object of template values")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override one value")
    parser.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)

    overrides: dict[str, Any] = {}
    if args.values:
        loaded = json.loads(args.values.read_text())
        if not isinstance(loaded, dict):
            parser.error("--values must hold a JSON object")
        overrides.update(loaded)
    overrides.update(_env_values(dict(os.environ)))
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set expects NAME=VALUE, got {item!r}")
        overrides[name.strip()] = _parse_scalar(value)

    try:
        template = args.template.read_text()
        check_locations(template)
        text = render(template, build_values(overrides))
    except TemplateError as exc:
        print(f"render.py: {exc}", file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
