"""common/delivery.py through a real Flask request cycle, over an in-memory storage fake.

`FakeStorage` honours StorageService's stat/open_range contract; the same
contract assertions run against the real adapter and the emulator in
tests/integration/test_proxy.py (`test_storage_contract_*`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import flask
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.http import http_date
from werkzeug.wsgi import ClosingIterator

from common.config import Settings
from common.delivery import MAX_RANGES, attachment, media_response, requested_ranges
from common.errors import NotFound, RangeNotSatisfiable
from common.http import Api, Ctx
from common.runtime import Services, use
from common.storage import ObjectInfo

UPDATED = datetime(2026, 5, 4, 3, 2, 1, 654321, tzinfo=UTC)


class FakeStorage:
    """StorageService's read side in memory: stat and one-read ranged streaming in bounded chunks."""

    def __init__(self, *, chunk: int = 64 * 1024) -> None:
        self.chunk = chunk
        self._objects: dict[str, tuple[bytes, ObjectInfo]] = {}
        self._generation = 0
        self.opened: list[tuple[str, int, int]] = []  # every storage read, (name, start, end)
        self.pulled = 0  # bytes handed out by open_range iterators
        self.closed = 0  # open_range iterators closed

    def upload_bytes(self, name: str, data: bytes, *, content_type: str) -> ObjectInfo:
        self._generation += 1
        generation = str(self._generation)
        info = ObjectInfo(name=name, size=len(data), content_type=content_type, etag=f"{name}@{generation}",
                          updated=UPDATED, generation=generation)
        self._objects[name] = (data, info)
        return info

    def stat(self, name: str) -> ObjectInfo:
        if name not in self._objects:
            raise NotFound("That file does not exist.")
        return self._objects[name][1]

    def open_range(self, name: str, start: int, end: int, *, generation: str | None = None) -> Iterator[bytes]:
        if start < 0 or end < start:
            return iter(())
        if name not in self._objects:
            raise NotFound("That file does not exist.")
        data = self._objects[name][0]
        self.opened.append((name, start, end))
        stop = min(end + 1, len(data))

        def chunks() -> Iterator[bytes]:
            for at in range(start, stop, self.chunk):
                piece = data[at:min(at + self.chunk, stop)]
                self.pulled += len(piece)
                yield piece

        closed = False

        def close() -> None:  # idempotent, like closing a requests response
            nonlocal closed
            if not closed:
                closed, self.closed = True, self.closed + 1

        return ClosingIterator(chunks(), [close])


@pytest.fixture(scope="module")
def installed_services() -> Iterator[None]:
    use(Services(Settings(ENV="test", CORS_ORIGINS="https://studio.example")))  # only CORS is read
    yield
    use(None)


@pytest.fixture
def fake() -> FakeStorage:
    return FakeStorage()


def make_client(fake: FakeStorage) -> Any:
    api = Api("delivery-test")

    @api.route("/m/<path:name>", methods=["GET", "HEAD"], auth="public")
    def serve(ctx: Ctx) -> flask.Response:
        info = fake.stat(ctx.args["name"])
        name = ctx.request.args.get("download")
        return media_response(ctx.request, info=info, storage=fake, download_name=name)

    app = flask.Flask(__name__)
    app.add_url_rule("/<path:path>", "all", lambda path: api(flask.request), methods=["GET", "HEAD"])
    return app.test_client()


@pytest.fixture
def client(fake: FakeStorage, installed_services: None) -> Any:
    return make_client(fake)


DATA = bytes(range(256)) * 40  # 10240 bytes, every offset distinguishable


def expected_slice(data: bytes, start: int, end: int | None) -> bytes:
    return data[start:] if end is None else data[start:end + 1]


