"""Chat: being built (see functions/chat.py)."""

from __future__ import annotations

from typing import Any


class ChatService:
    @classmethod
    def from_services(cls, svc: Any) -> ChatService:
        raise NotImplementedError
