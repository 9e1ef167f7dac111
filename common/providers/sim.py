"""The `sim` provider: no key, no network, real media.

It behaves like a long-running provider job: `submit` renders the media to a
work file and returns a job, `poll` reports progress until `SIM_DURATION_S`
has passed, `fetch` hands over the bytes. Images are real PNGs (Pillow) and
videos real H.264 MP4s (the ffmpeg binary that ships inside imageio-ffmpeg),
so storage, Range, thumbnails and players downstream are exercised for real.

Prompts can ask for failures, for demos and tests:
`[sim:unsafe]` → safety refusal; `[sim:down]` → provider unavailable (transient);
`[sim:flaky]` → unavailable on the first poll only.

It takes every creative control, for real: `seed` changes the artwork (same
seed, same prompt: the same media), a last frame ends the video on that image,
a remix renders the new prompt from the source video's first frame, and an
extension appends new footage continuing from the source's last frame to the
whole source (so the result is longer by `duration_s`, the source's frames first).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import subprocess
import tempfile
import threading
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from common.clock import SYSTEM_CLOCK, Clock
from common.media_probe import ffmpeg_exe, video_frame
from common.providers.base import (
    GenerationRequest,
    JobStatus,
    MediaKind,
    MediaResult,
    ProviderUnavailable,
    SafetyRefusal,
)

log = logging.getLogger(__name__)

IMAGE_SIZES = {"1:1": (768, 768), "16:9": (1024, 576), "9:16": (576, 1024), "4:3": (896, 672), "3:4": (672, 896)}
VIDEO_SIZES = {"16:9": (640, 360), "9:16": (360, 640)}
FPS = 24


def _palette(prompt: str) -> list[tuple[int, int, int]]:
    digest = hashlib.sha256(prompt.encode()).digest()
    return [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 18, 3)]


def _seeded(prompt: str, seed: int | None) -> str:
    return prompt if seed is None else f"{prompt}\x00{seed}"


def render_png(prompt: str, aspect_ratio: str, seed: int | None = None) -> tuple[bytes, int, int]:
    """A deterministic neon artwork for the prompt (and seed)."""
    width, height = IMAGE_SIZES.get(aspect_ratio, IMAGE_SIZES["1:1"])
    colors = _palette(_seeded(prompt, seed))
    img = Image.new("RGB", (width, height), (8, 6, 20))
    draw = ImageDraw.Draw(img)
    top, bottom = colors[0], colors[1]
    for y in range(height):
        t = y / max(1, height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(int(top[i] * (1 - t) * 0.5 + bottom[i] * t * 0.5) for i in range(3)))
    digest = hashlib.sha256(("shapes" + _seeded(prompt, seed)).encode()).digest()
    for i in range(12):
        cx, cy = digest[i] / 255 * width, digest[i + 12] / 255 * height
        r: float = 20 + digest[(i + 5) % 32] / 255 * min(width, height) / 4
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=colors[2 + i % 4], width=3)
    font = ImageFont.load_default(size=max(18, width // 32))
    draw.text((24, height - 64), prompt[:60], fill=(230, 250, 255), font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue(), width, height


def render_mp4(prompt: str, aspect_ratio: str, duration_s: int, start_image: bytes | None, out: Path,
               *, seed: int | None = None, end_image: bytes | None = None) -> tuple[int, int]:
    """A real H.264 MP4 (yuv420p, faststart) of `duration_s` seconds; with `end_image`, the last second is that frame."""
    width, height = VIDEO_SIZES.get(aspect_ratio, VIDEO_SIZES["16:9"])
    if end_image is not None and duration_s > 1:
        with tempfile.TemporaryDirectory() as tmp:
            head, tail = Path(tmp) / "head.mp4", Path(tmp) / "tail.mp4"
            render_mp4(prompt, aspect_ratio, duration_s - 1, start_image, head, seed=seed)
            render_still(end_image, aspect_ratio, 1, tail)
            concat_mp4([head, tail], aspect_ratio, out)
        return width, height
    c = _palette(_seeded(prompt, seed))
    hexes = [f"0x{r:02x}{g:02x}{b:02x}" for r, g, b in c[:3]]
    frames = duration_s * FPS
    with tempfile.TemporaryDirectory() as tmp:
        if start_image:
            src = Path(tmp) / "start.png"
            Image.open(io.BytesIO(start_image)).convert("RGB").save(src)
            inputs = ["-loop", "1", "-framerate", str(FPS), "-i", str(src)]
            vf = (
                f"scale={width * 2}:{height * 2}:force_original_aspect_ratio=increase,crop={width * 2}:{height * 2},"
                f"zoompan=z='1+0.15*on/{frames}':d=1:x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)':s={width}x{height}:fps={FPS},"
                "format=yuv420p"
            )
        else:
            inputs = [
                "-f", "lavfi", "-i",
                f"gradients=s={width}x{height}:c0={hexes[0]}:c1={hexes[1]}:c2={hexes[2]}:nb_colors=3:speed=0.03:r={FPS}",
            ]
            vf = "format=yuv420p"
        cmd = [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *inputs, "-t", str(duration_s), "-vf", vf,
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", str(FPS),
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out),
        ]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return width, height


def _encode_args(out: Path) -> list[str]:
    return ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", str(FPS),
            "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(out)]


def render_still(image: bytes, aspect_ratio: str, duration_s: int, out: Path) -> None:
    """`duration_s` seconds of one image, fitted (cover + crop) to the video size."""
    width, height = VIDEO_SIZES.get(aspect_ratio, VIDEO_SIZES["16:9"])
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "still.png"
        Image.open(io.BytesIO(image)).convert("RGB").save(src)
        cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", str(FPS),
               "-i", str(src), "-t", str(duration_s),
               "-vf", f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},setsar=1,format=yuv420p",
               *_encode_args(out)]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def concat_mp4(parts: list[Path], aspect_ratio: str, out: Path) -> None:
    """One MP4 of `parts` in order (re-encoded to one size and frame rate)."""
    width, height = VIDEO_SIZES.get(aspect_ratio, VIDEO_SIZES["16:9"])
    inputs: list[str] = []
    chains = []
    for i, part in enumerate(parts):
        inputs += ["-i", str(part)]
        chains.append(f"[{i}:v]scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},"
                      f"setsar=1,fps={FPS},format=yuv420p[v{i}]")
    graph = ";".join(chains) + ";" + "".join(f"[v{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=1:a=0[out]"
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph,
           "-map", "[out]", *_encode_args(out)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)


class SimProvider:
    """Simulated long-running provider producing real media. Thread-safe."""

    name = "sim"

    def __init__(self, *, duration_s: float, work_dir: Path, clock: Clock = SYSTEM_CLOCK) -> None:
        """`duration_s` seconds a job takes by `clock` (the services' clock; 0: done at once); renders under `work_dir`."""
        self.duration_s = duration_s
        self.clock = clock
        self.work_dir = work_dir
        self._flaky_seen: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, request: GenerationRequest) -> JobStatus:
        """Render a real PNG/MP4 locally (Pillow/ffmpeg) for `request` into the work dir, and report it like a provider job
        that finishes after `duration_s` seconds. Remix starts from the source's first frame, extend from its last.
        """
        job_id = f"sim-{request.task_id or hashlib.sha256(request.prompt.encode()).hexdigest()[:12]}"
        state: dict[str, object] = {
            "submitted_at": self.clock.now().timestamp(),  # Unix seconds, kept in the job state
            "duration_s": self.duration_s,
            "kind": request.kind.value,
            "prompt": request.prompt,
            "aspect_ratio": request.aspect_ratio,
            "video_s": request.duration_s or 4,
            "seed": request.seed,
            "mode": request.mode,
        }
        start = request.start_image.data if request.start_image else None
        end = request.end_image.data if request.end_image else None
        source = request.source_video.data if request.source_video else None
        if request.mode == "remix" and source is not None:
            start = video_frame(source, last=False)  # the new prompt, from where the source began
            source = None
        elif request.mode == "extend" and source is not None:
            start = video_frame(source, last=True)  # continue from where the source ended
        else:
            source = None
        self._render(job_id, state, start, end_image=end, extend=source)
        return self.poll(job_id, state=state)

    def poll(self, job_id: str, *, state: dict[str, object]) -> JobStatus:
        """Progress by elapsed time on the injected clock over `duration_s`. Prompt markers simulate failures: `[sim:unsafe]` a SafetyRefusal,
        `[sim:down]` raises ProviderUnavailable, `[sim:flaky]` raises it once per job.
        """
        prompt = str(state.get("prompt", ""))
        if "[sim:unsafe]" in prompt:
            return JobStatus(job_id, done=True, error=SafetyRefusal(detail="sim unsafe marker"), state=state)
        if "[sim:down]" in prompt:
            raise ProviderUnavailable(detail="sim down marker")
        if "[sim:flaky]" in prompt:
            with self._lock:
                first = job_id not in self._flaky_seen
                self._flaky_seen.add(job_id)
            if first:
                raise ProviderUnavailable(detail="sim flaky marker")
        duration = float(state.get("duration_s", self.duration_s))  # type: ignore[arg-type]
        elapsed = self.clock.now().timestamp() - float(state.get("submitted_at", 0))  # type: ignore[arg-type]
        if duration <= 0 or elapsed >= duration:
            return JobStatus(job_id, done=True, progress=100, state=state)
        return JobStatus(job_id, done=False, progress=min(99, int(100 * elapsed / duration)), state=state)

    def cancel(self, job_id: str, *, state: dict[str, object]) -> bool:
        """Stop a simulated job (its render is dropped). Always succeeds, like a provider with a cancel API."""
        self._path(job_id, state).unlink(missing_ok=True)
        return True

    def fetch(self, job_id: str, *, state: dict[str, object]) -> MediaResult:
        """The rendered file as a MediaResult (image/png or video/mp4 with size and length); re-rendered when the work dir
        was lost.
        """
        path = self._path(job_id, state)
        if not path.exists():  # work dir lost (fresh machine): render again without the start frame
            self._render(job_id, state, None)
        data = path.read_bytes()
        if state.get("kind") == MediaKind.IMAGE.value:
            w, h = IMAGE_SIZES.get(str(state.get("aspect_ratio")), IMAGE_SIZES["1:1"])
            return MediaResult(data=data, mime_type="image/png", width=w, height=h)
        from common.providers.veo import mp4_facts

        w, h = VIDEO_SIZES.get(str(state.get("aspect_ratio")), VIDEO_SIZES["16:9"])
        _, _, seconds = mp4_facts(data)  # an extension is as long as the source plus the new part
        duration = round(seconds, 2) if seconds else float(state["video_s"])  # type: ignore[arg-type]
        return MediaResult(data=data, mime_type="video/mp4", width=w, height=h, duration_s=duration)

    def _path(self, job_id: str, state: dict[str, object]) -> Path:
        ext = "png" if state.get("kind") == MediaKind.IMAGE.value else "mp4"
        return self.work_dir / f"{job_id}.{ext}"

    def _render(self, job_id: str, state: dict[str, object], start_image: bytes | None, *,
                end_image: bytes | None = None, extend: bytes | None = None) -> None:
        if "[sim:unsafe]" in str(state.get("prompt", "")):
            return
        self.work_dir.mkdir(parents=True, exist_ok=True)
        path = self._path(job_id, state)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        if state["kind"] == MediaKind.IMAGE.value:
            data, _, _ = render_png(str(state["prompt"]), str(state["aspect_ratio"]), _seed(state))
            tmp.write_bytes(data)
        else:
            tmp = tmp.with_suffix(".mp4")
            aspect = str(state["aspect_ratio"])
            if extend is not None:
                with tempfile.TemporaryDirectory() as work:
                    source, more = Path(work) / "source.mp4", Path(work) / "more.mp4"
                    source.write_bytes(extend)
                    render_mp4(str(state["prompt"]), aspect, int(state["video_s"]), start_image, more, seed=_seed(state))  # type: ignore[call-overload]
                    concat_mp4([source, more], aspect, tmp)
            else:
                render_mp4(str(state["prompt"]), aspect, int(state["video_s"]), start_image, tmp,  # type: ignore[call-overload]
                           seed=_seed(state), end_image=end_image)
        os.replace(tmp, path)


def _seed(state: dict[str, object]) -> int | None:
    seed = state.get("seed")
    return int(seed) if isinstance(seed, int) else None
