"""Admin: being built (see functions/admin.py)."""

from __future__ import annotations

from typing import Any


class AdminService:
    @classmethod
    def from_services(cls, svc: Any) -> AdminService:
        raise NotImplementedError
