"""Issue 10, uploads and the worker: whole decodes, pixel limits, orientation/colour, budgets,
orphan cleanup that never deletes what is used, and errors that fail at once instead of retrying."""

from __future__ import annotations

import io
import random
import struct
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from common.generation import is_transient
from localstack.emulator import StorageEmulator
from tests.abuse_helpers import FrozenClock, error_of, stack_with, wait_task
from tests.conftest import Stack


def upload(stack: Stack, token: str, data: bytes, name: str = "x.jpg") -> Any:
    return stack.api("POST", "/api/ai/uploads", token=token, files={"file": (name, data, "application/octet-stream")})


def noise_jpeg(width: int = 640, height: int = 360) -> bytes:
    rnd = random.Random(7)
    img = Image.frombytes("RGB", (width, height), bytes(rnd.getrandbits(8) for _ in range(width * height * 3)))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares `width` x `height` (IHDR) with almost no data: a decompression-bomb shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def object_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["url"][0].split("/", 3)[3]


def stored_image(stack: Stack, url: str) -> Image.Image:
    data = stack.svc.storage.read_bytes(object_of(url), max_bytes=50_000_000)
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


# ---- (a) an upload is accepted only after its pixels fully decode ---------------------------------


def test_truncated_jpeg_upload_is_refused(stack: Stack) -> None:
    whole = noise_jpeg()
    assert len(whole) > 20_647
    token = stack.register()
    r = upload(stack, token, whole[:20_647])
    assert r.status_code == 415, r.text
    assert "damaged or incomplete" in error_of(r)["message"]
    assert upload(stack, token, whole).status_code == 201


