"""Entry points for functions-framework: `functions-framework --target=<name> --source=main.py`.

Each target is its own Cloud Run service; the local stack serves all of them
behind one port (localstack/). Handlers live in `functions/`, rules in `common/`.

functions-framework resolves `--target` with `getattr(main, target)`, so the
targets are built lazily (PEP 562 module `__getattr__`): a service imports
only its own function module, not the other seven (`bench/imports.py` prints
the import time and module count of each).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import flask
import functions_framework

from common.logging_setup import configure_logging

configure_logging()
log = logging.getLogger(__name__)

# target name -> module defining `api`, and optionally `PRELOAD` (modules its first request
# imports) and `warm(services)` (clients to build before the first request).
TARGETS: dict[str, str] = {
    "auth": "functions.auth",
    "generate": "functions.generate",
    "chat": "functions.chat",
    "proxy": "functions.proxy",
    "billing": "functions.billing",
    "admin": "functions.admin",
    "worker": "functions.worker",
    "web": "functions.web",
}


def _build(name: str) -> Callable[[flask.Request], Any]:
    module = importlib.import_module(TARGETS[name])
    api = module.api

    def handler(request: flask.Request) -> Any:
        return api(request)

    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = f"HTTP entry point of the `{name}` function ({TARGETS[name]})."
    target = functions_framework.http(handler)
    if flask.has_app_context():  # resolved by functions-framework, inside its app's context
        _json_framework_errors(flask.current_app)
    if os.environ.get("FUNCTION_TARGET") == name:
        _warm(name, module)
    return target


def _json_framework_errors(app: flask.Flask) -> None:
    """Errors the framework raises before our handler runs (/robots.txt, /favicon.ico, a malformed
    request) answer in API.md's JSON shape with the security headers too, never a Werkzeug HTML page."""
    from werkzeug.exceptions import HTTPException

    from common.http import http_exception_response, with_security_headers

    app.register_error_handler(HTTPException, lambda exc: with_security_headers(http_exception_response(exc)))


# What every target's requests use (common/http.py: rate limits on each request).
COMMON_PRELOAD = ("common.ratelimit", "common.accounts")
COMMON_WARM = ("rate_limits",)


def _warm(name: str, module: Any) -> None:
    """The served target pays its start-up work at instance start (Cloud Run's CPU boost), not on the first request.

    Imports (`PRELOAD`) happen now, in the process functions-framework loads the
    target in. Clients (`warm`) are built in the serving process: gunicorn forks
    its worker after loading the app, and a MongoDB client or open connection
    must not cross a fork, so they are built by a thread started in the child.
    """
    for preload in (*COMMON_PRELOAD, *getattr(module, "PRELOAD", ())):
        try:
            importlib.import_module(preload)
        except ImportError:  # a module renamed since: the first request imports what it needs
            log.warning("preload of %s failed", preload, exc_info=True)
    warm = getattr(module, "warm", None)

    def build() -> None:
        try:
            from common.runtime import services

            svc = services()
            svc.warm(*(c for c in COMMON_WARM if hasattr(type(svc), c)))
            svc.db.ping()  # a real MongoDB: the connection pool's first connection, before the first request
            svc.db.users.find_one({"_id": "warm-up"})  # the query path's first use (the embedded store's too)
            if warm is not None:
                warm(svc)
        except Exception:
            log.warning("warm-up of %s failed; clients will be built on first use", name, exc_info=True)

    os.register_at_fork(after_in_child=lambda: threading.Thread(target=build, daemon=True, name="warm-up").start())


def __getattr__(name: str) -> Callable[[flask.Request], Any]:
    if name not in TARGETS:
        raise AttributeError(f"module 'main' has no attribute {name!r}")
    target = _build(name)
    globals()[name] = target
    return target


def __dir__() -> list[str]:
    return sorted([*globals(), *TARGETS])
