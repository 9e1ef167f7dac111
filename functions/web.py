"""Function `web`: the built frontend (SPA) and its runtime config `/config.json`.

On Cloud Run the frontend lives on its own `*.run.app` origin and calls each
function by absolute URL; `/config.json` tells it those URLs (FUNCTION_URLS, a
JSON object set by Terraform). Behind the proxy domain it uses relative paths.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import flask

from common.errors import NotFound
from common.http import Api, Ctx

api = Api("web")

IMMUTABLE = "public, max-age=31536000, immutable"
GOOGLE_GSI = "https://accounts.google.com"


def _function_origins() -> list[str]:
    """Origins of the functions the frontend calls by absolute URL on *.run.app (FUNCTION_URLS)."""
    try:
        urls = json.loads(os.environ.get("FUNCTION_URLS", "{}") or "{}")
    except ValueError:
        return []
    origins = []
    for url in urls.values() if isinstance(urls, dict) else []:
        parts = urlsplit(str(url))
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def spa_csp() -> str:
    """The frontend's Content-Security-Policy: scripts only from this origin (and Google Identity
    Services), data only to our functions; nothing frames the app."""
    api = " ".join(_function_origins())
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' {GOOGLE_GSI}",
        f"style-src 'self' 'unsafe-inline' {GOOGLE_GSI}",
        f"img-src 'self' data: blob: {api}".rstrip(),
        f"media-src 'self' blob: {api}".rstrip(),
        f"connect-src 'self' {api} {GOOGLE_GSI}".replace("  ", " "),
        f"frame-src {GOOGLE_GSI}",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action 'self' {api}".rstrip(),
        "frame-ancestors 'none'",
    ])


@api.route("/config.json", methods=["GET"], auth="public", internal=True)
def config(ctx: Ctx) -> flask.Response:
    urls = json.loads(os.environ.get("FUNCTION_URLS", "{}") or "{}")
    # google_client_id: the frontend shows "Continue with Google" (Google Identity Services) when set.
    response = flask.jsonify({"api": urls, "google_client_id": ctx.svc.settings.GOOGLE_CLIENT_ID or None})
    response.headers["Cache-Control"] = "no-cache"
    return response


@api.route("/", methods=["GET", "HEAD"], auth="public", internal=True)
@api.route("/<path:path>", methods=["GET", "HEAD"], auth="public", internal=True)
def static(ctx: Ctx) -> flask.Response:
    response = _static(ctx)
    response.headers["Content-Security-Policy"] = spa_csp()
    return response


def _static(ctx: Ctx) -> flask.Response:
    dist: Path = ctx.svc.settings.FRONTEND_DIST
    path = str(ctx.args.get("path") or "index.html")
    if path.startswith("api/"):
        raise NotFound("No such endpoint.")
    index = dist / "index.html"
    if not index.exists():
        return flask.Response(
            "<!doctype html><title>Sora Studio</title><p>The frontend is not built. Run <code>make dev</code>.</p>",
            mimetype="text/html",
        )
    target = (dist / path).resolve()
    if target.is_file() and target.is_relative_to(dist.resolve()):
        response = flask.send_file(target, conditional=True, etag=True)
        response.headers["Cache-Control"] = IMMUTABLE if path.startswith("assets/") else "no-cache"
        return response
    if "." in path.rsplit("/", 1)[-1]:
        raise NotFound("No such file.")
    response = flask.send_file(index, conditional=True, etag=True)  # SPA route: the app decides
    response.headers["Cache-Control"] = "no-cache"
    return response
