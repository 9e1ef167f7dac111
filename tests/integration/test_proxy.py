"""The media proxy on the real stack: signatures and SSRF, Range/conditional answers, streaming, CORS, thumbnails."""

from __future__ import annotations

import hashlib
import hmac
import io
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
import requests
from PIL import Image

from common.errors import NotFound
from common.media import MediaSigner
from common.secrets import MEDIA_SIGNING_KEY
from common.storage import StorageService
from localstack.emulator import StorageEmulator
from tests.conftest import Stack
from tests.unit.test_delivery import FakeStorage, parse_multipart

DATA = bytes(range(256)) * 1024  # 256 KiB: more than one storage chunk, every offset distinguishable


def mac(key: str, ref: str) -> str:
    return hmac.new(key.encode(), ref.encode(), hashlib.sha256).hexdigest()


def proxy_path(url: str, sig: str | None) -> str:
    params = {"url": url} if sig is None else {"url": url, "sig": sig}
    return "/api/ai/proxy?" + urlencode(params)


def put(stack: Stack, data: bytes = DATA, *, content_type: str = "video/mp4", name: str | None = None) -> str:
    """Store an object under a name of the platform's shape and return its signed proxy path."""
    name = name or f"media/u{uuid.uuid4().hex[:8]}/t{uuid.uuid4().hex[:8]}.mp4"
    stack.svc.storage.upload_bytes(name, data, content_type=content_type)
    return stack.svc.signer.url_for(name)


