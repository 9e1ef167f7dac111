"""Creative controls and sharing: variations, seed, remix, extend, last frame, prompt enhancer, public share pages."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageChops, ImageStat

from common.media_probe import ffmpeg_exe
from tests.conftest import Stack


def error_code(response: Any) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    return str(body["error"]["code"])


def media(stack: Stack, url: str, **headers: str) -> Any:
    return stack.http.get(stack.url + url, headers=headers, timeout=30)


def finished(stack: Stack, token: str, task: dict[str, Any]) -> dict[str, Any]:
    done = stack.wait_task(token, task["id"], timeout_s=60)
    assert done["status"] == "COMPLETED", done
    return done


def frame(video: bytes, *, last: bool = False) -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "v.mp4", Path(tmp) / "f.png"
        src.write_bytes(video)
        seek = ["-sseof", "-0.25"] if last else []
        subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", *seek, "-i", str(src), "-update", "1",
                        "-frames:v", "100" if last else "1", str(out)], check=True)
        return Image.open(io.BytesIO(out.read_bytes())).convert("RGB")


def differ(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute pixel difference, 0..255."""
    return sum(ImageStat.Stat(ImageChops.difference(a, b.resize(a.size))).mean) / 3


# ---- variations and seed -----------------------------------------------------------------


def test_image_variations_are_one_task_and_one_charge_each_in_a_group(stack: Stack) -> None:
    token = stack.register()
    r = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a fox", "count": 2})
    assert r.status_code == 202, r.text
    items = r.json()["items"]
    assert len(items) == 2 and items[0]["id"] != items[1]["id"]
    assert {t["params"]["group_id"] for t in items} == {items[0]["id"]}
    assert [t["params"]["variation"] for t in items] == [1, 2]
    assert items[1]["params"]["seed"] == items[0]["params"]["seed"] + 1
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["image"]["used"] == 2
    a, b = (finished(stack, token, t) for t in items)
    assert media(stack, a["result"]["url"]).content != media(stack, b["result"]["url"]).content


def test_the_same_seed_gives_the_same_image_and_a_single_count_answers_one_task(stack: Stack) -> None:
    token = stack.register()
    first = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a fox", "seed": 42, "negative_prompt": "blur"})
    assert first.status_code == 202 and "items" not in first.json()
    assert first.json()["params"]["seed"] == 42 and first.json()["params"]["negative_prompt"] == "blur"
    second = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a fox", "seed": 42}).json()
    a, b = finished(stack, token, first.json()), finished(stack, token, second)
    assert media(stack, a["result"]["url"]).content == media(stack, b["result"]["url"]).content


@pytest.mark.parametrize(("body", "field"), [
    ({"prompt": "x", "count": 5}, "count"),
    ({"prompt": "x", "count": 0}, "count"),
    ({"prompt": "x", "count": "2"}, "count"),
    ({"prompt": "x", "seed": -1}, "seed"),
    ({"prompt": "x", "seed": 2**32}, "seed"),
    ({"prompt": "x", "negative_prompt": "n" * 1001}, "negative_prompt"),
])
def test_variation_and_seed_validation_names_the_field(stack: Stack, body: dict[str, Any], field: str) -> None:
    r = stack.api("POST", "/api/ai/image", token=stack.register(), json=body)
    assert r.status_code == 400 and r.json()["error"]["details"]["field"] == field


def test_variations_are_all_or_nothing_when_credits_run_out(stack: Stack) -> None:
    token = stack.register()
    uid = stack.api("GET", "/api/auth/me", token=token).json()["id"]
    stack.svc.db.settings.update_one({"_id": "pricing"}, {"$set": {"quotas.image": 1}}, upsert=True)
    stack.svc.accounting.apply_credits(user_id=uid, delta=2, key="grant:t", reason="test")  # one image beyond the quota
    r = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "x", "count": 3})
    assert r.status_code == 402 and error_code(r) == "insufficient_credits"
    me = stack.api("GET", "/api/auth/me", token=token).json()
    assert me["credits"] == 2 and me["quota"]["image"]["used"] == 0
    assert stack.api("GET", "/api/ai/tasks", token=token).json()["items"] == []


# ---- remix, extend, last frame -------------------------------------------------------------


@pytest.fixture
def video(stack: Stack) -> tuple[str, dict[str, Any]]:
    token = stack.register()
    task = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "a neon city", "duration_s": 4, "seed": 7}).json()
    return token, finished(stack, token, task)


def test_extend_makes_the_whole_longer_video_with_the_source_frames_first(stack: Stack, video: tuple[str, dict[str, Any]]) -> None:
    token, source = video
    r = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "the city at dawn", "extend_of": source["id"], "duration_s": 4})
    assert r.status_code == 202, r.text
    assert r.json()["params"]["mode"] == "extend" and r.json()["params"]["source_task_id"] == source["id"]
    extended = finished(stack, token, r.json())
    assert extended["result"]["duration_s"] == pytest.approx(source["result"]["duration_s"] + 4, abs=0.15)
    src_bytes = media(stack, source["result"]["url"]).content
    ext_bytes = media(stack, extended["result"]["url"]).content
    assert len(ext_bytes) > len(src_bytes)
    assert differ(frame(src_bytes), frame(ext_bytes)) < 8  # it starts with the source's frames
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["video"]["used"] == 2  # one charge


