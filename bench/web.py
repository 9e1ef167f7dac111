"""Bytes a first visit of the login page downloads from the `web` function vs Nginx (printed, never asserted).

    .venv/bin/python -m bench.web          # needs frontend/dist (make frontend-build)

The page is index.html plus the scripts and stylesheets it links (entry, modulepreload, CSS).
Both servers serve the same build: the functions-framework `web` target (WhiteNoise, the
precompressed .br/.gz twins) and Nginx gzipping on the fly as the VPS does. A browser asks
with `Accept-Encoding: gzip, deflate, br`; bytes are counted on the wire (undecoded).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import requests

from bench.servers import ROOT, Child, function_target, nginx_static
from bench.table import row

DIST = ROOT / "frontend" / "dist"
BROWSER = {"Accept-Encoding": "gzip, deflate, br"}


def page_files() -> list[str]:
    html = (DIST / "index.html").read_text()
    links = re.findall(r'<script[^>]*src="([^"]+)"', html) + re.findall(r'<link[^>]*href="([^"]+\.(?:js|css))"', html)
    return ["/", *sorted(set(links))]


def wire_bytes(server: Child, paths: list[str], headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    total, encodings = 0, {}
    for path in paths:
        with requests.get(server.url + path, headers=headers, stream=True, timeout=30) as r:
            r.raise_for_status()
            total += len(r.raw.read(decode_content=False))
            encodings[path] = r.headers.get("Content-Encoding", "identity")
    return total, encodings


def run() -> dict[str, int]:
    if not (DIST / "index.html").exists():
        raise SystemExit("frontend/dist is missing: run `make frontend-build` first")
    paths = page_files()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        Path(tmp).chmod(0o755)
        env = {"ENV": "test", "FRONTEND_DIST": str(DIST), "DATA_DIR": str(Path(tmp) / "data"),
               "DB_SNAPSHOT": "false", "LOG_LEVEL": "WARNING"}
        web = function_target("web", env)
        nginx = nginx_static(DIST, Path(tmp) / "nginx", gzip=True)
        try:
            web.wait_port()
            nginx.wait_port()
            ours, enc = wire_bytes(web, paths, BROWSER)
            plain, _ = wire_bytes(web, paths, {"Accept-Encoding": "identity"})
            base, base_enc = wire_bytes(nginx, paths, BROWSER)
        finally:
            web.stop()
            nginx.stop()
    print(f"\nLogin page, first visit ({len(paths)} files: index.html + linked JS/CSS), bytes on the wire")
    print(f"  web function (WhiteNoise, precompressed): {ours / 1024:7.1f} KB  ({', '.join(sorted(set(enc.values())))})")
    print(f"  web function, client without compression: {plain / 1024:7.1f} KB")
    print(f"  Nginx gzip on the fly (baseline):         {base / 1024:7.1f} KB  ({', '.join(sorted(set(base_enc.values())))})")
    print(f"  ratio web / Nginx: {ours / base:.2f}x (was 2.7x uncompressed)")
    row("login page bytes served by the `web` function", f"{ours / 1024:.0f} KB", f"Nginx gzip {base / 1024:.0f} KB",
        f"{ours / base:.2f}")
    return {"web": ours, "nginx": base, "identity": plain}


def main() -> int:
    run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
