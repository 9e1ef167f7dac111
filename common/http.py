"""The HTTP edge shared by every function: routing, auth guards, JSON errors, CORS.

A function module builds one `Api`, registers thin views on it, and exposes
`api` as its functions-framework entry point. Every error leaves through
`_error_response`, in API.md's shape; nothing else builds error JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import flask
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import Map, Rule

from common.errors import AppError, Forbidden, InvalidRequest, NotFound, PayloadTooLarge, Unauthorized
from common.models.core import Health
from common.routes import function_for
from common.runtime import Services, services

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
AuthLevel = Literal["public", "user", "admin"]
MAX_JSON_BYTES = 1024 * 1024

EXPOSED_HEADERS = ("Content-Range, Accept-Ranges, Content-Length, ETag, Last-Modified, Retry-After, Content-Disposition, "
                   "Idempotent-Replayed")
IDEMPOTENCY_HEADER = "Idempotency-Key"
ALLOWED_HEADERS = "Authorization, Content-Type, Range, If-Range, If-None-Match, If-Modified-Since, Accept, Stripe-Signature, Idempotency-Key"


@dataclass(frozen=True)
class RouteSpec:
    """One declared route: what `make openapi` publishes and what the dispatcher enforces.

    `body`/`query` are the pydantic models of the JSON body and the query string (the view reads them with
    `ctx.body(Model)`/`ctx.query(Model)`, which must name the declared model); `response` the model (or models, any of) of a
    2xx answer with status `status` (None: no JSON body); `upload` the multipart field of a file upload;
    `produces` extra media types of the answer (e.g. "text/event-stream"); `internal` routes (the worker's)
    are left out of openapi.json.
    """

    function: str
    path: str
    methods: tuple[str, ...]
    auth: AuthLevel
    view: View
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | tuple[type[BaseModel], ...] | None = None
    status: int = 200
    upload: str | None = None
    produces: tuple[str, ...] = ()
    summary: str = ""
    internal: bool = False
    rate: str | None = None
    idempotent: bool = False  # an Idempotency-Key header makes replays return the first answer (common/idempotency.py)


@dataclass
class Ctx:
    """What a view gets: the request, the services, the caller, URL arguments."""

    request: flask.Request
    svc: Services
    user: dict[str, Any] | None = None
    args: dict[str, Any] = field(default_factory=dict)
    spec: RouteSpec | None = None

    @property
    def user_id(self) -> str:
        """The caller's user id. Only on routes with auth "user" or "admin"."""
        assert self.user is not None
        return str(self.user["_id"])

    @property
    def client_ip(self) -> str:
        """The caller's address: X-Forwarded-For only through trusted proxies (common/ratelimit.py)."""
        return client_ip_of(self.request, self.svc)

    def body(self, model: type[M]) -> M:
        """The JSON body as `model`. Raises InvalidRequest (not JSON, not an object, invalid field: 400 with the
        field) or PayloadTooLarge (over 1 MiB). A route that declares `body=` must read that model."""
        if self.spec is not None and self.spec.body is not None and self.spec.body is not model:
            raise TypeError(f"{self.spec.path} declares body={self.spec.body.__name__} but reads {model.__name__}")
        return parse_json(self.request, model)

    def query(self, model: type[M]) -> M:
        """The query string as `model` (first value of each name). Raises InvalidRequest naming the field."""
        if self.spec is not None and self.spec.query is not None and self.spec.query is not model:
            raise TypeError(f"{self.spec.path} declares query={self.spec.query.__name__} but reads {model.__name__}")
        try:
            return model.model_validate({k: v for k, v in self.request.args.items()})
        except ValidationError as exc:
            raise _validation_error(exc) from None


View = Callable[[Ctx], Any]


UNLIMITED = "unlimited"  # a route's `rate` that exempts it from every rate limit


class Api:
    """A function's routes. Calling it with a flask.Request answers the request.

    `ip_policy` is the rate-limit policy every request of this Api counts
    against per client IP (None: none, e.g. the worker, which only the queue
    calls); a route's own `rate` policy counts per user on authenticated routes
    and per client IP on public ones (names: `Services.rate_policies`).
    """

    def __init__(self, name: str, *, ip_policy: str | None = "ip") -> None:
        """`name` is the function's name in routes.json (auth, generate, chat, ...)."""
        self.name = name
        self._ip_policy = ip_policy
        self._map = Map(strict_slashes=False)
        self._views: dict[str, RouteSpec] = {}
        # Every service answers its own health (Cloud Run probes its URL); the proxy sends /api/health
        # to the function routes.json names, so only that one publishes it in openapi.json.
        self.route("/api/health", methods=["GET", "HEAD"], auth="public", response=Health, rate=UNLIMITED,
                   internal=function_for("/api/health") != name)(_readiness_view(name))
        self.route("/api/health/live", methods=["GET", "HEAD"], auth="public", rate=UNLIMITED, internal=True)(_liveness)

    def route(
        self,
        path: str,
        *,
        methods: list[str],
        auth: AuthLevel = "user",
        rate: str | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | tuple[type[BaseModel], ...] | None = None,
        status: int = 200,
        upload: str | None = None,
        produces: tuple[str, ...] = (),
        summary: str | None = None,
        internal: bool = False,
        idempotent: bool = False,
    ) -> Callable[[View], View]:
        """Register a view for `path` (werkzeug rule syntax, e.g. `/api/ai/tasks/<task_id>`) and record its
        contract (see RouteSpec). `rate` names a rate-limit policy (or UNLIMITED). `summary` defaults to the first line of the view's docstring."""

        def register(view: View) -> View:
            """Record `view` under its endpoint name (the decorator `route` returns)."""
            endpoint = f"{self.name}.{view.__name__}"
            self._map.add(Rule(path, endpoint=endpoint, methods=methods))
            doc = (view.__doc__ or "").strip().splitlines()
            self._views[endpoint] = RouteSpec(
                function=self.name, path=path, methods=tuple(m.upper() for m in methods), auth=auth, view=view,
                body=body, query=query, response=response, status=status, upload=upload, produces=produces,
                summary=summary if summary is not None else (doc[0] if doc else ""), internal=internal, rate=rate,
                idempotent=idempotent,
            )
            return view

        return register

    def paths(self) -> list[str]:
        """Every registered rule."""
        return [r.rule for r in self._map.iter_rules()]

    def specs(self) -> list[RouteSpec]:
        """Every registered route's contract, in registration order."""
        return list(self._views.values())

    def __call__(self, request: flask.Request) -> flask.Response:
        svc = services()
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            return _with_cors(with_security_headers(flask.Response(status=204)), origin, svc, preflight=True)
        try:
            adapter = self._map.bind_to_environ(request.environ)
            endpoint, args = adapter.match()
            spec = self._views[str(endpoint)]
            view, level, rate, idempotent = spec.view, spec.auth, spec.rate, spec.idempotent
            if rate == UNLIMITED:  # health checks answer even when the database does not
                rate = None
            elif self._ip_policy:
                svc.rate_limits.hit(self._ip_policy, client_ip_of(request, svc))
            ctx = Ctx(request=request, svc=svc, args=dict(args), spec=spec)
            if level != "public":
                ctx.user = authenticate(request, svc)
                if level == "admin" and ctx.user.get("role") != "admin":
                    raise Forbidden("This page is for administrators.")
            if rate:
                svc.rate_limits.hit(rate, f"user:{ctx.user_id}" if ctx.user is not None else ctx.client_ip)
            key = request.headers.get(IDEMPOTENCY_HEADER) if idempotent else None
            if key is not None:
                scope = f"{ctx.user_id if ctx.user is not None else ctx.client_ip}:{request.method}:{request.path}"
                response = svc.idempotency.run(scope=scope, key=key, body=request.get_data(cache=True),
                                               call=lambda: to_response(view(ctx)))
            else:
                response = to_response(view(ctx))
        except AppError as exc:
            response = _error_response(exc)
        except HTTPException as exc:
            response = http_exception_response(exc)
        except RecursionError:  # a structure nested deeper than any parser here takes: the client's mistake
            response = _error_response(InvalidRequest("The request body is nested too deeply."))
        except Exception:
            log.exception("unhandled error", extra={"path": request.path, "method": request.method})
            response = _error_response(AppError())
        return _with_cors(with_security_headers(response), origin, svc)


def client_ip_of(request: flask.Request, svc: Services) -> str:
    """The caller's address: X-Forwarded-For only through trusted proxies (common/ratelimit.py)."""
    from common.ratelimit import client_ip

    return client_ip(request.remote_addr, request.headers.get("X-Forwarded-For"), svc.trusted_proxies,
                     request.headers.get("X-Real-IP"))


def http_exception_response(exc: HTTPException) -> flask.Response:
    """A Werkzeug HTTP error (raised anywhere, even outside our views) in API.md's JSON shape."""
    code = exc.code or 500
    if isinstance(exc, RequestEntityTooLarge):
        return _error_response(PayloadTooLarge())
    if isinstance(exc, MethodNotAllowed):
        response = _error_response(AppError("That method is not allowed here.", code="method_not_allowed"), status=405)
        response.headers["Allow"] = ", ".join(exc.valid_methods or [])
        return response
    if code == 404:
        return _error_response(NotFound("No such endpoint."))
    message = exc.description or exc.name
    error_code = "invalid_request" if code < 500 else "internal"
    if code >= 500:
        message = AppError.default_message
    return _error_response(AppError(message, code=error_code), status=code)


# Every answer gets these (OWASP Secure Headers); the *.run.app URLs bypass Nginx, so the app sets them.
# A view that sets its own Content-Security-Policy (an HTML page) keeps it.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# JSON and media answers are never documents: nothing may run or be framed. Media opened directly in a
# tab is shown by the browser's own viewer, which `media-src`/`img-src 'self'` keeps working.
API_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def with_security_headers(response: flask.Response) -> flask.Response:
    """`response` with the OWASP secure headers and the API's CSP (a view's own CSP is kept)."""
    for key, value in SECURITY_HEADERS.items():
        response.headers.setdefault(key, value)
    response.headers.setdefault("Content-Security-Policy", API_CSP)
    return response


API_TOKEN_PATHS = "/api/ai/"  # noqa: S105 - a path prefix, not a secret


def _readiness_view(service: str) -> View:
    def health(ctx: Ctx) -> flask.Response:
        """Readiness of this service (common/health.py): 200 when every check passes, else 503."""
        from common.health import readiness
        from common.models import Health

        checks = readiness(ctx.svc, service)
        ok = all(v == "ok" for v in checks.values())
        body = Health(status="ok" if ok else "degraded", version=ctx.svc.settings.VERSION, checks=checks)
        response = to_response((body, 200 if ok else 503))
        response.headers["Cache-Control"] = "no-store"
        return response

    return health


def _liveness(ctx: Ctx) -> flask.Response:
    """Liveness: the process answers; no dependency is touched."""
    from common.models import Health

    response = to_response(Health(status="ok", version=ctx.svc.settings.VERSION, checks={}))
    response.headers["Cache-Control"] = "no-store"
    return response


def authenticate(request: flask.Request, svc: Services) -> dict[str, Any]:
    """The caller: a session JWT, or a developer API token (`sora_…`) on `/api/ai/*` only."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Please sign in.")
    from common.accounts import API_TOKEN_PREFIX

    if token.startswith(API_TOKEN_PREFIX):
        if not request.path.startswith(API_TOKEN_PATHS):
            raise Forbidden("Developer API tokens work on /api/ai/* only; sign in for account and admin pages.")
        return svc.accounts.user_for_api_token(token)
    return svc.auth.user_from_token(token)


def parse_json(request: flask.Request, model: type[M]) -> M:
    """The request body as `model`. Raises PayloadTooLarge (over 1 MiB) or InvalidRequest (not JSON, not an object, invalid field)."""
    if request.content_length and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge("The request body is too large.")
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLarge("The request body is too large.")
    data = load_json(raw)
    if not isinstance(data, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc) from None


def load_json(raw: bytes) -> Any:
    """Parse a JSON body; anything the parser cannot take (bad syntax, bad UTF-8, nesting deeper
    than the parser's recursion limit, NUL-free strings aside) is 400 `invalid_request`."""
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.") from None
    except RecursionError:
        raise InvalidRequest("The request body is nested too deeply.") from None


def _validation_error(exc: ValidationError) -> InvalidRequest:
    errors = [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
        for e in exc.errors(include_url=False, include_input=False, include_context=False)
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return InvalidRequest(f"Invalid field '{first['field']}': {first['message']}.", details={"field": first["field"], "errors": errors})


def to_response(value: Any) -> flask.Response:
    """A view's return value as a response: a Response as is, a model or JSON value (optionally with a status), None as 204."""
    if isinstance(value, flask.Response):
        return value
    status = 200
    if isinstance(value, tuple):
        value, status = value
    if value is None:
        return flask.Response(status=status if status != 200 else 204)
    if isinstance(value, BaseModel):
        payload = value.model_dump(mode="json")
    else:
        payload = json_ready(value)
    return flask.Response(json.dumps(payload, separators=(",", ":")), status=status, mimetype="application/json")


def json_ready(value: Any) -> Any:
    """`value` with models dumped and datetimes as ISO 8601, ready for json.dumps."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _error_response(exc: AppError, status: int | None = None) -> flask.Response:
    response = flask.Response(json.dumps(json_ready(exc.to_body())), status=status or exc.status, mimetype="application/json")
    for key, value in exc.headers.items():
        response.headers[key] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def _with_cors(response: flask.Response, origin: str | None, svc: Services, *, preflight: bool = False) -> flask.Response:
    if origin and origin.rstrip("/") in svc.cors_origins():
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers["Vary"] = "Origin"
        if preflight:
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "600"
    return response
