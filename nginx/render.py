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
LOCATION_TEMPLATE_PATH = Path(__file__).with_name("location.conf.tmpl")
ROUTES_PATH = Path(__file__).resolve().parent.parent / "routes.json"
ENV_PREFIX = "SORA_NGINX_"


def load_routes(path: Path = ROUTES_PATH) -> list[dict[str, Any]]:
    """The rows of routes.json (the path -> function table), in file order."""
    return list(json.loads(path.read_text())["routes"])


# The proxy's upstreams: the web app ("frontend") and every function a public route reaches.
UPSTREAMS = ("frontend", *dict.fromkeys(r["function"] for r in load_routes() if not r.get("internal")))

# Values for the official nginx:stable container on the proxy VPS.
DEFAULTS: dict[str, Any] = {
    "server_name": "_",
    "listen_address": "0.0.0.0",  # noqa: S104 - the proxy serves the internet
    "http_port": 80,
    "https_port": 443,
    "tls_enabled": False,
    "tls_cert_path": "/etc/letsencrypt/live/example.com/fullchain.pem",
    "tls_key_path": "/etc/letsencrypt/live/example.com/privkey.pem",
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
    """Defaults + overrides, upstream URLs normalised, hosts derived, `api_locations` rendered from routes.json."""
    values = {**DEFAULTS, **overrides}
    for service in UPSTREAMS:
        key = f"{service}_upstream"
        if key not in values:
            raise TemplateError(f"missing {key} (the URL of the {service} service)")
        url = str(values[key]).rstrip("/")
        values[key] = url
        values.setdefault(f"{service}_host", upstream_host(url))
    values.setdefault("api_locations", api_locations(values))
    return values


def location_values(route: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The variables of nginx/location.conf.tmpl for one routes.json row (terraform/proxy_vps.tf builds the same)."""
    internal = bool(route.get("internal", False))
    fn = route["function"]
    return {
        "comment": route.get("comment", ""), "match": "=" if route.get("exact") else "^~", "prefix": route["prefix"],
        "internal": internal, "stream": bool(route.get("stream", False)), "media": bool(route.get("media", False)),
        "upstream": "" if internal else values[f"{fn}_upstream"], "host": "" if internal else values[f"{fn}_host"],
    }


def api_locations(values: dict[str, Any], routes: list[dict[str, Any]] | None = None) -> str:
    """One nginx location per routes.json row, rendered from nginx/location.conf.tmpl."""
    template = LOCATION_TEMPLATE_PATH.read_text()
    return "".join(render(template, location_values(r, values)) for r in (routes or load_routes()))


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
        text = render(args.template.read_text(), build_values(overrides))
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
