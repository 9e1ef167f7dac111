"""The prompt enhancer: the chat model rewrites a short prompt into a richer one (one chat unit).

The chat unit is charged like a chat message (quota first, then credits,
keyed by a fresh id) and given back when the model fails or says nothing.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Literal

from bson import ObjectId

from common import clock
from common.errors import AppError, InvalidRequest, ServiceUnavailable
from common.models import MAX_PROMPT
from common.providers.base import ProviderError, SafetyRefusal

if TYPE_CHECKING:
    from common.runtime import Services

log = logging.getLogger(__name__)

SYSTEM_PROMPTS: dict[str, str] = {
    "image": (
        "You rewrite prompts for an image generation model. Keep the user's subject and intent, and add concrete "
        "detail: composition, lighting, style, lens, colour palette, mood. One paragraph, at most 80 words, in the "
        "user's language. Answer with the rewritten prompt only, no preamble and no quotes."
    ),
    "video": (
        "You rewrite prompts for a video generation model. Keep the user's subject and intent, and add concrete "
        "detail: the action over time, camera movement, shot type, lighting, style, sound. One paragraph, at most "
        "80 words, in the user's language. Answer with the rewritten prompt only, no preamble and no quotes."
    ),
}

_SIM_STYLE = {
    "image": "highly detailed, cinematic composition, volumetric neon rim light, shallow depth of field, 35 mm lens, "
             "rich cyan and magenta palette",
    "video": "slow dolly-in, then a gentle orbit; volumetric neon light, light rain, shallow depth of field, "
             "cinematic 24 fps, ambient synth hum",
}


def sim_enhance(prompt: str, kind: str) -> str:
    """The `sim` chat provider's rewrite: deterministic, no network."""
    base = " ".join(prompt.split()).rstrip(" .,;")
    return f"{base}, {_SIM_STYLE[kind]}"


QUOTES = "\"' \u201c\u201d\u2018\u2019"  # straight and curly quotes a model may wrap its answer in


def _clean(text: str) -> str:
    text = " ".join(text.split()).strip()
    text = re.sub(r'^(?:here(?:\'s| is) [^:]*:\s*)', "", text, flags=re.IGNORECASE)
    return text.strip(QUOTES)[:MAX_PROMPT]


def enhance(svc: Services, *, user_id: str, prompt: str, kind: Literal["image", "video"]) -> str:
    """A richer `prompt` for `kind`. 402/429 like chat when no unit is left; 503 when the model is down."""
    charge_id = f"enhance-{ObjectId()}"
    charge = svc.accounting.charge_for_task(user_id=user_id, kind="chat", task_id=charge_id)
    try:
        provider = svc.providers.chat()
        if provider.name == "sim":
            text = sim_enhance(prompt, kind)
        else:
            message = f"{SYSTEM_PROMPTS[kind]}\n\nPrompt:\n{prompt}"
            text = "".join(provider.stream_text([], message))
        result = _clean(text)
        if not result:
            raise ServiceUnavailable("The model gave no rewrite. Please try again.")
    except (ProviderError, AppError) as exc:
        svc.accounting.refund_task(user_id=user_id, kind="chat", task_id=charge_id, charge=charge, created_at=clock.now())
        if isinstance(exc, SafetyRefusal):
            raise InvalidRequest(exc.message, code="safety_refusal") from None
        if isinstance(exc, ProviderError):
            log.warning("prompt enhance failed: %s", exc.detail or exc.code)
            raise ServiceUnavailable(exc.message) from None
        raise
    except Exception:
        svc.accounting.refund_task(user_id=user_id, kind="chat", task_id=charge_id, charge=charge, created_at=clock.now())
        raise
    return result
