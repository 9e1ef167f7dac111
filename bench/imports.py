"""Cold start: import time and module count per functions-framework target (printed, never asserted).

    .venv/bin/python -m bench.imports

Each number is the median of fresh interpreters (`python -c ...`, no shared
state, byte-code already compiled as in the image). The baseline, measured
interleaved in the same run, is `import flask, functions_framework`: what any
function pays before our code. Targets are resolved as functions-framework
does, `getattr(main, target)`; "all" is one process serving every target with every start-up preload (what the old
eager `main.py` loaded); "+ start-up preload" is what a served target imports at
instance start before its first request (PRELOAD in functions/<name>.py).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.table import row

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("auth", "generate", "chat", "proxy", "billing", "admin", "worker", "web")
RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "5"))

_PROBE = """
import sys, time
t0 = time.perf_counter()
{code}
t1 = time.perf_counter()
import json
print(json.dumps({{"s": t1 - t0, "modules": len(sys.modules)}}))
"""


def probe(code: str) -> dict[str, float]:
    """Seconds and sys.modules size after running `code` in a fresh interpreter."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    out = subprocess.run([sys.executable, "-c", _PROBE.format(code=code)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _preloaded(targets: tuple[str, ...]) -> str:
    """Code that resolves `targets` and imports their start-up PRELOADs (what a serving instance loads)."""
    return ("import importlib, main\n"
            f"for t in {targets!r}:\n"
            "    getattr(main, t)\n"
            "    mod = importlib.import_module(main.TARGETS[t])\n"
            "    for p in (*main.COMMON_PRELOAD, *getattr(mod, 'PRELOAD', ())):\n"
            "        importlib.import_module(p)\n")


def measures() -> dict[str, str]:
    """Name -> code. `all` is one process serving every target (the old eager main.py, the local stack)."""
    rows = {"baseline": "import flask, functions_framework", "functions.auth": "import functions.auth",
            "common.auth": "import common.auth", "all": _preloaded(TARGETS)}
    rows.update({t: f"import main\ngetattr(main, {t!r})" for t in TARGETS})
    rows.update({f"{t}+preload": _preloaded((t,)) for t in TARGETS})
    return rows


def run() -> dict[str, tuple[float, int]]:
    """{name: (median seconds, modules)}; every measure once per round, rounds interleaved."""
    todo = measures()
    for code in todo.values():  # compile byte-code once, as the image does at build time
        probe(code)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in todo}
    for _ in range(RUNS):
        for name, code in todo.items():
            samples[name].append(probe(code))
    return {name: (statistics.median(s["s"] for s in runs), int(runs[-1]["modules"])) for name, runs in samples.items()}


def first_requests() -> dict[str, tuple[float, float, float]]:
    """{target: (seconds to listen, first request s, second request s)}, medians of fresh instances.

    Each instance is `functions-framework --target=<t>` (gunicorn) with the embedded
    database and a storage emulator; readiness is a TCP connect, so the first HTTP
    request measured is really the first the instance serves.
    """
    import random
    import tempfile

    import requests

    from bench.servers import function_target
    from common.media import MediaSigner
    from common.storage import StorageService
    from localstack.emulator import StorageEmulator

    key = "bench-media-signing-key-0123456789abcdef"
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWRvZXMtbm90LW1hdGNo"
    out: dict[str, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-coldstart-") as tmp:
        emulator = StorageEmulator(data_dir=Path(tmp) / "storage", bucket="bench").start()
        try:
            StorageService(bucket="bench", project="bench", emulator_host=emulator.url).upload_bytes(
                "media/bench/v.mp4", random.randbytes(1 << 20), content_type="video/mp4")
            signed = MediaSigner(bucket="bench", keys=lambda: [key]).url_for("media/bench/v.mp4")
            calls = {
                "auth": lambda url: requests.post(f"{url}/api/auth/login", timeout=60,
                                                  json={"email": "nobody@example.com", "password": "wrong-password"}),
                "generate": lambda url: requests.get(f"{url}/api/ai/tasks", headers={"Authorization": f"Bearer {forged}"},
                                                     timeout=60),
                "proxy": lambda url: requests.get(url + signed, headers={"Range": "bytes=0-1023"}, timeout=60),
            }
            for target, call in calls.items():
                samples = []
                for i in range(RUNS):
                    env = {"ENV": "development", "STORAGE_EMULATOR_HOST": emulator.url, "GCS_BUCKET": "bench",
                           "MEDIA_SIGNING_KEY": key, "DATA_DIR": str(Path(tmp) / f"{target}{i}"), "DB_SNAPSHOT": "false",
                           "LOG_LEVEL": "WARNING"}
                    server = function_target(target, env)
                    try:
                        ready = server.wait_port()
                        time.sleep(1.0)  # the warm-up thread's head start (Cloud Run's startup probe gives it more)
                        times = []
                        for _ in range(2):
                            t0 = time.perf_counter()
                            call(server.url)
                            times.append(time.perf_counter() - t0)
                        samples.append((ready, times[0], times[1]))
                    finally:
                        server.stop()
                out[target] = tuple(statistics.median(s[k] for s in samples) for k in range(3))  # type: ignore[assignment]
        finally:
            emulator.stop()
    return out


def main() -> int:
    result = run()
    base_s, base_mods = result["baseline"]
    _, all_mods = result["all"]
    print(f"\nCold import, median of {RUNS} fresh interpreters (baseline `import flask, functions_framework`:"
          f" {base_s * 1000:.0f} ms, {base_mods} modules)")
    print(f"  {'target':<16} {'import ms':>10} {'over baseline':>14} {'modules':>8} {'of all':>7}"
          f" {'+ start-up preload':>19} {'of all':>7}")
    for name in ("functions.auth", "common.auth", *TARGETS, "all"):
        s, mods = result[name]
        line = f"  {name:<16} {s * 1000:10.0f} {(s - base_s) * 1000:11.0f} ms {mods:8d} {mods / all_mods:7.0%}"
        if name in TARGETS:
            ps, pmods = result[f"{name}+preload"]
            line += f" {ps * 1000:9.0f} ms {pmods:5d} {pmods / all_mods:7.0%}"
        print(line)
    auth_over = result["functions.auth"][0] - base_s
    print(f"  functions.auth over baseline: {auth_over:.2f} s (goal <= 0.30 s); largest target module share:"
          f" {max(result[t][1] for t in TARGETS) / all_mods:.0%} (goal <= 60%)")
    row("cold import: all targets / functions.auth / common.auth",
        f"{result['all'][0]:.2f} / {result['functions.auth'][0]:.2f} / {result['common.auth'][0]:.2f} s",
        f"`import flask, functions_framework` {base_s:.2f} s", f"functions.auth +{auth_over:.2f} s (goal <= +0.30)")
    worst = max(TARGETS, key=lambda t: result[t][1])
    row("modules a target imports (`getattr(main, t)`), largest", f"{worst}: {result[worst][1]}",
        f"all targets: {all_mods}", f"{result[worst][1] / all_mods:.2f} (goal <= 0.60)")
    print("\nFirst request of a fresh instance vs its second (functions-framework, median of"
          f" {RUNS}; goal first <= 1.2x second)")
    for target, (ready, first, second) in first_requests().items():
        print(f"  {target:<9} listening after {ready * 1000:5.0f} ms; first request {first * 1000:7.1f} ms,"
              f" second {second * 1000:7.1f} ms: {first / second:.2f}x")
        row(f"first request of a fresh `{target}` instance", f"{first * 1000:.0f} ms", f"its second {second * 1000:.0f} ms",
            f"{first / second:.2f} (goal <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
