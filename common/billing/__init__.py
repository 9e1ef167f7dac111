"""Billing: credit packages, orders, Stripe Checkout (or a local sandbox), webhook fulfilment, refunds.

service.py (the money rules), orders.py (the order state machine as a table),
stripe_gateway.py (the official `stripe` SDK), sandbox.py + templates/ (the
local checkout page, Jinja2).
"""

from common.billing.service import DEFAULT_PACKAGES, BillingConfig, BillingService
from common.billing.stripe_gateway import STRIPE_API_BASE, WEBHOOK_TOLERANCE_S, BadSignature, StripeGateway

__all__ = ["DEFAULT_PACKAGES", "STRIPE_API_BASE", "WEBHOOK_TOLERANCE_S", "BadSignature", "BillingConfig",
           "BillingService", "StripeGateway"]
