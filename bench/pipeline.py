"""Pipeline overhead, burst throughput against the bare-work ceiling, and fairness (printed, never asserted).

`python -m bench.pipeline` (make bench). SIM_DURATION_S=0, so what is measured
is the platform itself: API → task document → queue → worker → provider →
storage → COMPLETED. The baseline is the bare work a task cannot avoid:
rendering the sim PNG, its thumbnail and uploading both. Every round measures
the baseline and the platform back to back (interleaved), so both see the same
machine; medians over the rounds are printed. The data dir is a temporary
directory removed at the end.

    BENCH_TASKS=200 BENCH_USERS=20 BENCH_SEQUENTIAL=40 BENCH_ROUNDS=3
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.table import row
from common.config import Settings
from common.logging_setup import configure_logging
from common.providers.sim import render_png
from common.runtime import Services, use
from common.thumbnails import image_thumbnail
from localstack.app import create_app
from localstack.emulator import StorageEmulator, free_port
from localstack.server import make_server

N_BURST = int(os.environ.get("BENCH_TASKS", "200"))
N_USERS = int(os.environ.get("BENCH_USERS", "20"))
N_SEQUENTIAL = int(os.environ.get("BENCH_SEQUENTIAL", "40"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
DELIVERY_CONCURRENCY = 8  # LocalQueue's default: deliveries in flight at once


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Round:
    baseline_ms: float  # one bare work, sequential, median
    client_ms: float  # POST -> sees COMPLETED, sequential, median
    client_p95_ms: float
    ceiling_tps: float  # bare work, DELIVERY_CONCURRENCY threads
    burst_tps: float
    burst_latency_ms: float  # per task, median
    burst_ok: int
    lone_ms: float  # one task of a second user submitted after another user's burst
    heavy_wall_ms: float  # that burst's wall time


class Bench:
    def __init__(self, svc: Services, base: str) -> None:
        self.svc = svc
        self.base = base
        self.n = 0

    def bare_work(self) -> None:
        self.n += 1
        png, _, _ = render_png(f"baseline {self.n}", "1:1")
        self.svc.storage.upload_bytes(f"media/bench/b{self.n}.png", png, content_type="image/png")
        self.svc.storage.upload_bytes(f"media/bench/b{self.n}.thumb.jpg", image_thumbnail(png), content_type="image/jpeg")

    def register(self) -> str:
        r = requests.post(f"{self.base}/api/auth/register",
                          json={"email": f"b{uuid.uuid4().hex[:10]}@example.com", "password": "password-123"}, timeout=60)
        return str(r.json()["token"])

    def run_one(self, session: requests.Session, token: str, prompt: str) -> tuple[float, str]:
        headers = {"Authorization": f"Bearer {token}"}
        t0 = time.perf_counter()
        task = session.post(f"{self.base}/api/ai/image", json={"prompt": prompt}, headers=headers, timeout=60).json()
        deadline = t0 + 300
        while time.perf_counter() < deadline:
            state = session.get(f"{self.base}/api/ai/tasks/{task['id']}", headers=headers, timeout=60).json()
            if state["status"] in ("COMPLETED", "FAILED"):
                return time.perf_counter() - t0, str(state["status"])
            time.sleep(0.01)
        return time.perf_counter() - t0, "TIMEOUT"

    def round(self, tokens: list[str], heavy: str, lone: str) -> Round:
        # (1) sequential, one task at a time, each next to one bare work.
        session = requests.Session()
        baseline, client = [], []
        for i in range(N_SEQUENTIAL):
            t0 = time.perf_counter()
            self.bare_work()
            baseline.append(time.perf_counter() - t0)
            client.append(self.run_one(session, tokens[0], f"sequential {i}")[0])
        # (2) the ceiling: the same bare work with as many in flight as the queue delivers at once.
        t0 = time.perf_counter()
        with ThreadPoolExecutor(DELIVERY_CONCURRENCY) as pool:
            list(pool.map(lambda _: self.bare_work(), range(N_BURST)))
        ceiling_tps = N_BURST / (time.perf_counter() - t0)
        # (3) burst: N_BURST tasks submitted at once by N_USERS users.
        per_user = max(1, N_BURST // N_USERS)
        jobs = [(tokens[u % len(tokens)], f"burst u{u} t{t}") for u in range(N_USERS) for t in range(per_user)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=N_USERS) as pool:
            results = list(pool.map(lambda job: self.run_one(requests.Session(), *job), jobs))
        burst_s = time.perf_counter() - t0
        # (4) fairness: one user's N_BURST tasks, then another user's single task.
        heavy_session, lone_result = requests.Session(), [0.0]
        heavy_session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=16))
        headers = {"Authorization": f"Bearer {heavy}"}
        t0 = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(lambda i: heavy_session.post(f"{self.base}/api/ai/image", json={"prompt": f"heavy {i}"},
                                                             headers=headers, timeout=60).json()["id"], range(N_BURST)))
        lone_thread = threading.Thread(target=lambda: lone_result.__setitem__(0, self.run_one(requests.Session(), lone, "lone")[0]))
        lone_thread.start()
        for task_id in ids:
            while self.svc.db.tasks.find_one({"_id": task_id, "status": {"$in": ["COMPLETED", "FAILED"]}}) is None:
                if time.perf_counter() - t0 > 600:
                    break
                time.sleep(0.05)
        heavy_wall = time.perf_counter() - t0
        lone_thread.join(300)
        return Round(
            baseline_ms=statistics.median(baseline) * 1000, client_ms=statistics.median(client) * 1000,
            client_p95_ms=pct(client, 0.95) * 1000, ceiling_tps=ceiling_tps, burst_tps=len(jobs) / burst_s,
            burst_latency_ms=statistics.median(r[0] for r in results) * 1000,
            burst_ok=sum(1 for r in results if r[1] == "COMPLETED"), lone_ms=lone_result[0] * 1000,
            heavy_wall_ms=heavy_wall * 1000,
        )


def run() -> list[Round]:
    configure_logging("WARNING")
    emulator = StorageEmulator().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
            port = free_port()
            settings = Settings(  # type: ignore[call-arg]
                ENV="test", PORT=port, DATA_DIR=Path(tmp), DB_SNAPSHOT=False, STORAGE_EMULATOR_HOST=emulator.url,
                SIM_DURATION_S=0.0, POLL_INTERVAL_S=0.05, WORKER_SECRET="bench-worker-secret-0123456789",
                RATE_LIMITS_ENABLED=False,  # 22 sign-ups and 600 tasks from one address: the limiter would refuse them
            )
            svc = Services(settings)
            use(svc)
            server = None
            try:
                svc.storage.ensure_bucket()
                svc.db.settings.update_one({"_id": "pricing"}, {"$set": {"quotas": {"image": 1_000_000}}}, upsert=True)
                server = make_server("127.0.0.1", port, create_app())
                threading.Thread(target=server.serve_forever, daemon=True).start()
                bench = Bench(svc, f"http://127.0.0.1:{port}")
                tokens = [bench.register() for _ in range(N_USERS)]
                heavy, lone = bench.register(), bench.register()
                bench.run_one(requests.Session(), tokens[0], "warm-up")
                return [bench.round(tokens, heavy, lone) for _ in range(ROUNDS)]
            finally:
                if server is not None:
                    server.shutdown()
                svc.close()
                use(None)
    finally:
        emulator.stop()


def report(rounds: list[Round]) -> dict[str, float]:
    def med(field: str) -> float:
        return float(statistics.median(getattr(r, field) for r in rounds))

    ratios = [r.burst_tps / r.ceiling_tps for r in rounds]
    print(f"\nPipeline (SIM_DURATION_S=0, image tasks), medians of {len(rounds)} interleaved rounds")
    print(f"  sequential: POST -> COMPLETED median {med('client_ms'):.1f} ms (p95 {med('client_p95_ms'):.1f}); bare work"
          f" (render + thumbnail + 2 uploads) {med('baseline_ms'):.1f} ms; ratio {med('client_ms') / med('baseline_ms'):.2f}x")
    print(f"  burst: {N_BURST} tasks by {N_USERS} users: {med('burst_tps'):.1f} tasks/s, per-task latency median"
          f" {med('burst_latency_ms'):.0f} ms, completed {min(r.burst_ok for r in rounds)}/{N_BURST} (worst round)")
    print(f"  bare-work ceiling ({DELIVERY_CONCURRENCY} in flight): {med('ceiling_tps'):.1f} tasks/s;"
          f" burst / ceiling {statistics.median(ratios):.2f} (rounds {', '.join(f'{x:.2f}' for x in ratios)}; goal >= 0.85)")
    print(f"  fairness: one user's {N_BURST} tasks took {med('heavy_wall_ms') / 1000:.1f} s; another user's single task,"
          f" sent right after, completed in {med('lone_ms'):.0f} ms ({med('lone_ms') / med('heavy_wall_ms'):.2f} of the burst)")
    row(f"pipeline burst, {N_USERS} users x {N_BURST // N_USERS} image tasks, SIM_DURATION_S=0",
        f"{med('burst_tps'):.1f} tasks/s, per-task latency median {med('burst_latency_ms') / 1000:.1f} s",
        f"bare work ceiling {med('ceiling_tps'):.1f} tasks/s", f"{statistics.median(ratios):.2f} (goal >= 0.85)")
    row(f"fairness: a second user's 1 task after one user's {N_BURST}", f"{med('lone_ms') / 1000:.1f} s",
        f"the {N_BURST}-task burst {med('heavy_wall_ms') / 1000:.1f} s", f"{med('lone_ms') / med('heavy_wall_ms'):.2f}")
    row("POST -> COMPLETED, sequential", f"median {med('client_ms'):.0f} ms", f"bare work {med('baseline_ms'):.0f} ms",
        f"{med('client_ms') / med('baseline_ms'):.2f}")
    return {"burst_tps": med("burst_tps"), "ceiling_tps": med("ceiling_tps"), "ratio": statistics.median(ratios),
            "latency_ms": med("burst_latency_ms")}


def main() -> int:
    report(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
