"""ffmpeg and MP4 facts shared by the sim and Veo/Sora providers and the worker's thumbnails.

`ffmpeg_exe` is the binary imageio-ffmpeg ships (no system install); `mp4_facts`
reads width, height and duration from the MP4 boxes themselves (no ffprobe);
`video_frame` extracts the first or last frame.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from pathlib import Path


def ffmpeg_exe() -> str:
    """The path of the ffmpeg binary that the imageio-ffmpeg package ships."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def video_frame(video: bytes, *, last: bool) -> bytes:
    """The first or last frame of an MP4, as PNG bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        src, frame = Path(tmp) / "src.mp4", Path(tmp) / "frame.png"
        src.write_bytes(video)
        seek = ["-sseof", "-0.25"] if last else []
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *seek, "-i", str(src),
               "-update", "1", "-frames:v", "1" if not last else "100", str(frame)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=60)
        return frame.read_bytes()


def is_mp4(data: bytes) -> bool:
    """True when `data` is an ISO base media file (MP4): an `ftyp` box first, or at least a `moov` box
    (ISO/IEC 14496-12). An HTML error page or an empty body is not."""
    return (len(data) >= 8 and data[4:8] == b"ftyp") or _child(data, 0, len(data), b"moov") is not None


def mp4_facts(data: bytes) -> tuple[int | None, int | None, float | None]:
    """Width, height and duration read from an MP4's `moov` box; Nones where it cannot tell."""
    moov = _child(data, 0, len(data), b"moov")
    if moov is None:
        return None, None, None
    duration = None
    mvhd = _child(data, *moov, b"mvhd")
    if mvhd is not None:
        start = mvhd[0]
        if data[start] == 1:
            timescale, length = struct.unpack_from(">IQ", data, start + 20)
        else:
            timescale, length = struct.unpack_from(">II", data, start + 12)
        duration = round(length / timescale, 3) if timescale else None
    for trak in _children(data, *moov, b"trak"):
        tkhd = _child(data, *trak, b"tkhd")
        if tkhd is not None and tkhd[1] - tkhd[0] >= 8:
            width, height = struct.unpack_from(">II", data, tkhd[1] - 8)
            if width and height:
                return width >> 16, height >> 16, duration
    return None, None, duration


def _children(data: bytes, start: int, end: int, kind: bytes) -> list[tuple[int, int]]:
    """(payload start, payload end) of the boxes of `kind` directly inside [start, end)."""
    found = []
    pos = start
    while pos + 8 <= end:
        size, box = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= end:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            break
        if box == kind:
            found.append((pos + header, pos + size))
        pos += size
    return found


def _child(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    """The first box of `kind` directly inside [start, end), or None."""
    boxes = _children(data, start, end, kind)
    return boxes[0] if boxes else None
