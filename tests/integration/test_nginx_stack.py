"""The VPS Nginx (real binary, slice cache) in front of the real platform.

Every upstream of nginx/sora.conf.tmpl points at the in-process stack (the
real `proxy` function, storage on the emulator). What a player sees through
the cache, and what the proxy and storage see behind it:

* a second player's ranges are answered from the cache: the access log says
  HIT and storage is not asked again;
* a share-bound link is never cached: revoking the share answers 404 on the
  very next request;
* a link whose signing key was rotated out, or whose object was deleted, is
  refused once its cache entry is revalidated (media_cache_valid), by the
  real proxy's signature and object checks.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from common import clock
from localstack.emulator import free_port
from tests.conftest import Stack
from tests.integration.test_nginx import (
    CLIENT_HOST,
    NGINX,
    SAFETY_TIMEOUT_S,
    Backends,
    RunningNginx,
    base_values,
    render_config,
    start_nginx,
)
from tests.integration.test_proxy import StorageCalls
from tests.processes import terminate

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx binary not installed (`make system-deps`)")

VIDEO = random.Random(11).randbytes(2_600_000)  # three 1 MB slices


@pytest.fixture
def edge(stack: Stack, tmp_path: Path) -> Iterator[RunningNginx]:
    """Nginx with every upstream at the stack and cache entries fresh for 1 s."""
    backends = Backends(urls={name: stack.url for name in ("frontend", "auth", "generate", "chat", "proxy",
                                                             "billing", "admin", "worker")})
    port = free_port()
    values = base_values(tmp_path, backends, http_port=port)
    values["media_cache_valid"] = "1s"
    conf = render_config(tmp_path, values)
    proc = start_nginx(tmp_path, conf, port)
    try:
        yield RunningNginx(tmp_path, conf, port)
    finally:
        terminate(proc)


def get(edge: RunningNginx, path: str, byte_range: str | None = None) -> tuple[int, bytes, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=SAFETY_TIMEOUT_S)
    headers = {"Host": CLIENT_HOST}
    if byte_range:
        headers["Range"] = byte_range
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body, dict(response.headers.items())


def put_video(stack: Stack) -> tuple[str, str]:
    name = f"media/u{random.randrange(10**8)}/t1.mp4"
    stack.svc.storage.upload_bytes(name, VIDEO, content_type="video/mp4")
    return name, stack.svc.signer.url_for(name)


def cache_statuses(edge: RunningNginx) -> list[str]:
    return re.findall(r"cache=(\S+)", (edge.prefix / "access.log").read_text())


def wait_for_log_lines(edge: RunningNginx, count: int) -> list[str]:
    """nginx writes the access log after answering: wait until `count` lines are there."""
    deadline = time.monotonic() + SAFETY_TIMEOUT_S
    while len(statuses := cache_statuses(edge)) < count:
        assert time.monotonic() < deadline, f"nginx logged {len(statuses)} of {count} requests"
        time.sleep(0.05)
    return statuses


def wait_for_status(edge: RunningNginx, path: str, status: int) -> tuple[bytes, list[int]]:
    """GET until `status` comes back; every other answer on the way is recorded. Fails past the deadline."""
    seen: list[int] = []
    deadline = time.monotonic() + SAFETY_TIMEOUT_S
    while True:
        got, body, _ = get(edge, path, "bytes=0-99")
        if got == status:
            return body, seen
        seen.append(got)
        assert time.monotonic() < deadline, f"still {got} after {SAFETY_TIMEOUT_S} s: {seen[-5:]}"
        time.sleep(0.2)


def test_a_second_player_is_served_from_the_edge_cache(
    stack: Stack, edge: RunningNginx, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = put_video(stack)
    size = len(VIDEO)
    for first, last in ((0, 99_999), (1_500_000, 1_600_000), (2_500_000, size - 1)):
        status, body, headers = get(edge, url, f"bytes={first}-{last}")
        assert (status, headers["Content-Range"]) == (206, f"bytes {first}-{last}/{size}")
        assert body == VIDEO[first : last + 1]

    calls = StorageCalls(stack.svc.storage, monkeypatch)
    assert wait_for_log_lines(edge, 3) == ["MISS"] * 3
    for first, last in ((1_000_000, 1_100_000), (2_090_000, 2_100_000), (7, 7)):
        status, body, _ = get(edge, url, f"bytes={first}-{last}")
        assert (status, body) == (206, VIDEO[first : last + 1])
    status, body, headers = get(edge, url)
    assert (status, body) == (200, VIDEO)
    assert headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert calls.count == 0, "the proxy read storage for ranges the cache holds"
    assert wait_for_log_lines(edge, 7)[3:] == ["HIT"] * 4


def test_a_link_rotated_out_is_refused_at_revalidation_and_its_successor_works(
    stack: Stack, edge: RunningNginx
) -> None:
    name, old = put_video(stack)
    status, body, _ = get(edge, old, "bytes=0-99")
    assert (status, body) == (206, VIDEO[:100])
    for n in (1, 2):  # two rotations: the old key leaves the grace window
        stack.svc.secrets.put("media-signing-key", f"rotated-key-{n}-0123456789abcdef0123")
    stack.svc.secrets.invalidate()
    body, on_the_way = wait_for_status(edge, old, 403)
    assert json.loads(body)["error"]["code"] == "bad_signature"
    assert set(on_the_way) <= {206}  # the cached bytes, until the entry was revalidated
    for _ in range(3):
        assert get(edge, old, "bytes=0-99")[0] == 403  # never served from the cache again
    fresh = stack.svc.signer.url_for(name)
    assert fresh != old
    status, body, _ = get(edge, fresh, "bytes=0-99")
    assert (status, body) == (206, VIDEO[:100])


def test_a_deleted_objects_link_is_refused_at_revalidation(stack: Stack, edge: RunningNginx) -> None:
    name, url = put_video(stack)
    assert get(edge, url, "bytes=0-99")[:2] == (206, VIDEO[:100])
    stack.svc.storage.delete(name)
    body, on_the_way = wait_for_status(edge, url, 404)
    assert set(on_the_way) <= {206}
    assert json.loads(body)["error"]["code"] == "not_found"


def test_a_revoked_share_link_is_404_on_the_next_request(stack: Stack, edge: RunningNginx) -> None:
    name, _ = put_video(stack)
    task = {"_id": f"share-edge-{random.randrange(10**8)}", "user_id": "u-edge", "type": "video",
            "status": "COMPLETED", "result": {"object": name}, "share_token": None, "created_at": clock.now()}
    stack.svc.db.tasks.insert_one(task)
    token = stack.svc.shares.share(task).rsplit("/", 1)[1]
    url = stack.svc.signer.url_for(name, share=token)
    for _ in range(2):  # a second request would be a HIT if share links were cached
        status, body, _ = get(edge, url, "bytes=0-99")
        assert (status, body) == (206, VIDEO[:100])
    stack.svc.shares.revoke(task)
    status, body, _ = get(edge, url, "bytes=0-99")  # no waiting: media_cache_valid plays no part
    assert status == 404, body
    assert json.loads(body)["error"]["code"] == "not_found"
    assert "HIT" not in wait_for_log_lines(edge, 3)
