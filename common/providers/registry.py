"""Builds the configured provider for each kind, once per configuration.

Which provider serves a kind, its model and base URL are options read on every
call (`options()`: environment defaults overridden by the admin panel's
`providers` settings), so a change applies within seconds. API keys are read
through `api_key(vendor)` on every provider call, so a rotated key is used at
once. Nothing here knows where keys are stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.clock import SYSTEM_CLOCK, Clock
from common.providers.base import ChatProvider, MediaKind, Provider, ProviderNotConfigured
from common.providers.catalogue import (
    API_KEY_VENDOR,
    DEFAULT_CHAT_MODEL,
    DEFAULT_IMAGE_MODEL,
    DEFAULT_SORA_MODEL,
    DEFAULT_VEO_MODEL,
    allowed,
)

log = logging.getLogger(__name__)

ApiKeyLookup = Callable[[str], "str | None"]


class ProviderRegistry:
    """Builds each provider once, lazily; which one serves a kind is a setting."""

    def __init__(
        self,
        *,
        api_key: ApiKeyLookup,
        sim_duration_s: float,
        work_dir: Path,
        options: Callable[[], dict[str, Any]],
        sim_chat_delay_s: float = 0.0,
        vertex_credentials: Callable[[], Any] = lambda: None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        """`api_key(vendor)` returns the current key of "gemini"/"openai" (None when unset);
        `options()` the provider options (catalogue.PROVIDER_OPTIONS); `sim_chat_delay_s` seconds per sim chat word."""
        self._api_key = api_key
        self._sim_duration_s = sim_duration_s
        self._clock = clock  # the sim provider's notion of elapsed time
        self._work_dir = work_dir
        self._options = options
        self._sim_chat_delay_s = sim_chat_delay_s
        self._vertex_credentials = vertex_credentials
        self._built: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def name_for(self, kind: MediaKind | str) -> str:
        """The configured provider name for `kind` ("image", "video", "chat"); an unknown name falls back to sim."""
        kind_name = kind.value if isinstance(kind, MediaKind) else kind
        name = str(self._options().get(f"{kind_name}_provider") or "sim")
        if name not in allowed(kind_name):
            log.warning("unknown %s provider %r; using sim", kind_name, name)
            return "sim"
        return name

    def get(self, name: str) -> Provider:
        """The media provider `name` as currently configured; a changed model or base URL builds a new one.
        Raises ProviderNotConfigured for a name that is not in the catalogue."""
        return self._cached(("media", name), lambda opts: self._build(name, opts))  # type: ignore[no-any-return]

    def chat(self) -> ChatProvider:
        """The configured chat provider (sim or gemini), built once per configuration."""
        name = self.name_for("chat")
        return self._cached(("chat", name), lambda opts: self._build_chat(name, opts))  # type: ignore[no-any-return]

    def _cached(self, key: tuple[str, str], build: Callable[[dict[str, Any]], Any]) -> Any:
        opts = self._options()
        full = (key[0] + ":" + key[1], repr(sorted((k, str(v)) for k, v in opts.items())))
        with self._lock:
            if full not in self._built:
                self._built[full] = build(opts)
            return self._built[full]

    def _vertex(self, opts: dict[str, Any]) -> dict[str, Any] | None:
        """Vertex AI options for the Gemini/Veo clients when `gemini_mode` is "vertex" (no API key then)."""
        if opts.get("gemini_mode") != "vertex":
            return None
        return {"project": str(opts.get("vertex_project") or ""), "location": str(opts.get("vertex_location") or "us-central1"),
                "credentials": self._vertex_credentials()}

    def _key_for(self, provider: str) -> Callable[[], str | None]:
        vendor = API_KEY_VENDOR[provider]
        return lambda: self._api_key(vendor)

    def _build_chat(self, name: str, opts: dict[str, Any]) -> ChatProvider:
        if name == "gemini":
            from common.providers.gemini import GeminiChat

            return GeminiChat(  # type: ignore[no-any-return]
                api_key=self._key_for("gemini"), base_url=opts.get("gemini_base_url") or None,
                model=str(opts.get("chat_model") or DEFAULT_CHAT_MODEL), vertex=self._vertex(opts),
            )
        from common.providers.sim_chat import SimChat

        return SimChat(chunk_delay_s=self._sim_chat_delay_s)

    def _build(self, name: str, opts: dict[str, Any]) -> Provider:
        if name == "sim":
            from common.providers.sim import SimProvider

            return SimProvider(duration_s=self._sim_duration_s, work_dir=self._work_dir, clock=self._clock)
        if name == "gemini":
            from common.providers.gemini import GeminiImageProvider

            return GeminiImageProvider(  # type: ignore[no-any-return]
                api_key=self._key_for("gemini"),
                base_url=opts.get("gemini_base_url") or None,
                model=str(opts.get("image_model") or DEFAULT_IMAGE_MODEL),
                vertex=self._vertex(opts),
            )
        if name == "veo":
            from common.providers.veo import VeoVideoProvider

            return VeoVideoProvider(  # type: ignore[no-any-return]
                api_key=self._key_for("veo"),
                base_url=opts.get("gemini_base_url") or None,
                model=str(opts.get("veo_model") or DEFAULT_VEO_MODEL),
                vertex=self._vertex(opts),
            )
        if name == "sora":
            from common.providers.openai_video import OpenAIVideoProvider

            return OpenAIVideoProvider(  # type: ignore[no-any-return]
                api_key=self._key_for("sora"),
                base_url=opts.get("openai_base_url") or None,
                model=str(opts.get("sora_model") or DEFAULT_SORA_MODEL),
            )
        raise ProviderNotConfigured(detail=f"unknown provider {name}")