def test_full_get_sends_validators_cache_headers_and_the_exact_bytes(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4")
    assert r.status_code == 200
    assert r.data == DATA
    assert r.headers["Content-Length"] == str(len(DATA))
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["Content-Type"] == "video/mp4"
    assert r.headers["ETag"] == '"media/u/a.mp4@1"'
    assert r.headers["Last-Modified"] == http_date(UPDATED)
    assert r.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert fake.opened == [("media/u/a.mp4", 0, len(DATA) - 1)]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-1", 0, 1),
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-240", 10000, 10239),
        ("bytes=10000-999999", 10000, 10239),  # past the end: clipped
        ("bytes=-999999", 0, 10239),  # suffix longer than the object: all of it (werkzeug would 416)
        ("BYTES = 5-5", 5, 5),
        ("bytes=0-0,,", 0, 0),  # empty list elements are allowed
        ("bytes=0-1,99999-", 0, 1),  # one satisfiable range left: a plain 206
    ],
)
def test_single_range_is_a_206_with_exact_content_range_and_one_storage_read(
    fake: FakeStorage, client: Any, header: str, start: int, end: int
) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4", headers={"Range": header})
    assert r.status_code == 206
    assert r.data == DATA[start:end + 1]
    assert r.headers["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert r.headers["Content-Length"] == str(end - start + 1)
    assert fake.opened == [("media/u/a.mp4", start, end)]  # no read from the start of the object


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=10240-10241", "bytes=-0", "bytes=-0,20000-30000"])
def test_unsatisfiable_range_is_416_with_the_size_and_reads_nothing(fake: FakeStorage, client: Any, header: str) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4", headers={"Range": header})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{len(DATA)}"
    assert r.json["error"]["code"] == "range_not_satisfiable"
    assert fake.opened == []


@pytest.mark.parametrize(
    "header",
    ["bytes=abc", "bytes=5-1", "bytes=--1", "bytes=1-2-3", "bytes=0x1-2", "bytes=", "bytes=,", "items=0-1",
     "bytes 0-1", "bytes=0-1,x", "bytes=+1-2", "bytes=\u0661-\u0662"],
)
def test_malformed_or_foreign_range_is_ignored_with_a_full_200(fake: FakeStorage, client: Any, header: str) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4", headers={"Range": header})
    assert r.status_code == 200
    assert r.data == DATA
    assert "Content-Range" not in r.headers


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str, bytes]]:
    """(Content-Type, Content-Range, bytes) of each part, checking the framing byte for byte (RFC 2046)."""
    assert content_type.startswith("multipart/byteranges; boundary=")
    delimiter = b"--" + content_type.split("boundary=", 1)[1].encode()
    tail = b"\r\n" + delimiter + b"--\r\n"
    assert body.startswith(delimiter + b"\r\n") and body.endswith(tail)
    parts = []
    for segment in body[len(delimiter) + 2:-len(tail)].split(b"\r\n" + delimiter + b"\r\n"):
        head, _, payload = segment.partition(b"\r\n\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n"))
        assert set(fields) == {"Content-Type", "Content-Range"}
        parts.append((fields["Content-Type"], fields["Content-Range"], payload))
    return parts


