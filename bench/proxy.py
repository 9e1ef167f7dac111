"""Media proxy: throughput vs direct storage reads, the proxy's RSS growth, time to first byte at either end.

    .venv/bin/python -m bench.proxy            # 500 MB object (BENCH_PROXY_MB to change)

One storage emulator (on-disk data dir in a temp folder) serves both paths.
The proxy is the functions-framework `proxy` target (gunicorn, THREADS as
Terraform sets it) in a child process, as Cloud Run runs it, so its memory is
measured alone (VmRSS of its process tree sampled every 10 ms). Numbers are
printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench.servers import Child, function_target, terraform_concurrency
from bench.table import row
from localstack.emulator import StorageEmulator

MB = 1024 * 1024
KEY = "bench-media-signing-key-0123456789abcdef"
OBJECT = "media/bench/big.bin"
READ = 1 * MB  # client read size
RESULT: dict[str, float] = {}  # filled by main(): what `python -m bench` tabulates


def drain(url: str, headers: dict[str, str] | None = None) -> tuple[int, float]:
    """Bytes read and seconds taken for one streamed GET."""
    t0 = time.perf_counter()
    total = 0
    with requests.get(url, headers=headers or {}, stream=True, timeout=600) as r:
        r.raise_for_status()
        for chunk in r.iter_content(READ):
            total += len(chunk)
    return total, time.perf_counter() - t0


def ttfb(url: str, headers: dict[str, str]) -> float:
    t0 = time.perf_counter()
    with requests.get(url, headers=headers, stream=True, timeout=600) as r:
        r.raise_for_status()
        next(r.iter_content(1))
        first = time.perf_counter() - t0
        for _ in r.iter_content(READ):
            pass
    return first


def median_of(n: int, fn: Callable[[], float]) -> float:
    return statistics.median(fn() for _ in range(n))


def main() -> int:
    size_mb = int(os.environ.get("BENCH_PROXY_MB", "500"))
    size = size_mb * MB
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        emulator = StorageEmulator(data_dir=Path(tmp) / "storage", bucket="bench").start()
        child: Child | None = None
        try:
            from common.media import MediaSigner
            from common.storage import StorageService

            storage = StorageService(bucket="bench", project="bench", emulator_host=emulator.url)
            storage.ensure_bucket()
            t0 = time.perf_counter()
            with tempfile.TemporaryFile(dir=tmp) as f:
                for i in range(size_mb):
                    f.write(os.urandom(MB) if i < 8 else os.urandom(64 * 1024) * 16)  # random, made quickly
                f.seek(0)
                storage.upload_stream(OBJECT, f, content_type="application/octet-stream", size=size)
            print(f"uploaded {size_mb} MB in {time.perf_counter() - t0:.1f} s")

            env = {"ENV": "development", "STORAGE_EMULATOR_HOST": emulator.url, "GCS_BUCKET": "bench",
                   "MEDIA_SIGNING_KEY": KEY, "DATA_DIR": str(Path(tmp) / "data"), "DB_SNAPSHOT": "false",
                   "CORS_ORIGINS": "", "LOG_LEVEL": "WARNING"}
            child = function_target("proxy", env, threads=terraform_concurrency("proxy"))
            url = child.url + MediaSigner(bucket="bench", keys=lambda: [KEY]).url_for(OBJECT)
            child.wait_port()

            # (1) throughput: straight from storage with the same client code, then through the proxy.
            def direct() -> tuple[int, float]:
                t = time.perf_counter()
                n = sum(len(c) for c in storage.open_range(OBJECT, 0, size - 1))
                return n, time.perf_counter() - t

            direct()  # warm the page cache and the emulator
            drain(url, {"Range": "bytes=0-1048575"})  # warm the proxy: imports, clients, first allocations

            # (2) RSS of the proxy process, sampled while (1) streams the object through it three times.
            assert child is not None
            server = child
            rss_before = server.rss_mb()
            peak = rss_before
            stop = threading.Event()

            def sample() -> None:
                nonlocal peak
                while not stop.is_set():
                    peak = max(peak, server.rss_mb())
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            direct_runs, proxy_runs = [], []
            for _ in range(3):  # interleaved, so both paths see the same machine state; medians reported
                direct_runs.append(direct())
                proxy_runs.append(drain(url))
            stop.set()
            sampler.join()
            d_bytes, d_s = direct_runs[0][0], statistics.median(r[1] for r in direct_runs)
            p_bytes, p_s = proxy_runs[0][0], statistics.median(r[1] for r in proxy_runs)
            assert p_bytes == d_bytes == size, (p_bytes, d_bytes, size)

            # (3) time to first byte, first vs last megabyte.
            first = median_of(5, lambda: ttfb(url, {"Range": f"bytes=0-{MB - 1}"}))
            last = median_of(5, lambda: ttfb(url, {"Range": f"bytes={size - MB}-{size - 1}"}))
            direct_first = median_of(5, lambda: _direct_ttfb(storage, 0, MB - 1))
            direct_last = median_of(5, lambda: _direct_ttfb(storage, size - MB, size - 1))
        finally:
            if child is not None:
                child.stop()
            emulator.stop()

    d_mbs, p_mbs = size / MB / d_s, size / MB / p_s
    growth_mb = peak - rss_before
    rows = [
        ("object", f"{size_mb} MB", ""),
        ("direct storage read (StorageService.open_range), median of 3", f"{d_mbs:8.1f} MB/s", f"{d_s:.2f} s"),
        ("through the proxy (full GET, requests client), median of 3", f"{p_mbs:8.1f} MB/s", f"{p_s:.2f} s"),
        ("proxy / direct throughput", f"{p_mbs / d_mbs:8.0%}", "target >= 80%"),
        ("proxy RSS before -> peak (sampled)", f"{rss_before:.1f} -> {peak:.1f} MB",
         f"growth {growth_mb:.1f} MB (target <= 32 MB)"),
        ("TTFB first 1 MB via proxy (median of 5)", f"{first * 1000:8.1f} ms", ""),
        ("TTFB last 1 MB via proxy (median of 5)", f"{last * 1000:8.1f} ms", ""),
        ("TTFB last / first", f"{last / first:8.2f}", "target <= 1.5"),
        ("TTFB first / last 1 MB direct from storage", f"{direct_first * 1000:.1f} / {direct_last * 1000:.1f} ms",
         "the emulator reads only the range (localstack/storage_server.py)"),
    ]
    width = max(len(r[0]) for r in rows)
    print("\nMedia proxy, full reads (functions-framework `proxy` target)")
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>26}  {note}")
    RESULT.update({"direct_mbs": d_mbs, "proxy_mbs": p_mbs, "size_mb": size_mb})
    row(f"proxy, full {size_mb} MB read (ff `proxy` target)", f"{p_mbs:.0f} MB/s", f"direct storage read {d_mbs:.0f} MB/s",
        f"{p_mbs / d_mbs:.2f} (goal >= 0.8)")
    row("proxy, TTFB last / first 1 MB", f"{last * 1000:.0f} / {first * 1000:.0f} ms", f"direct {direct_last * 1000:.0f} /"
        f" {direct_first * 1000:.0f} ms", f"{last / first:.2f}")
    return 0


def _direct_ttfb(storage: object, start: int, end: int) -> float:
    from common.storage import StorageService

    assert isinstance(storage, StorageService)
    t0 = time.perf_counter()
    body = storage.open_range(OBJECT, start, end)
    next(iter(body))
    first = time.perf_counter() - t0
    for _ in body:
        pass
    return first


if __name__ == "__main__":
    sys.exit(main())
