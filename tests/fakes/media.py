"""Real media for the fakes: PNGs from Pillow, an H.264 MP4 from the bundled ffmpeg."""

from __future__ import annotations

import functools
import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image

MP4_WIDTH, MP4_HEIGHT, MP4_SECONDS = 320, 180, 1.0


@functools.cache
def png_bytes(width: int = 64, height: int = 64, color: tuple[int, int, int] = (40, 200, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


@functools.cache
def mp4_bytes() -> bytes:
    """A 1 s 320x180 test-pattern MP4, made once per test process."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    encoders = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True).stdout
    codec = ["-c:v", "libx264", "-pix_fmt", "yuv420p"] if " libx264 " in encoders else ["-c:v", "mpeg4"]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "clip.mp4"
        subprocess.run(
            [
                ffmpeg,
                "-hide_banner",
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                f"testsrc=size={MP4_WIDTH}x{MP4_HEIGHT}:rate=24",
                "-t",
                str(MP4_SECONDS),
                *codec,
                "-movflags",
                "+faststart",
                str(target),
            ],
            check=True,
        )
        return target.read_bytes()


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size
