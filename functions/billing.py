"""Function `billing`: packages, checkout, the Stripe webhook, own orders, and the local sandbox checkout."""

from __future__ import annotations

import html
import logging

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
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=200)


@api.route(
    "/api/billing/packages", methods=["GET"], auth="public", response=PackageList,
    summary="Credit packages on sale (public)",
)
def packages(ctx: Ctx) -> PackageList:
    return PackageList(items=ctx.svc.billing.packages())


@api.route(
    "/api/billing/checkout", methods=["POST"], body=CheckoutRequest, response=CheckoutResponse, status=201,
    summary="Create a PENDING order and a checkout (Stripe Checkout, or the local sandbox without a Stripe key)",
)
def checkout(ctx: Ctx) -> tuple[CheckoutResponse, int]:
    body = ctx.body(CheckoutRequest)
    assert ctx.user is not None
    return ctx.svc.billing.checkout(user=ctx.user, package_id=body.package_id, origin=ctx.request.headers.get("Origin")), 201


@api.route(
    "/api/billing/webhook", methods=["POST"], auth="public", response=WebhookAck,
    summary="Stripe events (Stripe-Signature checked); fulfils each order once",
)
def webhook(ctx: Ctx) -> WebhookAck:
    payload = ctx.request.get_data(cache=False)
    outcome = ctx.svc.billing.handle_webhook(payload=payload, signature_header=ctx.request.headers.get("Stripe-Signature", ""))
    log.info("stripe webhook", extra={"outcome": outcome})
    return WebhookAck(outcome=outcome)


@api.route(
    "/api/billing/orders", methods=["GET"], query=OrderQuery, response=OrderPage, summary="Own orders, newest first",
)
def orders(ctx: Ctx) -> OrderPage:
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
    try:
        order = ctx.svc.billing.sandbox_order(ctx.args["order_id"], _sig(ctx))
    except AppError as exc:
        return _page("Checkout unavailable", f"<p>{html.escape(exc.message)}</p>", status=exc.status)
    oid = html.escape(order["_id"])
    sig = html.escape(_sig(ctx))
    price = f"{order['price_cents'] / 100:.2f} {html.escape(order['currency'].upper())}"
    if order["status"] != "PENDING":
        actions = f'<p class="muted">This order is {html.escape(order["status"].lower())}.</p>' \
                  f'<a class="btn" href="{html.escape(_account_url(ctx, order["_id"]))}">Back to your account</a>'
    else:
        actions = (
            f'<form method="post" action="/api/billing/sandbox/{oid}/pay?sig={sig}">'
            f'<button class="btn pay" type="submit" data-testid="sandbox-pay">Pay {price}</button></form>'
            f'<form method="post" action="/api/billing/sandbox/{oid}/cancel?sig={sig}">'
            f'<button class="btn" type="submit" data-testid="sandbox-cancel">Cancel</button></form>'
        )
    body = (
        f'<p class="muted">Sandbox checkout — no real money moves. Configure a Stripe key in the admin panel for real payments.</p>'
        f'<div class="line"><span>{html.escape(str(order.get("package_name") or order["package_id"]))}</span>'
        f'<strong>{int(order["credits"])} credits</strong></div>'
        f'<div class="line"><span>Total</span><strong data-testid="sandbox-price">{price}</strong></div>'
        f'<div class="actions">{actions}</div>'
    )
    return _page("Sora Studio · Checkout", body)


@api.route(
    "/api/billing/sandbox/<order_id>/pay", methods=["POST"], auth="public", status=303,
    summary="Sandbox: pay the order, then back to /account",
)
def sandbox_pay(ctx: Ctx) -> flask.Response:
    return _sandbox_action(ctx, "pay")


@api.route(
    "/api/billing/sandbox/<order_id>/cancel", methods=["POST"], auth="public", status=303,
    summary="Sandbox: cancel the order, then back to /account",
)
def sandbox_cancel(ctx: Ctx) -> flask.Response:
    return _sandbox_action(ctx, "cancel")


def _sandbox_action(ctx: Ctx, action: str) -> flask.Response:
    billing = ctx.svc.billing
    try:
        order = (billing.sandbox_pay if action == "pay" else billing.sandbox_cancel)(ctx.args["order_id"], _sig(ctx))
    except AppError as exc:
        if "text/html" not in ctx.request.headers.get("Accept", ""):
            raise
        return _page("Checkout", f"<p>{html.escape(exc.message)}</p>", status=exc.status)
    suffix = "" if action == "pay" else "&canceled=1"
    response = flask.Response(status=303)
    response.headers["Location"] = _account_url(ctx, order["_id"]) + suffix
    return response


def _account_url(ctx: Ctx, order_id: str) -> str:
    return f"{ctx.svc.billing.config.public_base_url}/account?order={order_id}"


_STYLE = """
*{box-sizing:border-box}body{margin:0;padding:16px;min-height:100vh;display:grid;place-items:center;background:radial-gradient(circle at 20% 10%,#1e1b4b,#020617 60%);
color:#e2e8f0;font:15px/1.5 system-ui,-apple-system,Segoe UI,sans-serif}
main{width:min(420px,100%);padding:clamp(18px,6vw,28px);border-radius:20px;background:rgba(15,23,42,.72);border:1px solid rgba(148,163,184,.18);
box-shadow:0 0 40px rgba(34,211,238,.12);backdrop-filter:blur(12px)}
h1{margin:0 0 8px;font-size:20px;background:linear-gradient(90deg,#22d3ee,#e879f9);-webkit-background-clip:text;color:transparent}
.muted{color:#94a3b8;font-size:13px}.line{display:flex;justify-content:space-between;gap:12px;padding:10px 0;border-top:1px solid rgba(148,163,184,.12)}
strong{color:#22d3ee;font-family:ui-monospace,monospace}.actions{display:flex;gap:10px;margin-top:18px;flex-wrap:wrap}
.btn{display:inline-block;padding:10px 18px;border-radius:12px;border:1px solid rgba(148,163,184,.3);background:rgba(255,255,255,.04);
color:#e2e8f0;font:inherit;cursor:pointer;text-decoration:none}.btn:hover{background:rgba(255,255,255,.1)}
.pay{background:linear-gradient(90deg,#0891b2,#a21caf);border:0;color:#fff;box-shadow:0 0 18px rgba(232,121,249,.35)}
"""


def _page(title: str, body: str, *, status: int = 200) -> flask.Response:
    doc = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )
    response = flask.Response(doc, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
