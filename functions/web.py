"""Function `web`: the built frontend (SPA) and its runtime config `/config.json`.

On Cloud Run the frontend lives on its own `*.run.app` origin and calls each
function by absolute URL; `/config.json` tells it those URLs (FUNCTION_URLS, a
JSON object set by Terraform). Behind the proxy domain it uses relative paths.
"""

from __future__ import annotations

import functools
import json
import os
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
from werkzeug.test import run_wsgi_app
from whitenoise import WhiteNoise

from common.errors import NotFound
from common.http import Api, Ctx
from common.models import PublicShare

api = Api("web")

IMMUTABLE = "public, max-age=31536000, immutable"  # same as Nginx sends for /assets/
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
    """GET /config.json: the frontend's run-time configuration: function URLs (FUNCTION_URLS) and the Google client id."""
    urls = json.loads(os.environ.get("FUNCTION_URLS", "{}") or "{}")
    # google_client_id: the frontend shows "Continue with Google" (Google Identity Services) when set.
    response = flask.jsonify({"api": urls, "google_client_id": ctx.svc.settings.GOOGLE_CLIENT_ID or None})
    response.headers["Cache-Control"] = "no-cache"
    return response


@api.route("/s/<token>", methods=["GET", "HEAD"], auth="public", internal=True)
def shared_page(ctx: Ctx) -> flask.Response:
    """The SPA with Open Graph / Twitter card tags for the shared task rendered into <head>, so chat apps
    that read only the HTML (no JavaScript) preview the link; 404 (still the SPA) when revoked or unknown."""
    index = ctx.svc.settings.FRONTEND_DIST / "index.html"
    html = index.read_text(encoding="utf-8") if index.exists() else "<!doctype html><html><head></head><body></body></html>"
    status = 200
    try:
        share = ctx.svc.shares.public(str(ctx.args["token"]))
    except NotFound:
        share, status = None, 404
    base = (ctx.svc.settings.PUBLIC_BASE_URL or ctx.request.host_url).rstrip("/")
    html = html.replace("</head>", og_tags(share, page_url=base + ctx.request.path, base=base) + "</head>", 1)
    response = flask.Response(html, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = spa_csp()
    if share is None:
        response.headers["X-Robots-Tag"] = "noindex"
    return response


def og_tags(share: PublicShare | None, *, page_url: str, base: str) -> str:
    """Open Graph (ogp.me) and Twitter card meta tags, HTML-escaped."""
    if share is None:
        return '<meta name="robots" content="noindex">'
    title = "Sora Studio · " + (share.prompt[:70] + ("…" if len(share.prompt) > 70 else ""))
    tags: list[tuple[str, str, str]] = [
        ("property", "og:site_name", "Sora Studio"), ("property", "og:title", title),
        ("property", "og:description", share.prompt[:300]), ("property", "og:url", page_url),
        ("name", "twitter:title", title), ("name", "twitter:description", share.prompt[:200]),
    ]
    poster = share.result.thumbnail_url or (share.result.url if share.type.value == "image" else None)
    if poster:
        tags += [("property", "og:image", base + poster), ("name", "twitter:image", base + poster)]
    if share.type.value == "video":
        tags += [("property", "og:type", "video.other"), ("property", "og:video", base + share.result.url),
                 ("property", "og:video:type", share.result.mime_type), ("name", "twitter:card", "summary_large_image")]
        if share.result.width and share.result.height:
            tags += [("property", "og:video:width", str(share.result.width)),
                     ("property", "og:video:height", str(share.result.height))]
    else:
        tags += [("property", "og:type", "website"), ("name", "twitter:card", "summary_large_image")]
    return "".join(f'<meta {attr}="{key}" content="{html_escape(value, quote=True)}">' for attr, key, value in tags)


@api.route("/", methods=["GET", "HEAD"], auth="public", internal=True)
@api.route("/<path:path>", methods=["GET", "HEAD"], auth="public", internal=True)
def static(ctx: Ctx) -> flask.Response:
    """GET/HEAD of the built single-page app (frontend/dist): files as they are, other paths get index.html; the SPA's
    Content-Security-Policy is set on every answer. /api/* paths here answer 404.
    """
    response = _static(ctx)
    response.headers["Content-Security-Policy"] = spa_csp()
    return response


def _static(ctx: Ctx) -> flask.Response:
    dist: Path = ctx.svc.settings.FRONTEND_DIST
    path = str(ctx.args.get("path") or "index.html")
    if path.startswith("api/"):
        raise NotFound("No such endpoint.")
    if not (dist / "index.html").exists():
        return flask.Response(
            "<!doctype html><title>Sora Studio</title><p>The frontend is not built. Run <code>make dev</code>.</p>",
            mimetype="text/html",
        )
    files = built_files(str(dist), autorefresh=ctx.svc.settings.ENV == "development")
    found = files.files.get("/" + path) if not files.autorefresh else files.find_file("/" + path)
    if found is None:
        if "." in path.rsplit("/", 1)[-1]:
            raise NotFound("No such file.")
        found = files.files.get("/index.html") if not files.autorefresh else files.find_file("/index.html")
        if found is None:  # index.html vanished while the frontend rebuilds
            raise NotFound("No such file.")
    environ = {k: v for k, v in ctx.request.environ.items() if k != "wsgi.file_wrapper"}  # a plain iterable body
    body, status, headers = run_wsgi_app(lambda env, start: WhiteNoise.serve(found, env, start), environ)
    return flask.Response(body, status=status, headers=headers, direct_passthrough=True)


def _cache_control(headers: Any, path: str, url: str) -> None:
    """Hashed bundles (assets/*) never change: immutable for a year; everything else (index.html,
    icons) is revalidated on every load, so a deploy reaches users at once."""
    headers["Cache-Control"] = IMMUTABLE if url.startswith("/assets/") else "no-cache"


@functools.cache
def built_files(dist: str, *, autorefresh: bool = False) -> WhiteNoise:
    """WhiteNoise over the built frontend: serves the `.br` / `.gz` twin a build wrote
    (frontend/scripts/precompress.mjs) when the client accepts it (`Vary: Accept-Encoding`),
    ETag/Last-Modified with 304s, HEAD. `autorefresh` (the local stack) rescans on each request,
    so a rebuild while `make dev` runs is served without a restart."""
    return WhiteNoise(None, root=dist, prefix="/", autorefresh=autorefresh, max_age=None, allow_all_origins=False,
                      add_headers_function=_cache_control, index_file=False)
