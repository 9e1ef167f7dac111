"""What one instance really serves at once, against Terraform's declared concurrency (printed, never asserted).

    .venv/bin/python -m bench.concurrency       # BENCH_HOLD_S=2

For `generate` and `proxy`, one instance runs as Cloud Run runs it
(`functions-framework --target=<name>`, gunicorn), once with THREADS as
Terraform sets it and once with the framework's default (cpu x 4). Then:

- held requests: as many requests as Terraform's `concurrency` at once, each
  holding its thread for BENCH_HOLD_S (as a chat stream or a slow player does;
  `bench/hold_main.py`). Served concurrency = requests x hold / wall time.
- proxy, slow players: `concurrency` - 1 players stream a video at 200 KB/s; then
  a 1 KB range is timed. With too few threads it waits until a player leaves.
- auth, memory: `concurrency` registrations at once (argon2id, 64 MiB each);
  peak RSS of the instance against Terraform's memory limit.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench.servers import TERRAFORM, Child, function_target, terraform_concurrency
from bench.table import row
from localstack.emulator import StorageEmulator

KEY = "bench-media-signing-key-0123456789abcdef"
OBJECT = "media/bench/video.mp4"
MB = 1024 * 1024
HOLD_S = float(os.environ.get("BENCH_HOLD_S", "2"))


def terraform_memory_mb(service: str) -> int:
    match = re.search(rf'^\s*{service}\s*=\s*\{{[^}}]*memory\s*=\s*"(\d+)(Mi|Gi)"', TERRAFORM.read_text(), re.M)
    if match is None:
        raise ValueError(service)
    return int(match.group(1)) * (1024 if match.group(2) == "Gi" else 1)


def held(server: Child, n: int) -> float:
    """Served concurrency: n requests holding HOLD_S each, sent at once."""
    def one(_: int) -> None:
        requests.get(f"{server.url}/bench/hold", params={"s": HOLD_S}, timeout=600).raise_for_status()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(one, range(n)))
    return n * HOLD_S / (time.perf_counter() - t0)


PROBE_TIMEOUT_S = 20.0


def slow_players(server: Child, path: str, n: int, size: int) -> tuple[int, float | None]:
    """(players that received bytes within 3 s, seconds a 1 KB range took meanwhile, None: no answer in 20 s)."""
    stop = threading.Event()
    started = [0]
    lock = threading.Lock()

    def player(i: int) -> None:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        first = random.Random(i).randrange(0, size // 2)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nRange: bytes={first}-\r\n\r\n".encode())
        got = False
        try:
            while not stop.is_set():
                if not sock.recv(16 * 1024):
                    break
                if not got:
                    got = True
                    with lock:
                        started[0] += 1
                time.sleep(16 * 1024 / (200 * 1024))  # 200 KB/s
        except OSError:
            pass
        finally:
            sock.close()

    threads = [threading.Thread(target=player, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(3)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=PROBE_TIMEOUT_S)
    t0 = time.perf_counter()
    probe: float | None
    try:
        conn.request("GET", path, headers={"Range": "bytes=0-1023"})
        body = conn.getresponse().read()
        probe = time.perf_counter() - t0 if len(body) == 1024 else None
    except OSError:
        probe = None
    conn.close()
    with lock:
        served = started[0]
    stop.set()
    for t in threads:
        t.join(10)
    return served, probe


def auth_memory(server: Child, n: int) -> tuple[float, float, float]:
    """(idle RSS MB, peak RSS MB, seconds) for n registrations at once."""
    idle = server.rss_mb()
    peak = [idle]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], server.rss_mb())
            time.sleep(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        codes = list(pool.map(lambda i: requests.post(f"{server.url}/api/auth/register", timeout=600, json={
            "email": f"c{i}-{random.randrange(10**9)}@example.com", "password": "password-123"}).status_code, range(n)))
    if codes.count(201) != n:
        raise RuntimeError(f"registrations answered {sorted(set(codes))}: the measure would not be {n} hashes")
    took = time.perf_counter() - t0
    done.set()
    sampler.join()
    return idle, peak[0], took


def main() -> int:
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp_name:
        tmp = Path(tmp_name)
        emulator = StorageEmulator(data_dir=tmp / "storage", bucket="bench").start()
        try:
            from common.media import MediaSigner
            from common.storage import StorageService

            size = 64 * MB
            StorageService(bucket="bench", project="bench", emulator_host=emulator.url).upload_bytes(
                OBJECT, random.Random(3).randbytes(size), content_type="video/mp4")
            signed = MediaSigner(bucket="bench", keys=lambda: [KEY]).url_for(OBJECT)
            env = {"ENV": "development", "STORAGE_EMULATOR_HOST": emulator.url, "GCS_BUCKET": "bench",
                   "MEDIA_SIGNING_KEY": KEY, "DB_SNAPSHOT": "false", "CORS_ORIGINS": "", "LOG_LEVEL": "WARNING"}
            for target in ("generate", "proxy"):
                declared = terraform_concurrency(target)
                for label, threads in ((f"THREADS={declared} (terraform)", declared), ("default threads", None)):
                    server = _start(target, {**env, "DATA_DIR": str(tmp / f"{target}-{threads}")}, threads)
                    try:
                        server.wait_ready("/bench/hold?s=0")
                        served = held(server, declared)
                        print("  ", target, label, f"{served:.1f}", flush=True)
                        rows.append((target, label, f"{declared} held {HOLD_S:.0f} s requests",
                                     f"{served:.1f} served at once ({served / declared:.0%} of {declared})"))
                        if target == "proxy":
                            # Cloud Run sends at most `declared` requests at once: players fill all but one slot.
                            players, probe = slow_players(server, signed, declared - 1, size)
                            rows.append((target, label, f"{declared - 1} players at 200 KB/s + a 1 KB range",
                                         f"{players} streaming; 1 KB range took "
                                         + (f"{probe * 1000:.0f} ms" if probe is not None
                                            else f"> {PROBE_TIMEOUT_S:.0f} s (no thread free)")))
                    finally:
                        server.stop()
            declared = terraform_concurrency("auth")
            # 40 sign-ups from one address: the limiter would refuse most; the hashes are what is measured.
            server = _start("auth", {**env, "DATA_DIR": str(tmp / "auth"), "RATE_LIMITS_ENABLED": "false"}, declared)
            try:
                server.wait_ready("/bench/hold?s=0")
                idle, peak, took = auth_memory(server, declared)
                rows.append(("auth", f"THREADS={declared} (terraform)", f"{declared} registrations at once (argon2id)",
                             f"RSS {idle:.0f} -> peak {peak:.0f} MB of {terraform_memory_mb('auth')} MB; {took:.1f} s"))
            finally:
                server.stop()
        finally:
            emulator.stop()
    print("\nConcurrency one instance serves (functions-framework + gunicorn, one worker)")
    for target, label, load, result in rows:
        print(f"  {target:<9} {label:<26} {load:<40} {result}")
    by = {(t, lab.split(" ")[0], ld.split(" ")[1]): res for t, lab, ld, res in rows}
    for target in ("generate", "proxy"):
        declared = terraform_concurrency(target)
        row(f"{target}: {declared} requests holding {HOLD_S:.0f} s at once (Terraform concurrency {declared})",
            by[(target, f"THREADS={declared}", "held")].split(" (")[0] + f" with THREADS={declared}",
            "default threads: " + by[(target, "default", "held")].split(" (")[0], "")
    row("proxy: a 1 KB range while 79 players stream at 200 KB/s", by[("proxy", "THREADS=80", "players")].split("; ")[1],
        "default threads: " + by[("proxy", "default", "players")].split("; ")[1], "")
    row("auth: 40 registrations at once (argon2id 64 MiB each)", rows[-1][3], f"limit {terraform_memory_mb('auth')} MB", "")
    return 0


def _start(target: str, env: dict[str, str], threads: int | None) -> Child:
    return function_target(target, env, threads=threads, source="bench/hold_main.py")


if __name__ == "__main__":
    sys.exit(main())