@pytest.mark.parametrize("fmt", ["WEBP", "PNG"])
def test_truncated_upload_is_refused_whatever_the_format(stack: Stack, fmt: str) -> None:
    """Second member: other formats than JPEG."""
    rnd = random.Random(3)
    img = Image.frombytes("RGB", (300, 200), bytes(rnd.getrandbits(8) for _ in range(300 * 200 * 3)))
    out = io.BytesIO()
    img.save(out, format=fmt)
    data = out.getvalue()
    r = upload(stack, stack.register(), data[: len(data) * 2 // 3], name=f"x.{fmt.lower()}")
    assert r.status_code == 415, r.text


# ---- pixel limits before decoding: one 413 for every size over the limit ----------------------------


def test_an_8000x8000_png_of_a_few_kilobytes_is_413(stack: Stack) -> None:
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG", optimize=True)
    assert len(out.getvalue()) < 100_000
    r = upload(stack, stack.register(), out.getvalue(), name="bomb.png")
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large", r.text


@pytest.mark.parametrize("size", [(8000, 8000), (20000, 20000), (100_000, 100_000)])
def test_every_size_over_the_pixel_limit_is_the_same_413(stack: Stack, size: tuple[int, int]) -> None:
    """Second member: sizes past Pillow's own bomb threshold got 415 before; all are 413 now."""
    r = upload(stack, stack.register(), png_header_only(*size), name="bomb.png")
    assert r.status_code == 413 and error_of(r)["code"] == "payload_too_large", r.text


# ---- orientation and colour normalised once, at upload ---------------------------------------------


def _sideways(fmt: str) -> bytes:
    img = Image.new("RGB", (400, 200), (255, 0, 0))
    img.paste((0, 0, 255), (200, 0, 400, 200))  # left half red, right half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    img.save(out, format=fmt, exif=exif.tobytes(), **({"quality": 95} if fmt == "JPEG" else {"lossless": True}))
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP"])
def test_exif_orientation_is_applied_at_upload(stack: Stack, fmt: str) -> None:
    """JPEG is the issue's example; WebP is the second member."""
    r = upload(stack, stack.register(), _sideways(fmt), name="phone.img")
    assert r.status_code == 201, r.text
    assert (r.json()["width"], r.json()["height"]) == (200, 400)
    img = stored_image(stack, r.json()["url"])
    assert img.size == (200, 400)
    assert 0x0112 not in img.getexif()  # nothing left for a viewer to rotate twice
    top, bottom = img.convert("RGB").getpixel((100, 50)), img.convert("RGB").getpixel((100, 350))
    assert top[0] > 200 and top[2] < 60, top  # red on top: upright as the user saw it
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_cmyk_jpeg_is_stored_as_srgb(stack: Stack) -> None:
    out = io.BytesIO()
    Image.new("CMYK", (64, 64), (0, 255, 255, 0)).save(out, format="JPEG", quality=95)
    r = upload(stack, stack.register(), out.getvalue())
    assert r.status_code == 201, r.text
    img = stored_image(stack, r.json()["url"])
    assert img.mode == "RGB"
    red = img.getpixel((32, 32))
    assert red[0] > 200 and red[1] < 60 and red[2] < 60, red


def test_the_video_start_frame_is_the_upright_image(stack: Stack) -> None:
    token = stack.register()
    up = upload(stack, token, _sideways("JPEG")).json()
    task = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "upright", "image_url": up["url"],
                                                                 "aspect_ratio": "9:16"}).json()
    done = wait_task(stack, token, task["id"])
    assert done["status"] == "COMPLETED", done
    poster = stored_image(stack, done["result"]["thumbnail_url"]).convert("RGB")
    top, bottom = poster.getpixel((poster.width // 2, poster.height // 5)), poster.getpixel((poster.width // 2, poster.height * 4 // 5))
    assert top[0] > top[2] and bottom[2] > bottom[0], (top, bottom)  # red above blue, as uploaded


# ---- (b) the worker: bad input fails at once, only transient errors are retried ----------------------


def _legacy_upload(stack: Stack, user_id: str, data: bytes, name: str = "legacy.jpg") -> str:
    """An object stored before uploads were fully decoded (straight into storage)."""
    object_name = f"uploads/{user_id}/{name}"
    stack.svc.storage.upload_bytes(object_name, data, content_type="image/jpeg")
    return stack.svc.signer.url_for(object_name)


def test_a_truncated_start_frame_fails_the_task_at_once_and_refunds(stack: Stack) -> None:
    token = stack.register()
    me = stack.api("GET", "/api/auth/me", token=token).json()
    url = _legacy_upload(stack, me["id"], noise_jpeg()[:20_647])
    task = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", "image_url": url}).json()
    done = wait_task(stack, token, task["id"], timeout_s=30)
    assert done["status"] == "FAILED" and done["error"]["code"] == "invalid_input", done
    assert "damaged or incomplete" in done["error"]["message"]
    assert stack.svc.db.tasks.find_one({"_id": task["id"]})["attempts"] == 0  # no retry at all
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["video"]["used"] == 0


class HeldQueue:
    """Stands in for the queue: keeps deliveries for the test to run by hand."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    def enqueue(self, payload: dict[str, Any], **kwargs: Any) -> bool:
        self.payloads.append(payload)
        return True


def test_a_start_frame_that_vanished_fails_at_once(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Second member: a missing input is permanent too (it was a retry loop until the deadline)."""
    held = HeldQueue()
    monkeypatch.setattr(stack.svc.generation, "queue", held)
    token = stack.register()
    me = stack.api("GET", "/api/auth/me", token=token).json()
    url = _legacy_upload(stack, me["id"], noise_jpeg())
    task = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", "image_url": url}).json()
    stack.svc.storage.delete(object_of(url))
    r = stack.worker(held.payloads[0])
    assert r.status_code == 200 and r.json()["outcome"] == "failed", r.text
    done = stack.api("GET", f"/api/ai/tasks/{task['id']}", token=token).json()
    assert done["error"]["code"] == "invalid_input" and "no longer available" in done["error"]["message"]
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["video"]["used"] == 0


def test_error_classification() -> None:
    from pymongo.errors import AutoReconnect

    try:
        Image.open(io.BytesIO(noise_jpeg()[:20_647])).load()
    except OSError as exc:
        pil_error: BaseException = exc
    assert not is_transient(pil_error)  # "image file is truncated"
    assert not is_transient(ValueError("bad aspect ratio"))
    assert is_transient(AutoReconnect("primary stepped down"))
    assert is_transient(ConnectionResetError())
    assert is_transient(TimeoutError())
    assert is_transient(OSError("storage stat failed with HTTP 503"))


# ---- per-user upload rate and storage budget --------------------------------------------------------


def _small_png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (seed % 256, seed // 256 % 256, 7)).save(out, format="PNG")
    return out.getvalue()


def test_uploads_are_rate_limited_per_user(emulator: StorageEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    FrozenClock(monkeypatch)
    with stack_with(emulator, tmp_path, RATE_LIMIT_UPLOAD="5/minute") as stack:
        token = stack.register()
        codes = [upload(stack, token, _small_png(i), name="a.png").status_code for i in range(8)]
        assert codes == [201] * 5 + [429] * 3
        assert upload(stack, stack.register(), _small_png(99), name="a.png").status_code == 201


def test_the_storage_budget_holds_and_the_same_image_counts_once(emulator: StorageEmulator, tmp_path: Path) -> None:
    size = len(Image.open(io.BytesIO(_small_png(1))).tobytes())  # noqa: F841 - documents the scale
    with stack_with(emulator, tmp_path, UPLOAD_BUDGET_BYTES=300) as stack:
        token = stack.register()
        first = upload(stack, token, _small_png(1), name="a.png")
        assert first.status_code == 201
        used = first.json()["bytes"]
        assert upload(stack, token, _small_png(1), name="a.png").status_code == 201  # same image: no new bytes
        codes = [upload(stack, token, _small_png(i), name="a.png") for i in range(2, 10)]
        refused = [r for r in codes if r.status_code == 413]
        assert refused and error_of(refused[0])["code"] == "upload_budget_exceeded"
        user = stack.svc.db.users.find_one({"email": {"$exists": True}, "upload_bytes": {"$gt": 0}})
        assert user is not None and user["upload_bytes"] <= 300 and user["upload_bytes"] >= used


# ---- orphan cleanup never deletes what is used -------------------------------------------------------


def test_orphans_are_deleted_but_used_uploads_are_kept(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    now = FrozenClock(monkeypatch)
    token = stack.register()
    orphan = upload(stack, token, _small_png(1), name="a.png").json()
    used = upload(stack, token, noise_jpeg(64, 64)).json()
    attached = upload(stack, token, _small_png(2), name="b.png").json()
    task = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "keep", "image_url": used["url"]}).json()
    wait_task(stack, token, task["id"])
    chat = stack.api("POST", "/api/ai/chat", token=token, json={"message": "look", "attachments": [attached["url"]]})
    assert chat.status_code == 200, chat.text
    now.advance(31 * 24 * 3600)  # past the orphan age, and past the old 30-day bucket rule
    assert stack.svc.uploads.collect_orphans(is_referenced=stack.svc.uploads.referenced) == 1
    assert not stack.svc.storage.exists(object_of(orphan["url"]))
    assert stack.svc.storage.exists(object_of(used["url"]))
    assert stack.svc.storage.exists(object_of(attached["url"]))
    again = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "again", "image_url": used["url"]})
    assert again.status_code == 202, again.text
    gone = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "gone", "image_url": orphan["url"]})
    assert gone.status_code == 400 and "no longer available" in error_of(gone)["message"]
    user = stack.svc.db.users.find_one({"upload_bytes": {"$exists": True}})
    assert user is not None and user["upload_bytes"] == used["bytes"] + attached["bytes"]  # the orphan's bytes came back


def test_the_bucket_has_no_age_rule_that_deletes_used_uploads() -> None:
    tf = (Path(__file__).resolve().parents[2] / "terraform" / "storage.tf").read_text()
    assert 'matches_prefix = ["uploads/"]' not in tf