def test_several_ranges_are_an_exact_multipart_byteranges_in_the_order_asked(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4", headers={"Range": "bytes=500-599, 0-9, -10"})
    assert r.status_code == 206
    assert r.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert "Content-Range" not in r.headers
    assert r.headers["Content-Length"] == str(len(r.data))
    assert parse_multipart(r.headers["Content-Type"], r.data) == [
        ("video/mp4", f"bytes 500-599/{len(DATA)}", DATA[500:600]),
        ("video/mp4", f"bytes 0-9/{len(DATA)}", DATA[0:10]),
        ("video/mp4", f"bytes 10230-10239/{len(DATA)}", DATA[-10:]),
    ]
    assert fake.opened == [("media/u/a.mp4", 500, 599), ("media/u/a.mp4", 0, 9), ("media/u/a.mp4", 10230, 10239)]
    head = client.head("/m/media/u/a.mp4", headers={"Range": "bytes=500-599, 0-9, -10"})
    assert head.headers["Content-Length"] == r.headers["Content-Length"]  # boundaries are the same length


@pytest.mark.parametrize(
    "header",
    ["bytes=" + ",".join(f"{i * 10}-{i * 10 + 1}" for i in range(MAX_RANGES + 1)),
     "bytes=0-,0-", "bytes=0-100,50-60", "bytes=-100,10200-10210", "bytes=0-1,1-2"],
)
def test_too_many_or_overlapping_ranges_are_refused_with_416(fake: FakeStorage, client: Any, header: str) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4", headers={"Range": header})
    assert r.status_code == 416
    assert fake.opened == []


def test_adjacent_ranges_are_not_overlapping(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4", headers={"Range": "bytes=0-1,2-3"})
    assert r.status_code == 206
    assert [p[2] for p in parse_multipart(r.headers["Content-Type"], r.data)] == [DATA[0:2], DATA[2:4]]


def test_empty_object_is_200_with_no_body_and_any_range_is_416(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/e.mp4", b"", content_type="video/mp4")
    r = client.get("/m/media/u/e.mp4")
    assert (r.status_code, r.data, r.headers["Content-Length"]) == (200, b"", "0")
    for header in ("bytes=0-0", "bytes=0-", "bytes=-1", "bytes=-0"):
        r = client.get("/m/media/u/e.mp4", headers={"Range": header})
        assert r.status_code == 416, header
        assert r.headers["Content-Range"] == "bytes */0"
    assert fake.opened == []


def test_head_sends_the_get_headers_and_reads_no_bytes(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    full = client.head("/m/media/u/a.mp4")
    assert (full.status_code, full.data, full.headers["Content-Length"]) == (200, b"", str(len(DATA)))
    part = client.head("/m/media/u/a.mp4", headers={"Range": "bytes=-5"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 10235-10239/{len(DATA)}"
    assert part.headers["Content-Length"] == "5"
    assert fake.opened == []


def test_conditional_get_answers_304_for_a_current_copy(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    etag = client.head("/m/media/u/a.mp4").headers["ETag"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'W/{etag}, "other"'}, {"If-None-Match": "*"},
                    {"If-Modified-Since": http_date(UPDATED)},
                    {"If-Modified-Since": http_date(UPDATED + timedelta(days=1))}):
        r = client.get("/m/media/u/a.mp4", headers=headers)
        assert r.status_code == 304, headers
        assert r.data == b""
        assert r.headers["ETag"] == etag
        assert r.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    for headers in ({"If-None-Match": '"other"'}, {"If-Modified-Since": http_date(UPDATED - timedelta(seconds=1))},
                    {"If-None-Match": '"other"', "If-Modified-Since": http_date(UPDATED)},  # If-None-Match wins
                    {"If-Match": '"other"'}):  # not evaluated, and never a 304
        assert client.get("/m/media/u/a.mp4", headers=headers).status_code == 200, headers
    assert len(fake.opened) == 4


def test_if_range_serves_the_range_only_while_the_validator_matches(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    etag = client.head("/m/media/u/a.mp4").headers["ETag"]
    rng = {"Range": "bytes=0-9"}
    for if_range in (etag, http_date(UPDATED)):
        r = client.get("/m/media/u/a.mp4", headers={**rng, "If-Range": if_range})
        assert (r.status_code, r.data) == (206, DATA[:10]), if_range
    for if_range in ('"media/u/a.mp4@0"', f"W/{etag}", etag.strip('"'), http_date(UPDATED - timedelta(seconds=1)),
                     http_date(UPDATED + timedelta(seconds=1))):
        r = client.get("/m/media/u/a.mp4", headers={**rng, "If-Range": if_range})
        assert (r.status_code, r.data) == (200, DATA), if_range
    r = client.get("/m/media/u/a.mp4", headers={"Range": "bytes=99999-", "If-Range": '"old"'})
    assert r.status_code == 200  # a stale validator makes even an unsatisfiable range a full 200


def test_download_adds_an_rfc6266_attachment_disposition(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4?download=sora-a.mp4")
    assert r.headers["Content-Disposition"] == 'attachment; filename="sora-a.mp4"'
    assert attachment('vidéo "1".mp4') == "attachment; filename=\"vid_o _1_.mp4\"; filename*=UTF-8''vid%C3%A9o%20%221%22.mp4"


def test_missing_object_is_404(fake: FakeStorage, client: Any) -> None:
    r = client.get("/m/media/u/none.mp4")
    assert r.status_code == 404
    assert r.json["error"]["code"] == "not_found"


def test_closing_the_response_after_one_chunk_stops_the_storage_read(fake: FakeStorage, client: Any) -> None:
    big = bytes(1024 * 1024)
    fake.upload_bytes("media/u/big.mp4", big, content_type="video/mp4")
    for headers in ({}, {"Range": "bytes=0-99,1000-"}):
        fake.pulled = fake.closed = 0
        r = client.get("/m/media/u/big.mp4", headers=headers, buffered=False)
        body = iter(r.response)
        while fake.pulled == 0:  # a multipart body starts with a part header, then storage bytes
            assert next(body)
        r.close()
        assert fake.closed == 1, headers
        assert fake.pulled <= 2 * fake.chunk, headers


def test_closing_before_the_first_chunk_still_closes_the_storage_read(fake: FakeStorage) -> None:
    info = fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    with flask.Flask(__name__).test_request_context("/m", method="GET"):
        response = media_response(flask.request, info=info, storage=fake)
    assert fake.opened  # the read is open before the status is sent, so a missing object is still a 404
    response.close()  # what a WSGI server does when the client is gone before the first write
    assert (fake.closed, fake.pulled) == (1, 0)


def test_cors_headers_reach_media_responses(fake: FakeStorage, client: Any) -> None:
    fake.upload_bytes("media/u/a.mp4", DATA, content_type="video/mp4")
    r = client.get("/m/media/u/a.mp4", headers={"Origin": "https://studio.example", "Range": "bytes=0-1"})
    assert r.headers["Access-Control-Allow-Origin"] == "https://studio.example"
    assert "Content-Range" in r.headers["Access-Control-Expose-Headers"]


# --- the property: for any object size and any Range form, the answer is the RFC's slice ---------------------------

SIZES = [0, 1, 2, 7, 100, 1000, 70_000]  # 70_000 spans several fake chunks


def rfc_expectation(size: int, spec: tuple[str, int, int]) -> tuple[int, int, int] | None:
    """(status, start, stop) RFC 9110 prescribes for one range-spec, independently of the code under test."""
    form, a, b = spec
    if form == "suffix":
        if a == 0 or size == 0:
            return None
        return 206, max(0, size - a), size
    start = a
    stop = size if form == "open" else min(a + b + 1, size)
    return (206, start, stop) if start < size else None


range_spec = st.one_of(
    st.tuples(st.just("closed"), st.integers(0, 80_000), st.integers(0, 80_000)),
    st.tuples(st.just("open"), st.integers(0, 80_000), st.just(0)),
    st.tuples(st.just("suffix"), st.integers(0, 80_000), st.just(0)),
)


def render(spec: tuple[str, int, int]) -> str:
    form, a, b = spec
    return {"closed": f"{a}-{a + b}", "open": f"{a}-", "suffix": f"-{a}"}[form]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size_index=st.integers(0, len(SIZES) - 1), spec=range_spec, seed=st.integers(0, 255))
def test_any_single_range_answers_the_exact_slice_or_416(
    installed_services: None, size_index: int, spec: tuple[str, int, int], seed: int
) -> None:
    size = SIZES[size_index]
    data = bytes((seed + i * 31) % 256 for i in range(size))
    fake = FakeStorage(chunk=4096)
    fake.upload_bytes("media/u/p.bin", data, content_type="application/octet-stream")
    r = make_client(fake).get("/m/media/u/p.bin", headers={"Range": f"bytes={render(spec)}"})
    expected = rfc_expectation(size, spec)
    if expected is None:
        assert r.status_code == 416
        assert r.headers["Content-Range"] == f"bytes */{size}"
        return
    _, start, stop = expected
    assert r.status_code == 206
    assert r.data == data[start:stop]
    assert r.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{size}"
    assert r.headers["Content-Length"] == str(stop - start)


def test_requested_ranges_keeps_the_order_asked_and_resolves_suffixes() -> None:
    with pytest.raises(RangeNotSatisfiable):
        requested_ranges("bytes=90-, 0-9, -5", 100)  # -5 overlaps 90-
    ranges = requested_ranges("bytes=90-94, 0-9, -5", 100)
    assert ranges is not None
    assert [(r.start, r.stop) for r in ranges] == [(90, 95), (0, 10), (95, 100)]
    assert requested_ranges(None, 100) is None
