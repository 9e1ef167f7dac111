"""Players against the media proxy: N players x M random 1 MB ranges, vs Nginx serving the same file.

    .venv/bin/python -m bench.proxy_load      # BENCH_PLAYERS=20 BENCH_RANGES=10 BENCH_RANGE_OBJECT_MB=32 BENCH_ROUNDS=3

Servers (child processes, loopback): Nginx static on a copy of the object (the baseline), the
functions-framework `proxy` target (gunicorn, THREADS as Terraform sets it, and the framework's
default), and the local stack (`python -m localstack`). One storage emulator holds the object.
Rounds are interleaved (every server once per round); medians of the rounds are printed. CPU per
request is the server's process tree CPU (the emulator's separately). Printed, never asserted.
"""

from __future__ import annotations

import http.client
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.servers import Child, function_target, local_stack, nginx_static, terraform_concurrency
from bench.table import row
from localstack.emulator import StorageEmulator

MB = 1024 * 1024
KEY = "bench-media-signing-key-0123456789abcdef"
OBJECT = "media/bench/video.mp4"


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU per request
    emulator_cpu_ms: float
    errors: int


def players(port: int, path: Callable[[], str], *, n_players: int, n_ranges: int, size: int, seed: int) -> tuple[list[float], int, float]:
    """(latencies, errors, wall seconds): each player opens one keep-alive connection and reads its ranges in turn."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = threading.Barrier(n_players + 1)

    def player(i: int) -> None:
        nonlocal errors
        rnd = random.Random(seed * 1000 + i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        bad = 0
        start.wait()
        for _ in range(n_ranges):
            first = rnd.randrange(0, size - MB)
            t0 = time.perf_counter()
            try:
                conn.request("GET", path(), headers={"Range": f"bytes={first}-{first + MB - 1}"})
                response = conn.getresponse()
                body = response.read()
                if response.status != 206 or len(body) != MB:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=player, args=(i,)) for i in range(n_players)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - t0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(server: Child, emulator: StorageEmulator, path: Callable[[], str], *, size: int, seed: int) -> Load:
    n_players = int(os.environ.get("BENCH_PLAYERS", "20"))
    n_ranges = int(os.environ.get("BENCH_RANGES", "10"))
    emu = Child.__new__(Child)
    emu.process = emulator.process  # type: ignore[assignment]
    cpu0, ecpu0 = server.cpu_s(), emu.cpu_s()
    latencies, errors, wall = players(server.port, path, n_players=n_players, n_ranges=n_ranges, size=size, seed=seed)
    n = len(latencies)
    return Load(rps=n / wall, p50_ms=pct(latencies, 0.5) * 1000, p99_ms=pct(latencies, 0.99) * 1000,
                cpu_ms=(server.cpu_s() - cpu0) / n * 1000, emulator_cpu_ms=(emu.cpu_s() - ecpu0) / n * 1000, errors=errors)


def run() -> dict[str, Load]:
    """{server name: median Load over the rounds}."""
    size_mb = int(os.environ.get("BENCH_RANGE_OBJECT_MB", "32"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    size = size_mb * MB
    threads = terraform_concurrency("proxy")
    with tempfile.TemporaryDirectory(prefix="bench-proxy-load-") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # nginx's workers run as an unprivileged user when started by root
        emulator = StorageEmulator(data_dir=tmp / "storage", bucket="bench").start()
        servers: dict[str, Child] = {}
        try:
            from common.media import MediaSigner
            from common.storage import StorageService

            data = random.Random(7).randbytes(size)
            StorageService(bucket="bench", project="bench", emulator_host=emulator.url).upload_bytes(
                OBJECT, data, content_type="video/mp4")
            static = tmp / "static"
            (static / "media" / "bench").mkdir(parents=True)
            (static / OBJECT).write_bytes(data)
            del data
            env = {"ENV": "development", "STORAGE_EMULATOR_HOST": emulator.url, "GCS_BUCKET": "bench",
                   "MEDIA_SIGNING_KEY": KEY, "DATA_DIR": str(tmp / "data"), "DB_SNAPSHOT": "false", "CORS_ORIGINS": "",
                   "LOG_LEVEL": "WARNING"}
            signed = MediaSigner(bucket="bench", keys=lambda: [KEY]).url_for(OBJECT)
            servers["nginx static"] = nginx_static(static, tmp / "nginx")
            servers[f"ff proxy THREADS={threads}"] = function_target("proxy", env, threads=threads)
            servers["ff proxy default threads"] = function_target("proxy", env)
            servers["local stack"] = local_stack(env)
            paths = {name: (lambda: "/" + OBJECT) if name == "nginx static" else (lambda: signed) for name in servers}
            for name, server in servers.items():
                server.wait_ready("/" + OBJECT if name == "nginx static" else signed)
                players(server.port, paths[name], n_players=4, n_ranges=5, size=size, seed=0)  # warm-up
            results: dict[str, list[Load]] = {name: [] for name in servers}
            for r in range(rounds):
                for name, server in servers.items():
                    results[name].append(measure(server, emulator, paths[name], size=size, seed=r + 1))
        finally:
            for server in servers.values():
                server.stop()
            emulator.stop()
    return {name: Load(*(statistics.median(getattr(x, f) for x in loads) for f in Load.__dataclass_fields__))  # type: ignore[arg-type]
            for name, loads in results.items()}


def report(result: dict[str, Load]) -> None:
    base = result["nginx static"]
    players_, ranges = os.environ.get("BENCH_PLAYERS", "20"), os.environ.get("BENCH_RANGES", "10")
    print(f"\nProxy under players: {players_} players x {ranges} random 1 MB ranges, medians of"
          f" {os.environ.get('BENCH_ROUNDS', '3')} interleaved rounds")
    print(f"  {'server':<28} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} {'emulator CPU':>13}"
          f" {'errors':>7} {'req/s vs nginx':>15}")
    for name, x in result.items():
        print(f"  {name:<28} {x.rps:7.0f} {x.p50_ms:8.1f} {x.p99_ms:8.1f} {x.cpu_ms:11.2f} {x.emulator_cpu_ms:13.2f}"
              f" {x.errors:7.0f} {x.rps / base.rps:14.2f}x")
    print("  goal: the functions-framework proxy >= 0.5x nginx req/s with p99 <= 100 ms")
    nginx = f"Nginx static {base.rps:.0f} req/s, p99 {base.p99_ms:.0f} ms, {base.cpu_ms:.2f} ms CPU/req"
    for name, x in result.items():
        if name == "nginx static":
            continue
        where = "local stack" if name == "local stack" else f"ff `proxy` target, {name.removeprefix('ff proxy ')}"
        row(f"proxy, {players_} players x {ranges} random 1 MB ranges ({where})",
            f"{x.rps:.0f} req/s, p99 {x.p99_ms:.0f} ms, {x.cpu_ms:.2f} ms CPU/req (+{x.emulator_cpu_ms:.2f} emulator)",
            nginx, f"{x.rps / base.rps:.2f}")


def main() -> int:
    report(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
