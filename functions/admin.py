"""Function `admin`: the admin panel's API. Every route requires the admin role, checked per request."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.errors import NotFound
from common.http import Api, Ctx
from common.models import TaskStatus, TaskType, User
from common.models.admin import (
    AdminOrder,
    AdminOrderPage,
    AdminSettings,
    AdminSettingsUpdate,
    AdminStats,
    AdminTask,
    AdminTaskPage,
    AdminUserPage,
    AdminUserPatch,
    AuditPage,
    KeyTestRequest,
    KeyTestResult,
    ProviderModelList,
)
from common.models.billing import OrderStatus
from common.runtime import Services

api = Api("admin")

# Start-up work done before the first request (main.py): modules its first request imports, then clients.
PRELOAD = ("common.auth", "common.admin", "pymongo")


def warm(svc: Services) -> None:
    """Build this function's clients at instance start."""
    svc.warm("auth")
    svc.jwt_key()


class PageQuery(BaseModel):
    """Query parameters of admin lists: `limit` 1..100 items per page (default 20), `cursor` from the previous page's next_cursor; unknown
    parameters are ignored.
    """
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


class UserQuery(PageQuery):
    """Query of GET /api/admin/users: PageQuery plus `q`, a search in email and name (at most 200 characters)."""
    q: str | None = Field(None, max_length=200)


class TaskQuery(PageQuery):
    """Query of GET /api/admin/tasks: PageQuery plus optional `status`, `type` and `user_id` filters."""
    status: TaskStatus | None = None
    type: TaskType | None = None
    user_id: str | None = Field(None, max_length=64)


class OrderQuery(PageQuery):
    """Query of GET /api/admin/orders: PageQuery plus an optional order `status` filter."""
    status: OrderStatus | None = None


@api.route(
    "/api/admin/stats", methods=["GET"], auth="admin", response=AdminStats,
    summary="Users, tasks by status and type, revenue, today's generations",
)
def stats(ctx: Ctx) -> AdminStats:
    """GET /api/admin/stats: counts of users, tasks by status and type, revenue and today's generations (AdminService.stats)."""
    return ctx.svc.admin.stats()


@api.route(
    "/api/admin/users", methods=["GET"], auth="admin", query=UserQuery, response=AdminUserPage,
    summary="Users (q searches email and name), newest first",
)
def users(ctx: Ctx) -> AdminUserPage:
    """GET /api/admin/users: one page of users as API `User`s (with quota), optionally filtered by `q`."""
    q = ctx.query(UserQuery)
    docs, cursor = ctx.svc.admin.users(q=q.q, limit=q.limit, cursor=q.cursor)
    return AdminUserPage(items=[ctx.svc.auth.to_api(d) for d in docs], next_cursor=cursor)


@api.route(
    "/api/admin/users/<user_id>", methods=["PATCH"], auth="admin", body=AdminUserPatch, response=User,
    summary="Change role, disable, adjust credits", idempotent=True,
)
def update_user(ctx: Ctx) -> User:
    """PATCH /api/admin/users/{id}: change role/disabled or adjust credits (audited; an Idempotency-Key makes a credit
    adjustment apply once). 404 for an unknown user, 400 for an empty patch, 409 for disabling or demoting oneself.
    """
    assert ctx.user is not None
    doc = ctx.svc.admin.update_user(actor=ctx.user, user_id=ctx.args["user_id"], patch=ctx.body(AdminUserPatch),
                                    idempotency_key=ctx.request.headers.get("Idempotency-Key"))
    return ctx.svc.auth.to_api(doc)


@api.route(
    "/api/admin/tasks", methods=["GET"], auth="admin", query=TaskQuery, response=AdminTaskPage,
    summary="Every user's tasks, newest first",
)
def tasks(ctx: Ctx) -> AdminTaskPage:
    """GET /api/admin/tasks: one page of every user's tasks, newest first, filtered by status/type/user_id."""
    q = ctx.query(TaskQuery)
    filters: dict[str, object] = {}
    if q.status:
        filters["status"] = q.status.value
    if q.type:
        filters["type"] = q.type.value
    if q.user_id:
        filters["user_id"] = q.user_id
    items, cursor = ctx.svc.admin.tasks(filters=filters, limit=q.limit, cursor=q.cursor)
    return AdminTaskPage(items=items, next_cursor=cursor)


