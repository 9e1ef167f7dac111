"""The issue's 'done when', as a user would do it with curl."""

from __future__ import annotations

from tests.conftest import Stack


def test_register_generate_image_and_video_then_range_read(stack: Stack) -> None:
    token = stack.register()
    r = stack.api("POST", "/api/ai/image", token=token, json={"prompt": "a neon fox", "aspect_ratio": "16:9"})
    assert r.status_code == 202, r.text
    image = stack.wait_task(token, r.json()["id"])
    assert image["status"] == "COMPLETED", image
    png = stack.api("GET", image["result"]["url"])
    assert png.status_code == 200
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(png.content) == image["result"]["bytes"]

    r = stack.api("POST", "/api/ai/video", token=token, json={"prompt": "a neon fox runs", "duration_s": 4})
    assert r.status_code == 202
    video = stack.wait_task(token, r.json()["id"])
    assert video["status"] == "COMPLETED", video
    size = video["result"]["bytes"]
    part = stack.api("GET", video["result"]["url"], headers={"Range": "bytes=0-1"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 0-1/{size}"
    assert part.content == b"\x00\x00"  # an MP4 starts with the ftyp box size
    head = stack.api("GET", video["result"]["url"], headers={"Range": "bytes=4-7"})
    assert head.content == b"ftyp"