class StorageCalls:
    """Counts every HTTP request the proxy's StorageService makes (metadata and media)."""

    def __init__(self, storage: StorageService, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        session = storage.client._http
        original = session.request

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(session, "request", counting)


class CountingRead:
    """Wraps the iterator of one storage read: bytes pulled from storage, and whether it was closed."""

    def __init__(self, inner: Iterator[bytes]) -> None:
        self.inner, self.pulled, self.closed = inner, 0, False

    def __iter__(self) -> CountingRead:
        return self

    def __next__(self) -> bytes:
        chunk = next(self.inner)
        self.pulled += len(chunk)
        return chunk

    def close(self) -> None:
        self.closed = True
        getattr(self.inner, "close", lambda: None)()


@pytest.fixture
def reads(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> list[CountingRead]:
    opened: list[CountingRead] = []
    original = stack.svc.storage.open_range

    def open_range(name: str, start: int, end: int, *, generation: str | None = None) -> Iterator[bytes]:
        read = CountingRead(original(name, start, end, generation=generation))
        opened.append(read)
        return read

    monkeypatch.setattr(stack.svc.storage, "open_range", open_range)
    return opened


# --- only signed objects of our bucket; nothing is fetched otherwise ------------------------------------------------


def bad_links(stack: Stack, good: str) -> list[tuple[str, str]]:
    """(why, path) pairs that must all be refused; `good` is a working proxy path for an existing object."""
    key = stack.svc.media_keys()[0]
    bucket = stack.svc.settings.GCS_BUCKET
    name = good.split(quote(f"gs://{bucket}/", safe=""))[1].split("&")[0].replace("%2F", "/")
    ref = f"gs://{bucket}/{name}"
    sig = mac(key, ref)
    user = name.split("/")[1]

    def signed(target: str) -> str:  # a valid HMAC with the real key: only the target check can refuse it
        return proxy_path(target, mac(key, target))

    return [
        ("other bucket", MediaSigner(bucket="other-bucket", keys=stack.svc.media_keys).url_for(name)),
        ("http url", signed("http://127.0.0.1:9/x")),
        ("https url", signed("https://example.com/media/u/x.mp4")),
        ("gs without bucket", signed("gs:///" + name)),
        ("dot-dot", signed(f"gs://{bucket}/media/{user}/../{user}/x.mp4")),
        ("dot file", signed(f"gs://{bucket}/media/{user}/.x")),
        ("encoded slash", signed(f"gs://{bucket}/media/{user}%2Fx.mp4")),
        ("double-encoded slash", signed(f"gs://{bucket}/media/{user}%252Fx.mp4")),
        ("trailing newline", signed(ref + "\n")),
        ("foreign prefix", signed(f"gs://{bucket}/secrets/{user}/x")),
        ("missing sig", proxy_path(ref, None)),
        ("empty sig", proxy_path(ref, "")),
        ("altered sig", proxy_path(ref, sig[:-1] + ("0" if sig[-1] != "0" else "1"))),
        ("short sig", proxy_path(ref, sig[:-1])),
        ("long sig", proxy_path(ref, sig + "0")),
        ("non-hex sig", proxy_path(ref, "z" * 64)),
        ("non-ascii sig", proxy_path(ref, "\u00e9" * 64)),
        ("sig of another object", proxy_path(ref, mac(key, ref + "x"))),
        ("sig by an unknown key", proxy_path(ref, mac("not-the-key", ref))),
        ("missing url", "/api/ai/proxy?" + urlencode({"sig": sig})),
        ("repeated url", good + "&" + urlencode({"url": "gs://other-bucket/x"})),
        ("raw encoded slash in the query", good.replace("%2F", "%252F")),
    ]


def test_every_unsigned_or_foreign_link_is_403_bad_signature_and_storage_is_never_called(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = put(stack)
    assert stack.api("GET", good).status_code == 200
    links = bad_links(stack, good)
    calls = StorageCalls(stack.svc.storage, monkeypatch)
    for why, path in links:
        for method in ("GET", "HEAD"):
            r = stack.api(method, path, headers={"Range": "bytes=0-1"})
            assert r.status_code == 403, (why, method, r.text)
            if method == "GET":
                assert r.json()["error"]["code"] == "bad_signature", why
    assert calls.count == 0
    assert stack.api("GET", good).status_code == 200
    assert calls.count > 0  # the counter does see the proxy's storage traffic


def test_a_signed_link_to_a_local_listening_socket_is_refused_without_connecting(stack: Stack) -> None:
    key = stack.svc.media_keys()[0]
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(1.0)
        port = listener.getsockname()[1]
        for target in (f"http://127.0.0.1:{port}/media/u/x.mp4", f"gs://127.0.0.1:{port}/media/u/x.mp4",
                       f"//127.0.0.1:{port}/x"):
            for sig in (mac(key, target), None):
                r = stack.api("GET", proxy_path(target, sig))
                assert r.status_code == 403, target
        with pytest.raises(TimeoutError):
            listener.accept()


def test_a_signed_link_to_a_missing_object_is_404(stack: Stack) -> None:
    r = stack.api("GET", stack.svc.signer.url_for("media/nobody/none.mp4"))
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_signatures_of_the_previous_key_keep_working_and_two_versions_back_fail(stack: Stack) -> None:
    name = f"media/u{uuid.uuid4().hex[:8]}/rot.mp4"
    first = put(stack, name=name)
    stack.svc.secrets.put(MEDIA_SIGNING_KEY, "second-media-key-" + uuid.uuid4().hex)
    second = stack.svc.signer.url_for(name)
    assert second != first  # links are re-signed with the newest key
    assert stack.api("GET", first).status_code == 200
    assert stack.api("GET", second).status_code == 200
    stack.svc.secrets.put(MEDIA_SIGNING_KEY, "third-media-key-" + uuid.uuid4().hex)
    third = stack.svc.signer.url_for(name)
    assert stack.api("GET", third).status_code == 200
    assert stack.api("GET", second).status_code == 200
    r = stack.api("GET", first)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "bad_signature"


# --- Range, conditionals, headers over the real server ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [("bytes=0-1", 0, 1), ("bytes=1000-1999", 1000, 1999), ("bytes=200000-", 200000, len(DATA) - 1),
     ("bytes=-100", len(DATA) - 100, len(DATA) - 1), ("bytes=262000-999999999", 262000, len(DATA) - 1)],
)
def test_range_forms_answer_206_with_the_exact_slice_from_one_storage_read(
    stack: Stack, reads: list[CountingRead], header: str, start: int, end: int
) -> None:
    path = put(stack)
    r = stack.api("GET", path, headers={"Range": header})
    assert r.status_code == 206
    assert r.content == DATA[start:end + 1]
    assert r.headers["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert r.headers["Content-Length"] == str(end - start + 1)
    assert r.headers["Accept-Ranges"] == "bytes"
    assert len(reads) == 1
    assert reads[0].pulled == end - start + 1  # never read from the start of the object


def test_full_get_and_head_carry_type_validators_and_caching(stack: Stack) -> None:
    path = put(stack, content_type="video/mp4")
    r = stack.api("GET", path)
    assert r.status_code == 200
    assert r.content == DATA
    h = stack.api("HEAD", path)
    assert h.status_code == 200
    assert h.content == b""
    for resp in (r, h):
        assert resp.headers["Content-Type"] == "video/mp4"
        assert resp.headers["Content-Length"] == str(len(DATA))
        assert resp.headers["Accept-Ranges"] == "bytes"
        assert resp.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert resp.headers["ETag"].startswith('"') and resp.headers["Last-Modified"].endswith("GMT")
    assert h.headers["ETag"] == r.headers["ETag"]


def test_unsatisfiable_range_is_416_with_json_error_and_content_range(stack: Stack) -> None:
    path = put(stack)
    r = stack.api("GET", path, headers={"Range": f"bytes={len(DATA)}-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{len(DATA)}"
    assert r.json()["error"]["code"] == "range_not_satisfiable"


def test_invalid_range_is_ignored_and_several_ranges_are_exact_multipart(stack: Stack) -> None:
    path = put(stack)
    assert stack.api("GET", path, headers={"Range": "bytes=9-1"}).content == DATA
    r = stack.api("GET", path, headers={"Range": "bytes=-10,0-9,100000-100009"})
    assert r.status_code == 206
    assert r.headers["Content-Length"] == str(len(r.content))
    assert parse_multipart(r.headers["Content-Type"], r.content) == [
        ("video/mp4", f"bytes {len(DATA) - 10}-{len(DATA) - 1}/{len(DATA)}", DATA[-10:]),
        ("video/mp4", f"bytes 0-9/{len(DATA)}", DATA[:10]),
        ("video/mp4", f"bytes 100000-100009/{len(DATA)}", DATA[100000:100010]),
    ]
    assert stack.api("GET", path, headers={"Range": "bytes=0-,0-,0-"}).status_code == 416


def test_empty_object_is_200_empty_and_ranges_on_it_are_416(stack: Stack) -> None:
    path = put(stack, b"")
    r = stack.api("GET", path)
    assert (r.status_code, r.content, r.headers["Content-Length"]) == (200, b"", "0")
    r = stack.api("GET", path, headers={"Range": "bytes=0-1"})
    assert (r.status_code, r.headers["Content-Range"]) == (416, "bytes */0")


def test_conditional_requests_and_if_range(stack: Stack) -> None:
    path = put(stack)
    first = stack.api("GET", path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert stack.api("GET", path).headers["ETag"] == etag  # stable per object version
    assert stack.api("GET", path, headers={"If-None-Match": etag}).status_code == 304
    assert stack.api("GET", path, headers={"If-Modified-Since": modified}).status_code == 304
    assert stack.api("GET", path, headers={"If-None-Match": '"stale"'}).status_code == 200
    r = stack.api("GET", path, headers={"Range": "bytes=0-3", "If-Range": etag})
    assert (r.status_code, r.content) == (206, DATA[:4])
    r = stack.api("GET", path, headers={"Range": "bytes=0-3", "If-Range": modified})
    assert (r.status_code, r.content) == (206, DATA[:4])
    r = stack.api("GET", path, headers={"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert (r.status_code, r.content) == (200, DATA)


def test_a_new_version_of_an_object_gets_a_new_etag(stack: Stack) -> None:
    name = f"media/u{uuid.uuid4().hex[:8]}/v.mp4"
    path = put(stack, name=name)
    etag = stack.api("HEAD", path).headers["ETag"]
    stack.svc.storage.upload_bytes(name, DATA[:10], content_type="video/mp4")
    r = stack.api("GET", path, headers={"If-None-Match": etag})
    assert (r.status_code, r.content) == (200, DATA[:10])
    assert r.headers["ETag"] != etag


def test_download_names_the_file_after_the_task(stack: Stack) -> None:
    name = f"media/u{uuid.uuid4().hex[:8]}/task123.mp4"
    path = put(stack, name=name)
    r = stack.api("GET", path + "&download=1")
    assert r.headers["Content-Disposition"] == 'attachment; filename="sora-task123.mp4"'
    assert "Content-Disposition" not in stack.api("HEAD", path).headers


def test_a_client_that_hangs_up_after_one_chunk_stops_the_storage_read(stack: Stack, reads: list[CountingRead]) -> None:
    size = 32 * 1024 * 1024
    path = put(stack, bytes(size))
    host, port = stack.url.removeprefix("http://").split(":")
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    client.connect((host, int(port)))
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert client.recv(64 * 1024).startswith(b"HTTP/1.1 200")
    client.close()  # with unread data: a reset, as a browser tab that goes away
    deadline = time.monotonic() + 20
    while not (reads and reads[0].closed) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reads[0].closed
    assert reads[0].pulled < size // 4, reads[0].pulled


# --- CORS on the proxy ----------------------------------------------------------------------------------------------


def test_cors_preflight_allows_range_and_media_responses_expose_range_headers(stack: Stack) -> None:
    path = put(stack)
    origin = "https://studio.example"
    pre = stack.api("OPTIONS", path, headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                              "Access-Control-Request-Headers": "range"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == origin
    assert "range" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]
    r = stack.api("GET", path, headers={"Origin": origin, "Range": "bytes=0-1"})
    assert r.status_code == 206
    assert r.headers["Access-Control-Allow-Origin"] == origin
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"content-range", "accept-ranges", "content-length", "etag"} <= exposed
    other = stack.api("GET", path, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


# --- thumbnails made by the worker are served as JPEGs ----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "body"), [("image", {"prompt": "a neon fox"}),
                                            ("video", {"prompt": "a neon fox runs", "duration_s": 4})])
def test_generated_media_expose_a_thumbnail_that_is_a_real_jpeg(stack: Stack, kind: str, body: dict[str, Any]) -> None:
    token = stack.register()
    r = stack.api("POST", f"/api/ai/{kind}", token=token, json=body)
    assert r.status_code == 202, r.text
    task = stack.wait_task(token, r.json()["id"], timeout_s=60)
    assert task["status"] == "COMPLETED", task
    thumb = stack.api("GET", task["result"]["thumbnail_url"])
    assert thumb.status_code == 200
    assert thumb.headers["Content-Type"] == "image/jpeg"
    assert thumb.content[:3] == b"\xff\xd8\xff"
    with Image.open(io.BytesIO(thumb.content)) as img:
        assert img.format == "JPEG"
        assert img.width > 0 and img.height > 0


# --- the in-memory fake honours the real adapter's contract ------------------------------------------------------------


@pytest.fixture(params=["emulator", "fake"])
def adapter(request: pytest.FixtureRequest, emulator: StorageEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        tuple[Any, Callable[[], int]]]:
    """(storage, closed_reads) for the real StorageService on the emulator and for FakeStorage."""
    if request.param == "fake":
        fake = FakeStorage(chunk=64 * 1024)
        yield fake, lambda: fake.closed
        return
    real = StorageService(bucket=f"c{uuid.uuid4().hex[:12]}", project="test", emulator_host=emulator.url)
    real.ensure_bucket()
    responses: list[requests.Response] = []
    session = real.client._http
    original = session.get

    def get(*args: Any, **kwargs: Any) -> requests.Response:
        response = original(*args, **kwargs)
        responses.append(response)
        return response

    monkeypatch.setattr(session, "get", get)
    yield real, lambda: sum(1 for r in responses if r.raw.closed)


def test_storage_contract_stat_and_ranged_reads(adapter: tuple[Any, Callable[[], int]]) -> None:
    storage, closed_reads = adapter
    data = bytes(range(256)) * 4000  # 1 MB: several 256 KiB chunks
    info = storage.upload_bytes("media/u/c.mp4", data, content_type="video/mp4")
    stat = storage.stat("media/u/c.mp4")
    assert (stat.size, stat.content_type, stat.etag, stat.generation) == (len(data), "video/mp4", info.etag, info.generation)
    assert stat.updated is not None and stat.updated.tzinfo is not None
    assert b"".join(storage.open_range("media/u/c.mp4", 0, len(data) - 1)) == data
    assert b"".join(storage.open_range("media/u/c.mp4", 1000, 1999, generation=stat.generation)) == data[1000:2000]
    assert b"".join(storage.open_range("media/u/c.mp4", len(data) - 5, len(data) + 100)) == data[-5:]  # clipped
    assert b"".join(storage.open_range("media/u/c.mp4", 5, 4)) == b""
    chunks = list(storage.open_range("media/u/c.mp4", 0, len(data) - 1))
    assert max(len(c) for c in chunks) <= 256 * 1024 and len(chunks) > 1  # bounded chunks
    before = closed_reads()
    unread = storage.open_range("media/u/c.mp4", 0, len(data) - 1)
    unread.close()  # closed before the first chunk: the read is still released
    assert closed_reads() == before + 1
    again = storage.upload_bytes("media/u/c.mp4", data[:3], content_type="video/mp4")
    assert again.etag != info.etag  # a new version, a new validator
    assert storage.stat("media/u/c.mp4").size == 3
    with pytest.raises(NotFound):
        storage.stat("media/u/none.mp4")
    with pytest.raises(NotFound):
        storage.open_range("media/u/none.mp4", 0, 1)


def test_an_object_rewritten_by_another_process_is_served_from_its_new_generation(stack: Stack) -> None:
    """The proxy caches stat results; a rewrite elsewhere (a worker's retry) must not leave it serving the old
    version's headers or a 404: the pinned read of the gone generation fails, the proxy stats afresh."""
    name = f"media/u{uuid.uuid4().hex[:8]}/t{uuid.uuid4().hex[:8]}.mp4"
    path = put(stack, b"a" * 5000, name=name)
    first = stack.api("GET", path, headers={"Range": "bytes=0-9"})
    assert first.status_code == 206 and first.content == b"a" * 10
    s = stack.svc.settings
    elsewhere = StorageService(bucket=s.GCS_BUCKET, project="test", emulator_host=s.STORAGE_EMULATOR_HOST)
    elsewhere.upload_bytes(name, b"b" * 3000, content_type="video/mp4")  # not through the proxy's StorageService
    second = stack.api("GET", path, headers={"Range": "bytes=0-9"})
    assert second.status_code == 206 and second.content == b"b" * 10
    assert second.headers["Content-Range"] == "bytes 0-9/3000"
    assert second.headers["ETag"] != first.headers["ETag"]
    elsewhere.delete(name)
    assert stack.api("GET", path, headers={"Range": "bytes=0-9"}).status_code == 404
