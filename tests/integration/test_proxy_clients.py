"""Real clients against the proxy: the curl binary, ffmpeg seeking over HTTP, and a Range property test.

One stack for the module (a real server on loopback): the objects and the
8-second video are made once. Nothing here uses the function-scoped `stack`
(its teardown would uninstall the module's services).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localstack.emulator import StorageEmulator
from tests.conftest import Stack, make_settings, start_stack
from tests.unit.test_delivery import range_spec, render, rfc_expectation

CURL = shutil.which("curl")
SIZES = [0, 1, 2, 1000, 300_000]  # 300_000 spans two 256 KiB storage chunks


@dataclass
class Media:
    stack: Stack
    objects: dict[int, tuple[str, bytes]]  # size -> (absolute proxy URL, bytes)


# ffmpeg seeks by opening a second connection while it keeps the first one open and unread;
# localstack.storage_server runs the emulator threaded so that does not deadlock (see docs/proxy.md).


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Media]:
    from common.runtime import use

    emulator = StorageEmulator(bucket="media").start()
    stack, server = start_stack(make_settings(emulator, tmp_path_factory.mktemp("proxy-clients")))
    objects = {}
    for size in SIZES:
        data = bytes((i * 7 + size) % 256 for i in range(size))
        name = f"media/u{uuid.uuid4().hex[:8]}/s{size}.bin"
        stack.svc.storage.upload_bytes(name, data, content_type="application/octet-stream")
        objects[size] = (stack.url + stack.svc.signer.url_for(name), data)
    yield Media(stack, objects)
    server.shutdown()
    stack.svc.close()
    use(None)
    emulator.stop()


@pytest.fixture(scope="module")
def video(media: Media, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """An 8-second H.264 MP4 (faststart, 1 s GOP) stored in the bucket: its signed proxy URL and the local file.

    Noise keeps it large (~10 MB), so a seek to the middle lands megabytes in and
    ffmpeg has to ask for a Range rather than read through its buffer.
    """
    local = tmp_path_factory.mktemp("video") / "clip.mp4"
    done = ffmpeg("-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=480x270:rate=25", "-t", "8",
                  "-vf", "noise=alls=40:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
                  "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(local))
    assert done.returncode == 0, done.stderr
    name = f"media/u{uuid.uuid4().hex[:8]}/t{uuid.uuid4().hex[:8]}.mp4"
    media.stack.svc.storage.upload_bytes(name, local.read_bytes(), content_type="video/mp4")
    return media.stack.url + media.stack.svc.signer.url_for(name), local


# --- curl -------------------------------------------------------------------------------------------------------------


def curl(url: str, *args: str, tmp: Path) -> tuple[int, dict[str, str], bytes]:
    assert CURL is not None
    headers_file, body_file = tmp / f"h{uuid.uuid4().hex}", tmp / f"b{uuid.uuid4().hex}"
    done = subprocess.run([CURL, "-sS", "-D", str(headers_file), "-o", str(body_file), *args, url],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = headers_file.read_bytes().decode("latin-1").split("\r\n")  # read_text would translate newlines
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    return status, headers, body_file.read_bytes() if body_file.exists() else b""


pytestmark_curl = pytest.mark.skipif(CURL is None, reason="the curl binary is not installed")


@pytestmark_curl
@pytest.mark.parametrize(
    ("args", "start", "end"),
    [(["-r", "0-1"], 0, 1), (["-H", "Range: bytes=1000-1999"], 1000, 1999), (["-H", "Range: bytes=299000-"], 299000, 299999),
     (["-H", "Range: bytes=-500"], 299500, 299999), (["-r", "299990-999999"], 299990, 299999)],
)
def test_curl_gets_each_range_form_as_an_exact_206(media: Media, tmp_path: Path, args: list[str], start: int, end: int) -> None:
    url, data = media.objects[300_000]
    status, headers, body = curl(url, *args, tmp=tmp_path)
    assert status == 206
    assert headers["content-range"] == f"bytes {start}-{end}/{len(data)}"
    assert headers["content-length"] == str(end - start + 1)
    assert body == data[start:end + 1]


@pytestmark_curl
def test_curl_sees_416_304_and_head(media: Media, tmp_path: Path) -> None:
    url, data = media.objects[300_000]
    status, headers, body = curl(url, "-r", "300000-", tmp=tmp_path)
    assert (status, headers["content-range"]) == (416, "bytes */300000")
    assert b"range_not_satisfiable" in body

    status, headers, _ = curl(url, "-I", tmp=tmp_path)  # with -I, curl writes the headers as the "body"
    assert (status, headers["content-length"], headers["accept-ranges"]) == (200, "300000", "bytes")
    etag = headers["etag"]

    status, headers, body = curl(url, "-H", f"If-None-Match: {etag}", tmp=tmp_path)
    assert (status, body, headers["etag"]) == (304, b"", etag)

    status, _, body = curl(url, tmp=tmp_path)
    assert (status, body) == (200, data)


# --- ffmpeg seeking over HTTP -------------------------------------------------------------------------------------------


def ffmpeg(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", *args],
                          capture_output=True, timeout=120, check=False)


def test_ffmpeg_seeks_to_the_middle_of_the_video_over_http_and_decodes_the_same_frame(
    media: Media, video: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, local = video
    starts: list[int] = []
    original = media.stack.svc.storage.open_range

    def open_range(name: str, start: int, end: int, *, generation: str | None = None) -> Iterator[bytes]:
        starts.append(start)
        return original(name, start, end, generation=generation)

    monkeypatch.setattr(media.stack.svc.storage, "open_range", open_range)
    frame_args = ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    remote = ffmpeg("-ss", "4", "-i", url, *frame_args)
    assert remote.returncode == 0, remote.stderr.decode(errors="replace")[-2000:]
    assert len(remote.stdout) > 0
    assert any(s > 0 for s in starts), starts  # the seek was a Range request into the file, not a full read
    reference = ffmpeg("-ss", "4", "-i", str(local), *frame_args)
    assert remote.stdout == reference.stdout  # the same picture as decoding the bytes from disk

    decoded = ffmpeg("-ss", "4", "-i", url, "-f", "null", "-")
    assert decoded.returncode == 0, decoded.stderr.decode(errors="replace")[-2000:]
    frames = [int(n) for n in re.findall(rb"frame=\s*(\d+)", decoded.stderr)]
    assert frames and frames[-1] > 10  # the second half of the clip decodes


def test_ffmpeg_writes_a_jpeg_from_the_middle(video: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = video
    out = tmp_path / "mid.jpg"
    done = ffmpeg("-ss", "4", "-i", url, "-frames:v", "1", "-f", "image2", str(out))
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    assert out.read_bytes()[:3] == b"\xff\xd8\xff"


# --- the property: any single range of any object is answered with the RFC's slice ---------------------------------------


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.sampled_from(SIZES), spec=range_spec)
def test_any_range_through_the_real_server_is_the_exact_slice_or_416(
    media: Media, size: int, spec: tuple[str, int, int]
) -> None:
    url, data = media.objects[size]
    r = media.stack.http.get(url, headers={"Range": f"bytes={render(spec)}"}, timeout=30)
    expected = rfc_expectation(size, spec)
    if expected is None:
        assert r.status_code == 416
        assert r.headers["Content-Range"] == f"bytes */{size}"
        return
    _, start, stop = expected
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{size}"
    assert r.headers["Content-Length"] == str(stop - start)
    assert r.content == data[start:stop]
