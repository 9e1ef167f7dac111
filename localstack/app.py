"""One WSGI app serving every function by path prefix, exactly as the Nginx proxy routes them."""

from __future__ import annotations

import flask
from werkzeug.exceptions import HTTPException

from common.http import Api, http_exception_response, with_security_headers
from functions import admin, auth, billing, chat, generate, proxy, web, worker

# Longest prefix first; mirrors nginx/sora.conf.tmpl.
ROUTES: list[tuple[str, Api]] = sorted(
    [
        ("/api/health", auth.api),
        ("/api/auth/", auth.api),
        ("/api/ai/chat", chat.api),  # /api/ai/chat and /api/ai/chats
        ("/api/ai/proxy", proxy.api),
        ("/api/ai/", generate.api),
        ("/api/public/", generate.api),  # shared pages' data (no sign-in)
        ("/api/billing/", billing.api),
        ("/api/admin/", admin.api),
        ("/api/tasks/", worker.api),
    ],
    key=lambda route: -len(route[0]),
)


def pick(path: str) -> Api:
    for prefix, api in ROUTES:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return api
    return web.api


def create_app() -> flask.Flask:
    app = flask.Flask("sora-local", static_folder=None)
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    @app.route("/", defaults={"path": ""}, methods=methods)
    @app.route("/<path:path>", methods=methods)
    def dispatch(path: str) -> flask.Response:
        return pick(flask.request.path)(flask.request)

    @app.errorhandler(HTTPException)
    def json_error(exc: HTTPException) -> flask.Response:
        # An unusual method (PROPFIND, TRACE...) or a malformed request never reaches a function: JSON anyway.
        return with_security_headers(http_exception_response(exc))

    return app
