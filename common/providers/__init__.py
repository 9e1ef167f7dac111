"""AI providers behind one interface (see base.py), chosen by name.

`sim` needs no key and is the default. Real adapters (gemini, veo, sora) read
their API keys through the secrets cache on every call, so a key the admin
rotates is used within seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common.providers.base import MediaKind, Provider, ProviderNotConfigured
from common.providers.sim import SimProvider
from common.secrets import GEMINI_API_KEY, OPENAI_API_KEY, CachedSecrets

IMAGE_PROVIDERS = ("sim", "gemini")
VIDEO_PROVIDERS = ("sim", "veo", "sora")


class ProviderRegistry:
    """Builds each provider once, lazily; which one serves a kind is a setting."""

    def __init__(
        self, *, secrets: CachedSecrets, sim_duration_s: float, work_dir: Path, options: Callable[[], dict[str, Any]]
    ) -> None:
        self._secrets = secrets
        self._sim_duration_s = sim_duration_s
        self._work_dir = work_dir
        self._options = options  # image_provider, video_provider, *_model, *_base_url; may change at run time
        self._built: dict[tuple[str, str], Provider] = {}
        self._lock = threading.Lock()

    def name_for(self, kind: MediaKind) -> str:
        name = str(self._options().get(f"{kind.value}_provider") or "sim")
        allowed = IMAGE_PROVIDERS if kind is MediaKind.IMAGE else VIDEO_PROVIDERS
        return name if name in allowed else "sim"

    def get(self, name: str) -> Provider:
        """The provider `name` as currently configured; a changed model or base URL builds a new one."""
        opts = self._options()
        key = (name, repr(sorted((k, str(v)) for k, v in opts.items())))
        with self._lock:
            if key not in self._built:
                self._built[key] = self._build(name, opts)
            return self._built[key]

    def _build(self, name: str, opts: dict[str, Any]) -> Provider:
        if name == "sim":
            return SimProvider(duration_s=self._sim_duration_s, work_dir=self._work_dir)
        if name == "gemini":
            from common.providers.gemini import GeminiImageProvider

            return GeminiImageProvider(  # type: ignore[no-any-return]
                api_key=lambda: self._secrets.get(GEMINI_API_KEY),
                base_url=opts.get("gemini_base_url") or None,
                model=str(opts.get("image_model") or "gemini-2.5-flash-image"),
            )
        if name == "veo":
            from common.providers.veo import VeoVideoProvider

            return VeoVideoProvider(  # type: ignore[no-any-return]
                api_key=lambda: self._secrets.get(GEMINI_API_KEY),
                base_url=opts.get("gemini_base_url") or None,
                model=str(opts.get("veo_model") or "veo-3.1-generate-preview"),
            )
        if name == "sora":
            from common.providers.openai_video import OpenAIVideoProvider

            return OpenAIVideoProvider(  # type: ignore[no-any-return]
                api_key=lambda: self._secrets.get(OPENAI_API_KEY),
                base_url=opts.get("openai_base_url") or None,
                model=str(opts.get("sora_model") or "sora-2"),
            )
        raise ProviderNotConfigured(detail=f"unknown provider {name}")
