"""Pipeline overhead and burst throughput (printed, never asserted).

`python -m bench.pipeline` (make bench). SIM_DURATION_S=0, so what is measured
is the platform itself: API → task document → queue → worker → provider →
storage → COMPLETED. The baseline, measured in the same run, is the bare work
a task cannot avoid: rendering the sim PNG plus its thumbnail and uploading both.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from werkzeug.serving import make_server

from common.config import Settings
from common.logging_setup import configure_logging
from common.providers.sim import render_png
from common.runtime import Services, use
from common.thumbnails import image_thumbnail
from localstack.app import create_app
from localstack.emulator import StorageEmulator, free_port

N_SEQUENTIAL = int(os.environ.get("BENCH_TASKS", "200"))
N_USERS = int(os.environ.get("BENCH_USERS", "20"))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    configure_logging("WARNING")
    emulator = StorageEmulator().start()
    tmp = Path(tempfile.mkdtemp())
    port = free_port()
    settings = Settings(  # type: ignore[call-arg]
        ENV="test", PORT=port, DATA_DIR=tmp, DB_SNAPSHOT=False, STORAGE_EMULATOR_HOST=emulator.url,
        SIM_DURATION_S=0.0, POLL_INTERVAL_S=0.05, WORKER_SECRET="bench-worker-secret-0123456789",
    )
    svc = Services(settings)
    use(svc)
    svc.storage.ensure_bucket()
    svc.db.settings.update_one({"_id": "pricing"}, {"$set": {"quotas": {"image": 1_000_000}}}, upsert=True)
    server = make_server("127.0.0.1", port, create_app(), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    try:
        # Baseline: the unavoidable work of one image task, without the platform around it.
        baseline = []
        for i in range(50):
            t0 = time.perf_counter()
            png, _, _ = render_png(f"baseline {i}", "1:1")
            svc.storage.upload_bytes(f"media/bench/b{i}.png", png, content_type="image/png")
            svc.storage.upload_bytes(f"media/bench/b{i}.thumb.jpg", image_thumbnail(png), content_type="image/jpeg")
            baseline.append(time.perf_counter() - t0)

        def register(session: requests.Session) -> str:
            r = session.post(f"{base}/api/auth/register", json={"email": f"b{uuid.uuid4().hex[:8]}@example.com", "password": "password-123"})
            return str(r.json()["token"])

        def run_one(session: requests.Session, token: str, prompt: str) -> tuple[float, float, str]:
            headers = {"Authorization": f"Bearer {token}"}
            t0 = time.perf_counter()
            task = session.post(f"{base}/api/ai/image", json={"prompt": prompt}, headers=headers).json()
            while True:
                state = session.get(f"{base}/api/ai/tasks/{task['id']}", headers=headers).json()
                if state["status"] in ("COMPLETED", "FAILED"):
                    break
                time.sleep(0.005)
            client = time.perf_counter() - t0
            doc = svc.db.tasks.find_one({"_id": task["id"]})
            server_side = (doc["completed_at"] - doc["created_at"]).total_seconds()
            return client, server_side, state["status"]

        session = requests.Session()
        token = register(session)
        run_one(session, token, "warm-up")
        client_lat, server_lat, statuses = [], [], []
        for i in range(N_SEQUENTIAL):
            c, s, st = run_one(session, token, f"sequential {i}")
            client_lat.append(c)
            server_lat.append(s)
            statuses.append(st)

        # Burst: N_SEQUENTIAL tasks submitted at once by N_USERS users.
        tokens = [register(requests.Session()) for _ in range(N_USERS)]
        per_user = max(1, N_SEQUENTIAL // N_USERS)
        jobs = [(tokens[u], f"burst u{u} t{t}") for u in range(N_USERS) for t in range(per_user)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=N_USERS) as pool:
            results = list(pool.map(lambda job: run_one(requests.Session(), *job), jobs))
        burst_s = time.perf_counter() - t0
        burst_ok = sum(1 for r in results if r[2] == "COMPLETED")
        burst_ids = [d["_id"] for d in svc.db.tasks.find({"prompt": {"$regex": "^burst"}})]
        objects = [b.name for b in svc.storage.client.list_blobs(svc.storage.bucket_name, prefix="media/")
                   if b.name.endswith(".png") and "/bench/" not in b.name]
        burst_objects = [o for o in objects if o.rsplit("/", 1)[-1].split(".")[0] in set(burst_ids)]

        ms = 1000.0
        b_med = statistics.median(baseline)
        print("\nPipeline overhead (SIM_DURATION_S=0, image tasks, one user, sequential)")
        print(f"  tasks: {N_SEQUENTIAL}, completed: {statuses.count('COMPLETED')}")
        print(f"  baseline (render + thumbnail + 2 uploads): median {b_med * ms:7.1f} ms   p95 {pct(baseline, .95) * ms:7.1f} ms")
        print(f"  server  (created_at -> completed_at):     median {statistics.median(server_lat) * ms:7.1f} ms   p95 {pct(server_lat, .95) * ms:7.1f} ms")
        print(f"  client  (POST -> sees COMPLETED):         median {statistics.median(client_lat) * ms:7.1f} ms   p95 {pct(client_lat, .95) * ms:7.1f} ms   (target median <= 300 ms)")
        print(f"  ratio client median / baseline median: {statistics.median(client_lat) / b_med:.2f}x;"
              f" platform overhead {(statistics.median(client_lat) - b_med) * ms:.1f} ms")
        print(f"\nBurst: {len(jobs)} tasks submitted at once by {N_USERS} users")
        print(f"  completed: {burst_ok}/{len(jobs)}; media objects: {len(burst_objects)} for {len(set(burst_ids))} tasks"
              f" (lost: {len(jobs) - burst_ok}, duplicated: {len(burst_objects) - len(set(burst_objects))})")
        print(f"  wall time {burst_s:.2f} s -> {len(jobs) / burst_s:.1f} tasks/s;"
              f" per-task latency median {statistics.median([r[0] for r in results]) * ms:.0f} ms, p95 {pct([r[0] for r in results], .95) * ms:.0f} ms")
    finally:
        server.shutdown()
        svc.close()
        emulator.stop()


if __name__ == "__main__":
    main()
