"""The provider catalogue: which providers serve each kind, their default models, which API key each reads.

This is the one owner of these facts. The pydantic literals (admin settings),
the registry's choices, the admin panel's choices (through openapi.json) and
the key metadata all derive from here.
"""

from __future__ import annotations

from typing import Literal, get_args

ImageProviderName = Literal["sim", "gemini"]
VideoProviderName = Literal["sim", "veo", "sora"]
ChatProviderName = Literal["sim", "gemini"]
# How Gemini and Veo are reached: the Gemini API with an API key, or Vertex AI with the service account (ADC).
GeminiMode = Literal["api_key", "vertex"]

IMAGE_PROVIDERS: tuple[str, ...] = get_args(ImageProviderName)
VIDEO_PROVIDERS: tuple[str, ...] = get_args(VideoProviderName)
CHAT_PROVIDERS: tuple[str, ...] = get_args(ChatProviderName)

# The vendor whose API key a provider reads ("gemini" → the `gemini-api-key` secret); sim needs none.
API_KEY_VENDOR: dict[str, str] = {"gemini": "gemini", "veo": "gemini", "sora": "openai"}
API_KEY_VENDORS: tuple[str, ...] = ("gemini", "openai")

DEFAULT_IMAGE_MODEL = "gemini-3-pro-image"  # Nano Banana Pro (ai.google.dev/gemini-api/docs/models, 2026)
DEFAULT_VEO_MODEL = "veo-3.1-generate-preview"
DEFAULT_SORA_MODEL = "sora-2"
DEFAULT_CHAT_MODEL = "gemini-3.1-pro-preview"  # the current Gemini Pro chat model (same page)

# Option names of the `providers` settings document (admin panel) and of the environment defaults.
PROVIDER_OPTIONS: tuple[str, ...] = (
    "image_provider", "video_provider", "chat_provider", "image_model", "veo_model", "sora_model", "chat_model",
    "gemini_base_url", "openai_base_url", "gemini_mode", "vertex_project", "vertex_location",
)


def allowed(kind: str) -> tuple[str, ...]:
    """The provider names that may serve `kind` ("image", "video" or "chat"). Raises KeyError for another kind."""
    return {"image": IMAGE_PROVIDERS, "video": VIDEO_PROVIDERS, "chat": CHAT_PROVIDERS}[kind]
