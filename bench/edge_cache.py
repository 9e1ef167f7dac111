"""The VPS Nginx slice cache (issue 14, item 3): players through the rendered proxy template, cache warm.

    .venv/bin/python -m bench.edge_cache     # BENCH_PLAYERS=20 BENCH_RANGES=10 BENCH_RANGE_OBJECT_MB=32 BENCH_ROUNDS=3

Servers (child processes, loopback; the same players as bench.proxy_load):
  * nginx static     - the system nginx serving a copy of the object (the baseline);
  * edge cache warm  - nginx/sora.conf.tmpl rendered as on the VPS (slice cache on), its upstreams
                       at the functions-framework `proxy` target; every slice cached before measuring;
  * edge, no cache   - the same template with media_cache_enabled=false (every range reaches the proxy);
  * ff proxy         - the `proxy` target alone.
Rounds are interleaved; medians printed, with the proxy's CPU per request behind the edge (0 when
every range is a cache hit). Printed, never asserted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import statistics
import sys
import tempfile
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from bench.proxy_load import KEY, MB, OBJECT, Load, measure, players
from bench.servers import ROOT, Child, function_target, nginx_static, terraform_concurrency
from localstack.emulator import StorageEmulator, free_port


def edge(work: Path, upstream: str, *, cache: bool) -> Child:
    """nginx running the production template with every upstream at `upstream`."""
    spec = importlib.util.spec_from_file_location("sora_nginx_render", ROOT / "nginx" / "render.py")
    assert spec and spec.loader
    render: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    work.mkdir(parents=True, exist_ok=True)
    (work / "tmp").mkdir(exist_ok=True)
    port = free_port()
    values = render.build_values({
        **{f"{name}_upstream": upstream for name in render.UPSTREAMS},
        "listen_address": "127.0.0.1", "http_port": port, "worker_processes": "auto",
        "worker_user": "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody"),
        "pid_path": str(work / "nginx.pid"), "error_log": str(work / "error.log"), "access_log": "/dev/null",
        "temp_dir": str(work / "tmp"), "acme_webroot": str(work), "resolver": "127.0.0.1",
        "http2_directive": False, "media_cache_enabled": cache, "media_cache_path": str(work / "cache"),
        "media_conn_limit": 10_000,  # every bench player shares 127.0.0.1
    })
    conf = work / "nginx.conf"
    conf.write_text(render.render((ROOT / "nginx" / "sora.conf.tmpl").read_text(), values))
    exe = "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "nginx"
    return Child([exe, "-p", str(work), "-c", str(conf), "-g", "daemon off;"], port=port)


def run() -> tuple[dict[str, Load], float]:
    """({server: median Load}, the proxy's CPU ms per request while behind the warm cache)."""
    size = int(os.environ.get("BENCH_RANGE_OBJECT_MB", "32")) * MB
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    with tempfile.TemporaryDirectory(prefix="bench-edge-cache-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)
        emulator = StorageEmulator(data_dir=tmp / "storage", bucket="bench").start()
        servers: dict[str, Child] = {}
        behind_cache: list[float] = []
        try:
            from common.media import MediaSigner
            from common.storage import StorageService

            data = random.Random(7).randbytes(size)
            StorageService(bucket="bench", project="bench", emulator_host=emulator.url).upload_bytes(
                OBJECT, data, content_type="video/mp4")
            (tmp / "static" / "media" / "bench").mkdir(parents=True)
            (tmp / "static" / OBJECT).write_bytes(data)
            del data
            env = {"ENV": "development", "STORAGE_EMULATOR_HOST": emulator.url, "GCS_BUCKET": "bench",
                   "MEDIA_SIGNING_KEY": KEY, "DATA_DIR": str(tmp / "data"), "DB_SNAPSHOT": "false",
                   "CORS_ORIGINS": "", "LOG_LEVEL": "WARNING"}
            signed = MediaSigner(bucket="bench", keys=lambda: [KEY]).url_for(OBJECT)
            proxy = function_target("proxy", env, threads=terraform_concurrency("proxy"))
            servers["nginx static"] = nginx_static(tmp / "static", tmp / "nginx-static")
            servers["edge cache warm"] = edge(tmp / "edge-cache", proxy.url, cache=True)
            servers["edge, no cache"] = edge(tmp / "edge-nocache", proxy.url, cache=False)
            servers["ff proxy"] = proxy
            paths = {name: (lambda: "/" + OBJECT) if name == "nginx static" else (lambda: signed) for name in servers}
            for name, server in servers.items():
                server.wait_ready("/" + OBJECT if name == "nginx static" else signed)
            # Warm the cache: one whole read stores every slice.
            conn = HTTPConnection("127.0.0.1", servers["edge cache warm"].port, timeout=120)
            conn.request("GET", signed)
            conn.getresponse().read()
            conn.close()
            for name, server in servers.items():
                players(server.port, paths[name], n_players=4, n_ranges=5, size=size, seed=0)
            results: dict[str, list[Load]] = {name: [] for name in servers}
            for r in range(rounds):
                for name, server in servers.items():
                    cpu0 = proxy.cpu_s()
                    load = measure(server, emulator, paths[name], size=size, seed=r + 1)
                    results[name].append(load)
                    if name == "edge cache warm":
                        behind_cache.append((proxy.cpu_s() - cpu0) * 1000)
        finally:
            for server in servers.values():
                server.stop()
            emulator.stop()
    medians = {name: Load(*(statistics.median(getattr(x, f) for x in loads) for f in Load.__dataclass_fields__))  # type: ignore[arg-type]
               for name, loads in results.items()}
    return medians, statistics.median(behind_cache)


def report(result: dict[str, Load], proxy_cpu_ms_behind_cache: float) -> None:
    base = result["nginx static"]
    print(f"\nEdge slice cache: {os.environ.get('BENCH_PLAYERS', '20')} players x {os.environ.get('BENCH_RANGES', '10')}"
          f" random 1 MB ranges, medians of {os.environ.get('BENCH_ROUNDS', '3')} interleaved rounds")
    print(f"  {'server':<18} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} {'errors':>7} {'req/s vs nginx':>15}")
    for name, x in result.items():
        print(f"  {name:<18} {x.rps:7.0f} {x.p50_ms:8.1f} {x.p99_ms:8.1f} {x.cpu_ms:11.2f} {x.errors:7.0f}"
              f" {x.rps / base.rps:14.2f}x")
    print(f"  proxy CPU behind the warm cache, per round: {proxy_cpu_ms_behind_cache:.1f} ms (0 = no request reached it)")
    print(json.dumps({"edge_cache_vs_nginx_static": round(result["edge cache warm"].rps / base.rps, 2)}))


def main() -> int:
    report(*run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
