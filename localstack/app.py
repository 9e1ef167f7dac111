"""One WSGI app serving every function by path, exactly as the Nginx proxy routes them (routes.json)."""

from __future__ import annotations

import importlib

import flask
from werkzeug.exceptions import HTTPException

from common.http import Api, http_exception_response, with_security_headers
from common.routes import function_for, functions


def apis() -> dict[str, Api]:
    """Each function's `Api`, by its name in routes.json (functions/<name>.py)."""
    return {name: importlib.import_module(f"functions.{name}").api for name in functions()}


def pick(path: str) -> Api:
    """The function that serves `path`."""
    return apis()[function_for(path)]


def create_app() -> flask.Flask:
    """A Flask app that hands every request to the function routes.json names for its path."""
    app = flask.Flask("sora-local", static_folder=None)
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    by_name = apis()

    @app.route("/", defaults={"path": ""}, methods=methods)
    @app.route("/<path:path>", methods=methods)
    def dispatch(path: str) -> flask.Response:
        return by_name[function_for(flask.request.path)](flask.request)

    @app.errorhandler(HTTPException)
    def json_error(exc: HTTPException) -> flask.Response:
        # An unusual method (PROPFIND, TRACE...) or a malformed request never reaches a function: JSON anyway.
        return with_security_headers(http_exception_response(exc))

    return app