@api.route(
    "/api/admin/tasks/<task_id>/retry", methods=["POST"], auth="admin", response=AdminTask,
    summary="Retry a FAILED task for free", idempotent=True,
)
def retry_task(ctx: Ctx) -> AdminTask:
    """POST /api/admin/tasks/{id}/retry: re-run a FAILED task without charging again (audited); 404 unknown task,
    409 when it is not failed.
    """
    assert ctx.user is not None
    return ctx.svc.admin.retry_task(actor=ctx.user, task_id=ctx.args["task_id"])


@api.route(
    "/api/admin/orders", methods=["GET"], auth="admin", query=OrderQuery, response=AdminOrderPage,
    summary="Every order, newest first",
)
def orders(ctx: Ctx) -> AdminOrderPage:
    """GET /api/admin/orders: one page of every order, newest first, optionally by status."""
    q = ctx.query(OrderQuery)
    filters: dict[str, object] = {"status": q.status.value} if q.status else {}
    items, cursor = ctx.svc.admin.orders(filters=filters, limit=q.limit, cursor=q.cursor)
    return AdminOrderPage(items=items, next_cursor=cursor)


@api.route(
    "/api/admin/orders/<order_id>/refund", methods=["POST"], auth="admin", response=AdminOrder,
    summary="Refund a PAID order (credits taken back)", idempotent=True,
)
def refund_order(ctx: Ctx) -> AdminOrder:
    """POST /api/admin/orders/{id}/refund: refund a PAID order and take its credits back (audited; once); 404 unknown order,
    409 when it is not paid.
    """
    assert ctx.user is not None
    return ctx.svc.admin.refund_order(actor=ctx.user, order_id=ctx.args["order_id"])


@api.route(
    "/api/admin/settings", methods=["GET"], auth="admin", response=AdminSettings,
    summary="Run-time settings; API keys as {set, last4, updated_at}",
)
def get_settings(ctx: Ctx) -> AdminSettings:
    """GET /api/admin/settings: the run-time settings; API keys only as {set, last4, updated_at}."""
    return ctx.svc.admin.settings()


@api.route(
    "/api/admin/settings", methods=["PUT"], auth="admin", body=AdminSettingsUpdate, response=AdminSettings,
    summary="Change settings (partial document); applies to every function within 10 s",
)
def put_settings(ctx: Ctx) -> AdminSettings:
    """PUT /api/admin/settings: apply a partial settings document (audited); every function sees it within 10 s.
    400 for invalid values.
    """
    assert ctx.user is not None
    return ctx.svc.admin.update_settings(actor=ctx.user, update=ctx.body(AdminSettingsUpdate))


@api.route(
    "/api/admin/audit", methods=["GET"], auth="admin", query=PageQuery, response=AuditPage,
    summary="Every admin change, newest first",
)
def audit(ctx: Ctx) -> AuditPage:
    """GET /api/admin/audit: one page of the admin audit log, newest first."""
    q = ctx.query(PageQuery)
    items, cursor = ctx.svc.admin.audit_page(limit=q.limit, cursor=q.cursor)
    return AuditPage(items=items, next_cursor=cursor)


@api.route("/api/admin/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], auth="admin", internal=True)
def unknown(ctx: Ctx) -> None:
    """Unknown admin paths answer 403 to non-admins too, so the route list is not probeable."""
    raise NotFound("No such endpoint.")


class ModelsQuery(BaseModel):
    """Query of GET /api/admin/models: `provider`, the vendor whose model list to read (default "gemini")."""
    model_config = ConfigDict(extra="ignore")
    provider: str = Field("gemini", max_length=20)


@api.route(
    "/api/admin/models", methods=["GET"], auth="admin", query=ModelsQuery, response=ProviderModelList,
    summary="The provider's own model list (?provider=gemini|veo|openai|sora), through its SDK with the saved key",
)
def models(ctx: Ctx) -> ProviderModelList:
    """GET /api/admin/models?provider=: the vendor's own model list through its SDK with the saved key, each model with the
    kinds it can serve here.
    """
    return ctx.svc.admin.provider_models(ctx.query(ModelsQuery).provider)


@api.route(
    "/api/admin/keys/<name>/test", methods=["POST"], auth="admin", body=KeyTestRequest, response=KeyTestResult,
    summary="A live check of a key (gemini_api_key, openai_api_key), the given value or the saved one",
)
def test_key(ctx: Ctx) -> KeyTestResult:
    """POST /api/admin/keys/{name}/test: a live check of an API key (the body's `key`, else the saved one) against its
    vendor; answers {ok, message} rather than an error when the vendor refuses the key.
    """
    body = ctx.body(KeyTestRequest) if ctx.request.get_data(cache=True).strip() else KeyTestRequest()
    return ctx.svc.admin.test_key(str(ctx.args["name"]), body.key)