def test_remix_keeps_the_seed_and_settings_and_starts_from_the_source(stack: Stack, video: tuple[str, dict[str, Any]]) -> None:
    token, source = video
    r = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "the same city, in snow", "remix_of": source["id"]})
    assert r.status_code == 202, r.text
    remix = finished(stack, token, r.json())
    assert remix["params"]["seed"] == 7 and remix["params"]["mode"] == "remix"
    assert remix["params"]["aspect_ratio"] == "16:9" and remix["params"]["duration_s"] == 4
    assert remix["result"]["duration_s"] == pytest.approx(4, abs=0.15)
    assert "source_object" not in remix["params"] and "source_ref" not in remix["params"]


def test_remix_and_extend_refuse_others_unfinished_and_non_video_sources(stack: Stack, video: tuple[str, dict[str, Any]]) -> None:
    token, source = video
    other = stack.register()
    for field in ("remix_of", "extend_of"):
        r = stack.api("POST", "/api/ai/video", token=other, json={"prompt": "x", field: source["id"]})
        assert r.status_code == 404 and error_code(r) == "not_found"
        assert stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", field: "nope"}).status_code == 404
    image = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "img"}).json()
    finished(stack, token, image)
    assert stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", "extend_of": image["id"]}).status_code == 404
    both = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", "remix_of": source["id"], "extend_of": source["id"]})
    assert both.status_code == 400
    assert stack.api("GET", "/api/auth/me", token=other).json()["quota"]["video"]["used"] == 0


def test_a_provider_that_cannot_remix_answers_not_supported_naming_who_can(stack: Stack, video: tuple[str, dict[str, Any]]) -> None:
    token, source = video
    stack.svc.db.tasks.update_one({"_id": source["id"]}, {"$set": {"provider": "veo"}})
    r = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", "remix_of": source["id"]})
    assert r.status_code == 400 and error_code(r) == "not_supported"
    assert r.json()["error"]["details"]["supported_by"] == ["sim", "sora"]
    stack.svc.db.tasks.update_one({"_id": source["id"]}, {"$set": {"provider": "sora"}})
    r = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", "extend_of": source["id"]})
    assert r.status_code == 400 and r.json()["error"]["details"]["supported_by"] == ["sim", "veo"]
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["video"]["used"] == 1  # nothing charged


def test_first_and_last_frame_video_ends_on_the_last_frame(stack: Stack) -> None:
    token = stack.register()

    def upload(color: tuple[int, int, int]) -> str:
        buf = io.BytesIO()
        Image.new("RGB", (640, 360), color).save(buf, format="PNG")
        r = stack.api("POST", "/api/ai/uploads", token=token, files={"file": ("f.png", buf.getvalue(), "image/png")})
        return str(r.json()["url"])

    first, last = upload((255, 0, 0)), upload((0, 0, 255))
    alone = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "x", "last_frame_url": last})
    assert alone.status_code == 400
    r = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "red to blue", "image_url": first, "last_frame_url": last})
    assert r.status_code == 202, r.text
    assert r.json()["params"]["last_frame_url"].startswith("/api/ai/proxy?")
    done = finished(stack, token, r.json())
    end = frame(media(stack, done["result"]["url"]).content, last=True)
    assert differ(end, Image.new("RGB", end.size, (0, 0, 255))) < 30


# ---- prompt enhancer -----------------------------------------------------------------------


def test_enhance_rewrites_the_prompt_with_one_chat_unit(stack: Stack) -> None:
    token = stack.register()
    r = stack.api("POST", "/api/ai/prompt/enhance", token=token, json={"prompt": "a cat on a roof", "kind": "video"})
    assert r.status_code == 200, r.text
    assert r.json()["prompt"].startswith("a cat on a roof") and len(r.json()["prompt"]) > 40
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["chat"]["used"] == 1
    for body in ({"prompt": "x", "kind": "music"}, {"prompt": ""}, {"prompt": "x" * 2001, "kind": "image"}):
        assert stack.api("POST", "/api/ai/prompt/enhance", token=token, json=body).status_code == 400
    assert stack.api("POST", "/api/ai/prompt/enhance", json={"prompt": "x", "kind": "image"}).status_code == 401
    assert stack.api("GET", "/api/auth/me", token=token).json()["quota"]["chat"]["used"] == 1


# ---- sharing -----------------------------------------------------------------------------------


