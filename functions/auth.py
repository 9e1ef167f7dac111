"""Function `auth`: register, login, me, Google sign-in, and the health check."""

from __future__ import annotations

from common.errors import NotFound
from common.http import Api, Ctx
from common.models import AuthResponse, GoogleLoginRequest, Health, LoginRequest, RegisterRequest

api = Api("auth")


@api.route("/api/auth/register", methods=["POST"], auth="public", rate="register")
def register(ctx: Ctx) -> tuple[AuthResponse, int]:
    body = ctx.body(RegisterRequest)
    user = ctx.svc.auth.register(email=str(body.email), password=body.password, name=body.name)
    return AuthResponse(token=ctx.svc.auth.issue_token(user), user=ctx.svc.auth.to_api(user)), 201


@api.route("/api/auth/login", methods=["POST"], auth="public", rate="login")
def login(ctx: Ctx) -> AuthResponse:
    body = ctx.body(LoginRequest)
    user = ctx.svc.auth.login(email=str(body.email), password=body.password, client_ip=ctx.client_ip)
    return AuthResponse(token=ctx.svc.auth.issue_token(user), user=ctx.svc.auth.to_api(user))


@api.route("/api/auth/me", methods=["GET"])
def me(ctx: Ctx) -> object:
    assert ctx.user is not None
    return ctx.svc.auth.to_api(ctx.user)


@api.route("/api/auth/google", methods=["POST"], auth="public", rate="login")
def google(ctx: Ctx) -> AuthResponse:
    body = ctx.body(GoogleLoginRequest)
    if not ctx.svc.settings.GOOGLE_CLIENT_ID:
        raise NotFound("Google sign-in is not enabled on this server.", code="not_enabled")
    user = ctx.svc.auth.login_with_google(id_token=body.id_token, client_id=ctx.svc.settings.GOOGLE_CLIENT_ID)
    return AuthResponse(token=ctx.svc.auth.issue_token(user), user=ctx.svc.auth.to_api(user))


@api.route("/api/health", methods=["GET"], auth="public")
def health(ctx: Ctx) -> tuple[Health, int]:
    svc = ctx.svc
    checks = {
        "db": "ok" if svc.db.ping() else "down",
        "storage": "ok" if svc.storage.ping() else "down",
        "queue": "ok" if svc.queue.ping() else "down",
    }
    ok = all(v == "ok" for v in checks.values())
    return Health(status="ok" if ok else "degraded", version=svc.settings.VERSION, checks=checks), 200 if ok else 503
