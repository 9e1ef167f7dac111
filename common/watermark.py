"""The visible watermark (admin setting `watermark: {enabled, text}`), burned in by the worker before storage.

Images: Pillow draws the text bottom-right (white, semi-transparent, on a soft
shadow) and saves in the same format. Videos: the same text is drawn once by
Pillow into a transparent PNG (with the font Pillow ships, so no system font
or freetype-enabled ffmpeg is needed) and laid over every frame with ffmpeg's
`overlay` filter (the ffmpeg binary from `imageio-ffmpeg`); audio is copied.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

MAX_TEXT = 60


def _overlay(text: str, width: int, height: int) -> Image.Image:
    """A transparent RGBA layer of `width`x`height` with `text` in the bottom-right corner."""
    layer = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    size = max(12, min(width, height) // 24)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    margin = max(8, size // 2)
    x, y = width - (right - left) - margin, height - (bottom - top) - margin - top
    draw.text((x + 1, y + 1), text, font=font, fill=(0, 0, 0, 140))
    draw.text((x, y), text, font=font, fill=(255, 255, 255, 190))
    return layer


def watermark_image(data: bytes, text: str) -> bytes:
    """The image with `text` burned in, in its own format (PNG, JPEG or WebP)."""
    with Image.open(io.BytesIO(data)) as source:
        fmt = source.format or "PNG"
        base = source.convert("RGBA")
    marked = Image.alpha_composite(base, _overlay(text[:MAX_TEXT], *base.size))
    out = io.BytesIO()
    if fmt == "JPEG":
        marked.convert("RGB").save(out, format="JPEG", quality=92)
    else:
        marked.save(out, format=fmt)
    return out.getvalue()


def watermark_video(data: bytes, text: str, *, width: int, height: int) -> bytes:
    """The MP4 with `text` over every frame (H.264, yuv420p, faststart; audio copied)."""
    from common.providers.sim import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        src, mark, out = Path(tmp) / "in.mp4", Path(tmp) / "mark.png", Path(tmp) / "out.mp4"
        src.write_bytes(data)
        _overlay(text[:MAX_TEXT], width, height).save(mark)
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), "-i", str(mark),
               "-filter_complex", f"[1:v]scale={width}:{height}[m];[0:v][m]overlay=0:0:format=auto,format=yuv420p[v]",
               "-map", "[v]", "-map", "0:a?", "-c:v", "libx264", "-preset", "veryfast", "-c:a", "copy",
               "-movflags", "+faststart", str(out)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        return out.read_bytes()