def test_share_page_media_and_revocation(stack: Stack, video: tuple[str, dict[str, Any]]) -> None:
    token, source = video
    r = stack.api("POST", f"/api/ai/tasks/{source['id']}/share", token=token)
    assert r.status_code == 201
    url = r.json()["url"]
    assert url.startswith("/s/") and len(url) == 3 + 32
    assert stack.api("POST", f"/api/ai/tasks/{source['id']}/share", token=token).json()["url"] == url  # idempotent
    assert stack.api("GET", f"/api/ai/tasks/{source['id']}", token=token).json()["shared"] is True
    share_token = url.removeprefix("/s/")

    public = stack.api("GET", f"/api/public/shares/{share_token}")
    assert public.status_code == 200
    body = public.json()
    assert body["prompt"] == "a neon city" and body["type"] == "video"
    assert set(body) == {"prompt", "type", "result", "created_at"}  # no owner, no ids
    video_url = body["result"]["url"]
    assert parse_qs(urlsplit(video_url).query)["share"] == [share_token]
    part = media(stack, video_url, Range="bytes=0-99")
    assert part.status_code == 206 and len(part.content) == 100 and part.headers["Cache-Control"] == "no-cache"
    assert media(stack, body["result"]["thumbnail_url"]).status_code == 200

    page = stack.api("GET", url)
    assert page.status_code == 200
    assert 'property="og:video"' in page.text and 'property="og:image"' in page.text and "a neon city" in page.text

    # A share-bound signature does not open other objects, nor pass without its token.
    tampered = video_url.replace(f"share={share_token}", "share=" + "A" * 32)
    assert media(stack, tampered).status_code == 403
    assert media(stack, video_url.replace(f"&share={share_token}", "")).status_code == 403

    assert stack.api("DELETE", f"/api/ai/tasks/{source['id']}/share", token=token).status_code == 204
    assert stack.api("GET", f"/api/public/shares/{share_token}").status_code == 404
    assert media(stack, video_url).status_code == 404
    assert stack.api("GET", url).status_code == 404
    assert stack.api("GET", f"/api/ai/tasks/{source['id']}", token=token).json()["shared"] is False

    again = stack.api("POST", f"/api/ai/tasks/{source['id']}/share", token=token).json()["url"]
    assert again != url
    stack.api("DELETE", f"/api/ai/tasks/{source['id']}", token=token)
    assert stack.api("GET", f"/api/public/shares/{again.removeprefix('/s/')}").status_code == 404


def test_share_refuses_others_unfinished_and_unknown(stack: Stack, video: tuple[str, dict[str, Any]]) -> None:
    token, source = video
    other = stack.register()
    assert stack.api("POST", f"/api/ai/tasks/{source['id']}/share", token=other).status_code == 404
    assert stack.api("DELETE", f"/api/ai/tasks/{source['id']}/share", token=other).status_code == 404
    assert stack.api("POST", f"/api/ai/tasks/{source['id']}/share").status_code == 401
    failed = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "[sim:unsafe]"}).json()
    stack.wait_task(token, failed["id"])
    r = stack.api("POST", f"/api/ai/tasks/{failed['id']}/share", token=token)
    assert r.status_code == 409 and error_code(r) == "conflict"
    for bad in ("x" * 32, "short", "a" * 500):
        assert stack.api("GET", f"/api/public/shares/{bad}").status_code == 404


# ---- visible watermark ---------------------------------------------------------------------------


def test_watermark_setting_burns_text_into_new_images_and_videos(stack: Stack) -> None:
    from tests.integration.test_admin import admin_token

    admin = admin_token(stack)
    token = stack.register()
    plain = finished(stack, token, stack.api("POST", "/api/ai/image", token=token, json={"prompt": "wm", "seed": 5}).json())
    r = stack.api("PUT", "/api/admin/settings", token=admin, json={"watermark": {"enabled": True, "text": "AI · Sora Studio"}})
    assert r.status_code == 200 and r.json()["watermark"] == {"enabled": True, "text": "AI · Sora Studio"}
    bad = stack.api("PUT", "/api/admin/settings", token=admin, json={"watermark": {"enabled": "yes"}})
    assert bad.status_code == 400
    marked = finished(stack, token, stack.api("POST", "/api/ai/image", token=token, json={"prompt": "wm", "seed": 5}).json())
    a = Image.open(io.BytesIO(media(stack, plain["result"]["url"]).content)).convert("RGB")
    b = Image.open(io.BytesIO(media(stack, marked["result"]["url"]).content)).convert("RGB")
    w, h = a.size
    corner = (w * 2 // 3, h * 5 // 6, w, h)
    assert differ(a.crop(corner), b.crop(corner)) > 1  # the text is in the bottom-right corner
    assert differ(a.crop((0, 0, w // 2, h // 2)), b.crop((0, 0, w // 2, h // 2))) == 0  # and nowhere else
    video = finished(stack, token, stack.api("POST", "/api/ai/video", token=token, json={"prompt": "wm", "seed": 5}).json())
    stack.api("PUT", "/api/admin/settings", token=admin, json={"watermark": {"enabled": False}})
    clean = finished(stack, token, stack.api("POST", "/api/ai/video", token=token, json={"prompt": "wm", "seed": 5}).json())
    fa, fb = frame(media(stack, clean["result"]["url"]).content), frame(media(stack, video["result"]["url"]).content)
    vw, vh = fa.size
    assert differ(fa.crop((vw * 2 // 3, vh * 5 // 6, vw, vh)), fb.crop((vw * 2 // 3, vh * 5 // 6, vw, vh))) > 1
    assert video["result"]["duration_s"] == pytest.approx(clean["result"]["duration_s"], abs=0.1)
