"""The `sim` chat provider: no key, no network, a reply streamed word by word."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator, Sequence

from PIL import Image

from common.providers.base import ProviderUnavailable, ReferenceImage, SafetyRefusal


class SimChat:
    """The `sim` assistant: no key, no network, a reply streamed word by word.

    It restates the request, recalls the previous message, describes attached
    images (pixel size, dominant colour) and suggests an image or video prompt.
    Markers, for demos and tests: `[sim:down]` fails before any text (provider
    unavailable), `[sim:unsafe]` is a safety refusal, `[sim:cut]` fails after a
    few words, `[sim:slow]` streams at least 50 ms a word.
    """

    name = "sim"

    def __init__(self, *, chunk_delay_s: float) -> None:
        self._delay_s = chunk_delay_s

    def stream_text(
        self, history: Sequence[tuple[str, str]], message: str, attachments: Sequence[ReferenceImage] = ()
    ) -> Iterator[str]:
        """Words of `sim_reply(...)`; markers in `message` make it fail, refuse or slow down."""
        return self._stream(sim_reply(history, message, attachments), message)

    def _stream(self, reply: str, message: str) -> Iterator[str]:
        # A generator: like the real adapter, failures surface while iterating.
        if "[sim:down]" in message:
            raise ProviderUnavailable(detail="sim: [sim:down] marker")
        if "[sim:unsafe]" in message:
            raise SafetyRefusal(detail="sim: [sim:unsafe] marker")
        delay = max(self._delay_s, 0.05) if "[sim:slow]" in message else self._delay_s
        for i, word in enumerate(re.findall(r"\S+\s*", reply)):
            if "[sim:cut]" in message and i == 5:
                raise ProviderUnavailable(detail="sim: [sim:cut] marker")
            if delay and i:
                time.sleep(delay)
            yield word


_MARKER = re.compile(r"\[sim:[a-z]+\]")
_VIDEO_WORDS = re.compile(r"\b(video|clip|shot|scene|film|movie|animat\w*|footage|trailer)\b", re.IGNORECASE)
_COLOURS = {
    "black": (0, 0, 0), "white": (255, 255, 255), "grey": (128, 128, 128), "red": (210, 40, 40),
    "orange": (240, 140, 30), "yellow": (235, 215, 50), "green": (50, 170, 70), "cyan": (40, 200, 230),
    "blue": (40, 80, 210), "purple": (140, 60, 200), "pink": (240, 120, 180), "brown": (120, 75, 40),
}


def sim_reply(history: Sequence[tuple[str, str]], message: str, attachments: Sequence[ReferenceImage]) -> str:
    """The sim's whole reply: restates the request, recalls the previous user message, describes each
    attached image and suggests an image or video prompt. Deterministic for the same input."""
    request = clip(" ".join(_MARKER.sub("", message).split()), 160) or "something"
    parts = [f"You asked: “{request}”."]
    earlier = [text for role, text in history if role == "user"]
    if earlier:
        previous = clip(" ".join(_MARKER.sub("", earlier[-1]).split()), 80)
        parts.append(f"Building on what you said before (“{previous}”), with {len(history)} earlier messages in mind.")
    colours = []
    for i, image in enumerate(attachments, 1):
        described, colour = describe_image(image)
        colours.append(colour)
        parts.append(f"Image {i} is {described}.")
    kind = "video" if _VIDEO_WORDS.search(request) else "image"
    subject = request.rstrip(" .!?")
    if colours and colours[0]:
        subject += f", in the {colours[0]} tones of your reference"
    style = (
        "cinematic 8-second shot, slow dolly-in, volumetric neon light, shallow depth of field, 16:9"
        if kind == "video" else "detailed illustration, neon-lit cyberpunk palette, soft rim light, 35 mm lens, 1:1"
    )
    parts.append(f"{'An' if kind == 'image' else 'A'} {kind} prompt you could try: “{subject}, {style}”.")
    return " ".join(parts)


def describe_image(image: ReferenceImage) -> tuple[str, str]:
    """('768x432 pixels, mostly cyan (#28c8ff)', 'cyan'), from the bytes themselves."""
    try:
        with Image.open(io.BytesIO(image.data)) as img:
            width, height = img.size
            small = img.convert("RGB").resize((48, 48))
    except (OSError, ValueError, Image.DecompressionBombError):
        return "an image I could not read", ""
    quantized = small.quantize(colors=6)
    counts = quantized.getcolors() or [(1, 0)]
    index = int(max(counts)[1])  # type: ignore[call-overload]
    palette = quantized.getpalette() or [0, 0, 0]
    r, g, b = palette[index * 3: index * 3 + 3]
    name = min(_COLOURS, key=lambda n: sum((a - c) ** 2 for a, c in zip(_COLOURS[n], (r, g, b), strict=True)))
    return f"{width}x{height} pixels, mostly {name} (#{r:02x}{g:02x}{b:02x})", name


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters on a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"
