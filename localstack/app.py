"""One WSGI app serving every function by path prefix, exactly as the Nginx proxy routes them."""

from __future__ import annotations

import flask

from common.http import Api
from functions import auth, generate, proxy, web, worker

# Longest prefix first; mirrors nginx/sora.conf.tmpl.
ROUTES: list[tuple[str, Api]] = [
    ("/api/health", auth.api),
    ("/api/auth/", auth.api),
    ("/api/ai/proxy", proxy.api),
    ("/api/ai/", generate.api),
    ("/api/tasks/", worker.api),
]
OPTIONAL = [("/api/ai/chat", "chat"), ("/api/billing/", "billing"), ("/api/admin/", "admin")]


def _optional_routes() -> list[tuple[str, Api]]:
    import importlib

    found = []
    for prefix, module in OPTIONAL:
        try:
            found.append((prefix, importlib.import_module(f"functions.{module}").api))
        except ModuleNotFoundError:
            continue
    return found


def create_app() -> flask.Flask:
    app = flask.Flask("sora-local", static_folder=None)
    routes = sorted(ROUTES + _optional_routes(), key=lambda r: -len(r[0]))

    def pick(path: str) -> Api:
        for prefix, api in routes:
            if path == prefix.rstrip("/") or path.startswith(prefix):
                return api
        return web.api

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    @app.route("/", defaults={"path": ""}, methods=methods)
    @app.route("/<path:path>", methods=methods)
    def dispatch(path: str) -> flask.Response:
        return pick(flask.request.path)(flask.request)

    return app
