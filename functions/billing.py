"""Function `billing`: packages, checkout, the Stripe webhook, own orders, and the local sandbox checkout."""

from __future__ import annotations

import logging
from typing import Any

import flask
from pydantic import BaseModel, ConfigDict, Field

from common.errors import AppError
from common.http import Api, Ctx
from common.models.billing import CheckoutRequest, CheckoutResponse, OrderPage, PackageList, WebhookAck
from common.runtime import Services

log = logging.getLogger(__name__)

api = Api("billing")

# Start-up work done before the first request (main.py): modules its first request imports, then clients.
PRELOAD = ("common.auth", "common.billing", "pymongo")


def warm(svc: Services) -> None:
    """Build this function's clients at instance start."""
    svc.warm("auth")
    svc.jwt_key()


class OrderQuery(BaseModel):
    """Query parameters of GET /api/billing/orders: `limit` 1..100 items per page (default 20), `cursor` from the previous page's next_cursor; unknown
    parameters are ignored.
    """
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


@api.route(
    "/api/billing/packages", methods=["GET"], auth="public", response=PackageList,
    summary="Credit packages on sale (public)",
)
def packages(ctx: Ctx) -> PackageList:
    """GET /api/billing/packages (public): the credit packages on sale, as configured by the admin."""
    return PackageList(items=ctx.svc.billing.packages())


@api.route(
    "/api/billing/checkout", methods=["POST"], body=CheckoutRequest, response=CheckoutResponse, status=201,
    summary="Create a PENDING order and a checkout (Stripe Checkout, or the local sandbox without a Stripe key)",
    idempotent=True,
)
def checkout(ctx: Ctx) -> tuple[CheckoutResponse, int]:
    """POST /api/billing/checkout: create a PENDING order for `package_id` and answer 201 {order, checkout_url}
    (Stripe Checkout, or the local sandbox). 400 for an unknown package; Idempotency-Key supported.
    """
    body = ctx.body(CheckoutRequest)
    assert ctx.user is not None
    return ctx.svc.billing.checkout(user=ctx.user, package_id=body.package_id, origin=ctx.request.headers.get("Origin")), 201


@api.route(
    "/api/billing/webhook", methods=["POST"], auth="public", response=WebhookAck,
    summary="Stripe events (Stripe-Signature checked); fulfils each order once",
)
def webhook(ctx: Ctx) -> WebhookAck:
    """POST /api/billing/webhook: a Stripe event; the Stripe-Signature header is verified with the SDK
    (stripe.Webhook.construct_event) and each paid order is fulfilled exactly once. 400 for a bad signature or payload.
    """
    payload = ctx.request.get_data(cache=False)
    outcome = ctx.svc.billing.handle_webhook(payload=payload, signature_header=ctx.request.headers.get("Stripe-Signature", ""))
    log.info("stripe webhook", extra={"outcome": outcome})
    return WebhookAck(outcome=outcome)


@api.route(
    "/api/billing/orders", methods=["GET"], query=OrderQuery, response=OrderPage, summary="Own orders, newest first",
)
def orders(ctx: Ctx) -> OrderPage:
    """GET /api/billing/orders: one page of the caller's own orders, newest first."""
    q = ctx.query(OrderQuery)
    docs, cursor = ctx.svc.billing.own_orders(user_id=ctx.user_id, limit=q.limit, cursor=q.cursor)
    return OrderPage(items=[ctx.svc.billing.to_api(d) for d in docs], next_cursor=cursor)


# ---- the local sandbox checkout (no Stripe key; never in production) ----------------------


def _sig(ctx: Ctx) -> str:
    return str(ctx.request.args.get("sig") or ctx.request.form.get("sig") or "")[:128]


@api.route(
    "/api/billing/sandbox/<order_id>", methods=["GET"], auth="public",
    summary="Local sandbox checkout page (HTML; signed link)", produces=("text/html",),
)
def sandbox_page(ctx: Ctx) -> flask.Response:
    """The sandbox checkout page of a signed link (HTML, common/billing/templates/sandbox.html)."""
    try:
        order = ctx.svc.billing.sandbox_order(ctx.args["order_id"], _sig(ctx))
    except AppError as exc:
        if "text/html" not in ctx.request.headers.get("Accept", ""):
            raise  # API clients get the JSON error shape, like every other /api/ answer
        return _page(render_page(title="Checkout unavailable", message=exc.message), status=exc.status)
    return _page(render_page(title="Sora Studio · Checkout", order=order, sig=_sig(ctx),
                             account_url=_account_url(ctx, order["_id"])))


@api.route(
    "/api/billing/sandbox/<order_id>/pay", methods=["POST"], auth="public", status=303,
    summary="Sandbox: pay the order, then back to /account",
)
def sandbox_pay(ctx: Ctx) -> flask.Response:
    """POST /api/billing/sandbox/{id}/pay: pay a sandbox order (signed link), then 303 back to /account;
    the order is fulfilled once, like a Stripe checkout.session.completed.
    """
    return _sandbox_action(ctx, "pay")


@api.route(
    "/api/billing/sandbox/<order_id>/cancel", methods=["POST"], auth="public", status=303,
    summary="Sandbox: cancel the order, then back to /account",
)
def sandbox_cancel(ctx: Ctx) -> flask.Response:
    """POST /api/billing/sandbox/{id}/cancel: cancel a pending sandbox order (signed link), then 303 back to /account."""
    return _sandbox_action(ctx, "cancel")


def _sandbox_action(ctx: Ctx, action: str) -> flask.Response:
    billing = ctx.svc.billing
    try:
        order = (billing.sandbox_pay if action == "pay" else billing.sandbox_cancel)(ctx.args["order_id"], _sig(ctx))
    except AppError as exc:
        if "text/html" not in ctx.request.headers.get("Accept", ""):
            raise
        return _page(render_page(title="Checkout", message=exc.message), status=exc.status)
    suffix = "" if action == "pay" else "&canceled=1"
    response = flask.Response(status=303)
    response.headers["Location"] = _account_url(ctx, order["_id"]) + suffix
    return response


def _account_url(ctx: Ctx, order_id: str) -> str:
    return f"{ctx.svc.billing.config.public_base_url}/account?order={order_id}"


def render_page(**kwargs: Any) -> str:
    """The sandbox checkout page (common.billing.sandbox, imported on use: it loads the billing service)."""
    from common.billing.sandbox import render_page as render

    return render(**kwargs)


def _page(doc: str, *, status: int = 200) -> flask.Response:
    from common.billing.sandbox import PAGE_CSP

    response = flask.Response(doc, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
