"""Billing: being built (see functions/billing.py)."""

from __future__ import annotations

from typing import Any


class BillingService:
    @classmethod
    def from_services(cls, svc: Any) -> BillingService:
        raise NotImplementedError
