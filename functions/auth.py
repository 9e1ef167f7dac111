"""Function `auth`: register, login, me, Google sign-in, logout, passwords, API tokens, usage (`/api/health` is on every function: common/health.py)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.errors import Conflict, NotFound
from common.http import Api, Ctx
from common.models import (
    ApiTokenCreated,
    ApiTokenList,
    AuthResponse,
    ChangePasswordRequest,
    CreateApiTokenRequest,
    GoogleLoginRequest,
    LoginRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    RegisterRequest,
    UsagePage,
    User,
)
from common.runtime import Services

api = Api("auth")

# Start-up work done before the first request (main.py): modules its first request imports, then clients.
PRELOAD = ("common.auth", "common.accounting", "pymongo")


def warm(svc: Services) -> None:
    """Build this function's clients at instance start."""
    svc.warm("auth")
    svc.jwt_key()
    from common.auth import _dummy_hash

    _dummy_hash()


class UsageQuery(BaseModel):
    """Query parameters of GET /api/auth/usage: `limit` 1..100 items per page (default 50), `cursor` from the previous page's next_cursor; unknown
    parameters are ignored.
    """
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


@api.route(
    "/api/auth/register", methods=["POST"], rate="register", auth="public", body=RegisterRequest, response=AuthResponse, status=201,
    summary="Create an account",
)
def register(ctx: Ctx) -> tuple[AuthResponse, int]:
    """POST /api/auth/register: create an account and sign in (201 {token, user}). 409 `email_taken` for an existing or
    reserved (ADMIN_EMAIL) address; 400 for an invalid body.
    """
    body = ctx.body(RegisterRequest)
    if str(body.email).lower() == ctx.svc.settings.ADMIN_EMAIL.lower():  # reserved: created by _ensure_admin
        raise Conflict("An account with this email already exists. Sign in instead.", code="email_taken")
    user = ctx.svc.auth.register(email=str(body.email), password=body.password, name=body.name)
    return AuthResponse(token=ctx.svc.auth.issue_token(user), user=ctx.svc.auth.to_api(user)), 201


@api.route(
    "/api/auth/login", methods=["POST"], rate="login", auth="public", body=LoginRequest, response=AuthResponse, summary="Sign in",
)
def login(ctx: Ctx) -> AuthResponse:
    """POST /api/auth/login: {token, user} for a correct email and password. 401 `invalid_credentials`, 403
    `account_disabled`, 429 while the login throttle makes the caller wait. Creates the configured admin on first use.
    """
    body = ctx.body(LoginRequest)
    _ensure_admin(ctx, str(body.email))
    user = ctx.svc.auth.login(email=str(body.email), password=body.password, client_ip=ctx.client_ip)
    return AuthResponse(token=ctx.svc.auth.issue_token(user), user=ctx.svc.auth.to_api(user))


@api.route("/api/auth/me", methods=["GET"], response=User, summary="The signed-in user with quota and credits")
def me(ctx: Ctx) -> object:
    """GET /api/auth/me: the signed-in user with today's quota and credits."""
    assert ctx.user is not None
    return ctx.svc.auth.to_api(ctx.user)


@api.route(
    "/api/auth/google", methods=["POST"], rate="login", auth="public", body=GoogleLoginRequest, response=AuthResponse,
    summary="Sign in with a Google ID token",
)
def google(ctx: Ctx) -> AuthResponse:
    """POST /api/auth/google: sign in (or sign up) with a Google ID token; 404 `not_enabled` without GOOGLE_CLIENT_ID,
    401 for a token that fails verification.
    """
    body = ctx.body(GoogleLoginRequest)
    if not ctx.svc.settings.GOOGLE_CLIENT_ID:
        raise NotFound("Google sign-in is not enabled on this server.", code="not_enabled")
    user = ctx.svc.auth.login_with_google(id_token=body.id_token, client_id=ctx.svc.settings.GOOGLE_CLIENT_ID)
    return AuthResponse(token=ctx.svc.auth.issue_token(user), user=ctx.svc.auth.to_api(user))


