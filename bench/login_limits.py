"""Login limits under a flood: 200 logins from one client IP, and a normal user on another IP meanwhile.

    .venv/bin/python -m bench.login_limits     # BENCH_LOGINS=200 to change the flood

The local stack (`python -m localstack`, the production defaults for rate limits and login
throttling) runs as a child process on loopback. The attacker connects from 127.0.0.2 and sends
BENCH_LOGINS wrong passwords for a real account (8 at a time); the owner connects from 127.0.0.3
and signs in once before the flood (the baseline), then BENCH_HONEST times during it. Printed:
how many answers were 401 / 429 and after which attempt the first 429 came, the owner's answers
and latencies during the flood against the baseline before it. Loopback only; numbers are
printed, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from bench.servers import local_stack
from bench.table import row
from localstack.emulator import StorageEmulator

ATTACKER, OWNER, SPRAYER = "127.0.0.2", "127.0.0.3", "127.0.0.4"
EMAIL, PASSWORD = "owner@example.com", "owner-password-1"


class _From(HTTPAdapter):
    def __init__(self, ip: str) -> None:
        self._ip = ip
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self._ip, 0)
        super().init_poolmanager(*args, **kwargs)  # type: ignore[arg-type]


def session_from(ip: str) -> requests.Session:
    s = requests.Session()
    s.mount("http://", _From(ip))
    return s


def login(s: requests.Session, url: str, password: str, email: str = EMAIL) -> tuple[int, float]:
    t0 = time.perf_counter()
    r = s.post(url + "/api/auth/login", json={"email": email, "password": password}, timeout=60)
    return r.status_code, time.perf_counter() - t0


def main() -> int:
    logins = int(os.environ.get("BENCH_LOGINS", "200"))
    honest_n = int(os.environ.get("BENCH_HONEST", "5"))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        emulator = StorageEmulator(bucket="bench").start()
        stack = local_stack({"ENV": "development", "STORAGE_EMULATOR_HOST": emulator.url, "GCS_BUCKET": "bench",
                             "DATA_DIR": str(tmp / "data"), "DB_SNAPSHOT": "false", "LOG_LEVEL": "WARNING"})
        try:
            stack.wait_ready("/api/health")
            owner = session_from(OWNER)
            r = owner.post(stack.url + "/api/auth/register", json={"email": EMAIL, "password": PASSWORD}, timeout=60)
            assert r.status_code == 201, r.text
            baseline = [login(owner, stack.url, PASSWORD) for _ in range(honest_n)]

            codes: list[int] = [0] * logins
            attacker = session_from(ATTACKER)
            started = time.perf_counter()
            honest: list[tuple[int, float]] = []

            def owner_during_flood() -> None:
                for _ in range(honest_n):
                    honest.append(login(owner, stack.url, PASSWORD))
                    time.sleep(0.2)

            side = threading.Thread(target=owner_during_flood)
            side.start()
            with ThreadPoolExecutor(max_workers=8) as pool:
                for i, (code, _) in enumerate(pool.map(lambda _: login(attacker, stack.url, "wrong-guess"), range(logins))):
                    codes[i] = code
            flood_s = time.perf_counter() - started
            side.join()
            # Second member: a spray over many (unknown) accounts from a third IP meets the per-IP limits.
            sprayer = session_from(SPRAYER)
            with ThreadPoolExecutor(max_workers=8) as pool:
                spray = list(pool.map(lambda i: login(sprayer, stack.url, "Summer2026!", f"user{i}@example.com")[0],
                                      range(logins)))
        finally:
            stack.stop()
            emulator.stop()

    counts = Counter(codes)
    first_429 = next((i + 1 for i, c in enumerate(codes) if c == 429), None)
    print(f"attacker {ATTACKER}: {logins} wrong-password logins in {flood_s:.1f} s: "
          f"{counts.get(401, 0)}x401, {counts.get(429, 0)}x429, other {sum(v for k, v in counts.items() if k not in (401, 429))}; "
          f"first 429 at attempt {first_429}")
    spray_counts = Counter(spray)
    print(f"sprayer {SPRAYER}: {logins} logins to {logins} different accounts: "
          f"{spray_counts.get(401, 0)}x401, {spray_counts.get(429, 0)}x429")
    base_ms = statistics.median(t for _, t in baseline) * 1000
    during_ms = statistics.median(t for _, t in honest) * 1000 if honest else float("nan")
    print(f"owner {OWNER}: before the flood {[c for c, _ in baseline]} median {base_ms:.0f} ms; "
          f"during it {[c for c, _ in honest]} median {during_ms:.0f} ms")
    row("logins from one IP answered 429", f"{counts.get(429, 0)}/{logins}", "0 (no limit)", f"first at #{first_429}")
    row("logins to many accounts from one IP answered 429", f"{spray_counts.get(429, 0)}/{logins}", "0 (no limit)", "-")
    row("owner's login on another IP, median ms", f"{during_ms:.0f}", f"{base_ms:.0f} (before the flood)",
        f"{during_ms / base_ms:.2f}x" if base_ms else "-")
    return 0


if __name__ == "__main__":
    sys.exit(main())
