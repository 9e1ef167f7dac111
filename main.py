"""Entry points for functions-framework: `functions-framework --target=<name> --source=main.py`.

Each target is its own Cloud Run service; the local stack serves all of them
behind one port (localstack/). Handlers live in `functions/`, rules in `common/`.
"""

from __future__ import annotations

import flask
import functions_framework
from werkzeug.exceptions import HTTPException

from common.http import http_exception_response, with_security_headers
from common.logging_setup import configure_logging
from functions import admin as _admin
from functions import auth as _auth
from functions import billing as _billing
from functions import chat as _chat
from functions import generate as _generate
from functions import proxy as _proxy
from functions import web as _web
from functions import worker as _worker

configure_logging()


def _json_http_error(exc: HTTPException) -> flask.Response:
    """Errors the framework raises before our handler runs (unroutable method, /robots.txt, ...) are JSON too."""
    return with_security_headers(http_exception_response(exc))


if flask.has_app_context():  # loaded by functions-framework, inside its app's context
    flask.current_app.register_error_handler(HTTPException, _json_http_error)


@functions_framework.http
def auth(request: flask.Request) -> flask.Response:
    return _auth.api(request)


@functions_framework.http
def generate(request: flask.Request) -> flask.Response:
    return _generate.api(request)


@functions_framework.http
def chat(request: flask.Request) -> flask.Response:
    return _chat.api(request)


@functions_framework.http
def proxy(request: flask.Request) -> flask.Response:
    return _proxy.api(request)


@functions_framework.http
def billing(request: flask.Request) -> flask.Response:
    return _billing.api(request)


@functions_framework.http
def admin(request: flask.Request) -> flask.Response:
    return _admin.api(request)


@functions_framework.http
def worker(request: flask.Request) -> flask.Response:
    return _worker.api(request)


@functions_framework.http
def web(request: flask.Request) -> flask.Response:
    return _web.api(request)
