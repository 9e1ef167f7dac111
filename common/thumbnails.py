"""Small previews made by the worker when a task completes: JPEG for images, a poster frame for videos."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

from common.media_probe import ffmpeg_exe

THUMB_MAX = 480


def image_thumbnail(data: bytes) -> bytes:
    """JPEG preview at most THUMB_MAX px on its longer side.

    Downscaled before the colour conversion, on the decoder's own scale where
    the format has one (JPEG: `thumbnail` sets `draft`, decoding at 1/2..1/8),
    so a large image is never converted at full size. Palette and 1-bit images
    are converted first, since Pillow resizes those with nearest-neighbour.
    """
    with Image.open(io.BytesIO(data)) as source:
        img: Image.Image = source
        if img.mode in ("1", "P", "PA"):
            img = img.convert("RGBA" if "transparency" in img.info or img.mode == "PA" else "RGB")
        img.thumbnail((THUMB_MAX, THUMB_MAX))
        if img.mode != "RGB":
            img = img.convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=82, optimize=True, progressive=True)
        return buf.getvalue()


def video_poster(data: bytes, *, at_s: float = 0.5) -> bytes:
    """First frame at `at_s` (or the very first one for shorter clips), scaled to THUMB_MAX."""
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.mp4", Path(tmp) / "poster.jpg"
        src.write_bytes(data)
        for seek in (at_s, 0.0):
            cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-ss", str(seek), "-i", str(src),
                   "-frames:v", "1", "-vf", f"scale='min({THUMB_MAX},iw)':-2", "-q:v", "4", str(out)]
            subprocess.run(cmd, capture_output=True, timeout=60, check=False)
            if out.exists() and out.stat().st_size:
                return out.read_bytes()
    raise ValueError("could not extract a poster frame")
