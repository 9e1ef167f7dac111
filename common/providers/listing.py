"""The providers' own model lists and a live key check, through their official SDKs.

- Gemini API: `genai.Client(...).models.list()` → `GET /v1beta/models` (paged
  with `pageToken`); a model's `supported_actions` (the API's
  `supportedGenerationMethods`) tell what it is for: `predictLongRunning` →
  video (Veo), `generateContent` → image when the id names an image model,
  else chat.
- OpenAI-style API: `OpenAI(...).models.list()` → `GET /v1/models`; `sora*`
  ids make video.

Listing models needs a valid key, so it is also the key check: cheap, free of
charge, and it proves the key, the base URL and the network path together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.providers._http_errors import map_google_error, map_openai_error
from common.providers.base import ProviderError
from common.providers.gemini import GEMINI_API_VERSION

VENDORS = ("gemini", "openai")


@dataclass(frozen=True)
class ListedModel:
    """One model from a vendor's own model list: its `id`, `display_name`, and which of our `kinds` (image/video/chat) it serves."""
    id: str
    display_name: str
    kinds: tuple[str, ...]  # "image" | "video" | "chat"; empty for models this platform cannot use


def list_models(vendor: str, *, api_key: str, base_url: str | None = None, timeout_s: float = 15.0,
                vertex: dict[str, Any] | None = None) -> list[ListedModel]:
    """The models `vendor` ("gemini" or "openai") offers to `api_key`, sorted by id.

    `vertex`: Vertex AI mode for Gemini (`{"project", "location", "credentials"?}`), no key.
    Raises ProviderError (ProviderAuthError for a refused key) and ValueError for another vendor."""
    if vendor == "gemini":
        return _gemini(api_key, base_url, timeout_s, vertex)
    if vendor == "openai":
        return _openai(api_key, base_url, timeout_s)
    raise ValueError(f"unknown vendor {vendor!r}")


def check_key(vendor: str, *, api_key: str, base_url: str | None = None,
              vertex: dict[str, Any] | None = None) -> tuple[bool, str]:
    """(ok, message): a live check of a key by listing the vendor's models with it."""
    try:
        models = list_models(vendor, api_key=api_key, base_url=base_url, vertex=vertex)
    except ProviderError as exc:
        return False, exc.message
    usable = sum(1 for m in models if m.kinds)
    return True, f"The key works: {len(models)} models available, {usable} usable here."


def _gemini(api_key: str, base_url: str | None, timeout_s: float, vertex: dict[str, Any] | None) -> list[ListedModel]:
    from google import genai
    from google.genai import types

    options = types.HttpOptions(base_url=base_url or None, timeout=round(timeout_s * 1000),
                                retry_options=types.HttpRetryOptions(attempts=1),
                                api_version=None if vertex else GEMINI_API_VERSION)
    try:
        if vertex:
            client = genai.Client(vertexai=True, project=vertex["project"], location=vertex["location"],
                                  credentials=vertex.get("credentials"), http_options=options)
        else:
            client = genai.Client(vertexai=False, api_key=api_key, http_options=options)
        models = list(client.models.list(config={"page_size": 100}))
    except Exception as exc:
        raise map_google_error(exc) from exc
    out = []
    for m in models:
        model_id = str(m.name or "").removeprefix("publishers/google/").removeprefix("models/")
        actions = set(m.supported_actions or ())
        kinds: tuple[str, ...] = ()
        if "predictLongRunning" in actions or model_id.startswith("veo"):
            kinds = ("video",)
        elif "generateContent" in actions or (vertex and model_id.startswith("gemini")):
            kinds = ("image",) if "image" in model_id else ("chat",)
        out.append(ListedModel(id=model_id, display_name=str(m.display_name or model_id), kinds=kinds))
    return sorted(out, key=lambda m: m.id)


def _openai(api_key: str, base_url: str | None, timeout_s: float) -> list[ListedModel]:
    import openai

    client = openai.OpenAI(api_key=api_key, base_url=base_url or None, timeout=timeout_s, max_retries=0)
    try:
        models = list(client.models.list())
    except Exception as exc:
        raise map_openai_error(exc) from exc
    return sorted((ListedModel(id=m.id, display_name=m.id, kinds=("video",) if m.id.startswith("sora") else ())
                   for m in models), key=lambda m: m.id)
