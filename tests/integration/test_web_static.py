"""The `web` function serves the built frontend as Nginx would: precompressed bytes, immutable hashed assets,
a revalidated index.html, 304s; through functions_framework.create_app("web"), as Cloud Run loads it."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import brotli
import functions_framework
import pytest
from flask.testing import FlaskClient

from common.runtime import Services, use
from localstack.emulator import StorageEmulator
from tests.conftest import make_settings

MAIN = str(Path(__file__).resolve().parents[2] / "main.py")
JS = b"console.log('sora');\n" * 200
INDEX = b"<!doctype html><html><head><script type=module src=/assets/app-3f9a1c.js></script></head></html>"


@pytest.fixture
def web(emulator: StorageEmulator, tmp_path: Path) -> Iterator[FlaskClient]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_bytes(INDEX)
    (dist / "assets" / "app-3f9a1c.js").write_bytes(JS)
    # What frontend/scripts/precompress.mjs writes beside each file.
    (dist / "assets" / "app-3f9a1c.js.gz").write_bytes(gzip.compress(JS))
    (dist / "assets" / "app-3f9a1c.js.br").write_bytes(brotli.compress(JS))
    svc = Services(make_settings(emulator, tmp_path, FRONTEND_DIST=dist, ENV="test"))
    use(svc)
    yield functions_framework.create_app("web", MAIN).test_client()
    use(None)
    svc.close()


def test_hashed_assets_are_precompressed_and_immutable(web: FlaskClient) -> None:
    client = web
    br = client.get("/assets/app-3f9a1c.js", headers={"Accept-Encoding": "gzip, br"})
    assert br.status_code == 200
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == JS and len(br.data) < len(JS) / 10
    assert br.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Accept-Encoding" in br.headers["Vary"]
    gz = client.get("/assets/app-3f9a1c.js", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == JS
    plain = client.get("/assets/app-3f9a1c.js")
    assert "Content-Encoding" not in plain.headers and plain.data == JS
    assert plain.headers["Content-Type"].startswith("text/javascript")
    again = client.get("/assets/app-3f9a1c.js", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    head = client.head("/assets/app-3f9a1c.js", headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and head.data == b"" and int(head.headers["Content-Length"]) == len(br.data)


def test_index_and_app_routes_are_revalidated_and_unknown_files_are_404(web: FlaskClient) -> None:
    client = web
    for path in ("/", "/index.html", "/video", "/gallery/some-task"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.data == INDEX
        assert r.headers["Cache-Control"] == "no-cache"
        assert r.headers["Content-Type"].startswith("text/html")
        assert "Content-Security-Policy" in r.headers
    missing = client.get("/assets/gone-123.js")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/../pyproject.toml").status_code == 404