@api.route(
    "/api/auth/logout", methods=["POST"], status=204,
    summary="Sign out: every session token issued so far stops working",
)
def logout(ctx: Ctx) -> None:
    ctx.svc.accounts.retire_sessions(ctx.user_id)


@api.route(
    "/api/auth/password", methods=["POST"], rate="login", body=ChangePasswordRequest, status=204,
    summary="Change the password; older session tokens stop working",
)
def change_password(ctx: Ctx) -> None:
    """POST /api/auth/password: change the password (204); every older session token stops working. 401 for a wrong
    current password.
    """
    body = ctx.body(ChangePasswordRequest)
    assert ctx.user is not None
    ctx.svc.accounts.change_password(user=ctx.user, current=body.current_password, new=body.new_password)


@api.route(
    "/api/auth/password/reset", methods=["POST"], rate="login", auth="public", body=PasswordResetRequest, status=202,
    summary="Mail a password reset link (202 whether or not the account exists)",
)
def request_password_reset(ctx: Ctx) -> tuple[dict[str, str], int]:
    """POST /api/auth/password/reset: mail a reset link; 202 whatever the email, so accounts cannot be enumerated."""
    body = ctx.body(PasswordResetRequest)
    ctx.svc.accounts.request_reset(str(body.email))
    return {"status": "accepted"}, 202


@api.route(
    "/api/auth/password/reset/confirm", methods=["POST"], rate="login", auth="public", body=PasswordResetConfirm, status=204,
    summary="Set a new password with a reset token",
)
def confirm_password_reset(ctx: Ctx) -> None:
    """POST /api/auth/password/reset/confirm: set a new password with a mailed token (204); 400 for an invalid or
    expired token.
    """
    body = ctx.body(PasswordResetConfirm)
    ctx.svc.accounts.confirm_reset(token=body.token, new_password=body.new_password)


@api.route(
    "/api/auth/usage", methods=["GET"], query=UsageQuery, response=UsagePage,
    summary="The caller's credit ledger, newest first",
)
def usage(ctx: Ctx) -> UsagePage:
    """GET /api/auth/usage: one page of the caller's own credit ledger, newest first."""
    q = ctx.query(UsageQuery)
    items, cursor = ctx.svc.accounts.usage(user_id=ctx.user_id, limit=q.limit, cursor=q.cursor)
    return UsagePage(items=items, next_cursor=cursor)


@api.route(
    "/api/auth/tokens", methods=["POST"], body=CreateApiTokenRequest, response=ApiTokenCreated, status=201,
    summary="Create a developer API token (shown once)",
)
def create_token(ctx: Ctx) -> tuple[ApiTokenCreated, int]:
    """POST /api/auth/tokens: create a developer API token (201; the token is in this answer only); 409 at the limit."""
    body = ctx.body(CreateApiTokenRequest)
    return ctx.svc.accounts.create_api_token(user_id=ctx.user_id, name=body.name), 201


@api.route("/api/auth/tokens", methods=["GET"], response=ApiTokenList, summary="The caller's developer API tokens")
def list_tokens(ctx: Ctx) -> ApiTokenList:
    """GET /api/auth/tokens: the caller's active developer API tokens (never the tokens themselves)."""
    return ApiTokenList(items=ctx.svc.accounts.list_api_tokens(ctx.user_id))


@api.route("/api/auth/tokens/<token_id>", methods=["DELETE"], status=204, summary="Revoke a developer API token")
def revoke_token(ctx: Ctx) -> None:
    ctx.svc.accounts.revoke_api_token(user_id=ctx.user_id, token_id=ctx.args["token_id"])


def _ensure_admin(ctx: Ctx, email: str) -> None:
    """The first sign-in as ADMIN_EMAIL creates that account with ADMIN_PASSWORD (docs/deploy.md): a
    deployment has no start-up script, and creating it here costs nothing on any other login."""
    s = ctx.svc.settings
    if email.lower() == s.ADMIN_EMAIL.lower() and ctx.svc.db.users.find_one({"email": email.lower()}) is None:
        ctx.svc.auth.ensure_admin(email=s.ADMIN_EMAIL, password=s.ADMIN_PASSWORD)
