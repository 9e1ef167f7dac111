"""`python -m bench` (make bench): every benchmark in one run, then issue 14's table (ours, baseline, ratio).

Each module runs as its own process (a crash or a hang of one does not stop the others; each
has a time budget), on loopback only, with its temporary directories removed. Rows come from
the modules' `bench.table.row` lines; a module's full output is printed as it runs.
Knobs: BENCH_ONLY=pipeline,proxy,... to run some; each module documents its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from bench.table import MARK

# (module, time budget s, environment defaults that bound the run)
MODULES: list[tuple[str, int, dict[str, str]]] = [
    ("bench.proxy", 600, {"BENCH_PROXY_MB": "200"}),
    ("bench.proxy_load", 600, {"BENCH_ROUNDS": "3"}),
    ("bench.edge_cache", 600, {}),
    ("bench.pipeline", 900, {"BENCH_ROUNDS": "3"}),
    ("bench.store", 1500, {}),
    ("bench.imports", 600, {"BENCH_IMPORT_RUNS": "3"}),
    ("bench.concurrency", 600, {}),
    ("bench.web", 300, {}),
    ("bench.login_limits", 300, {}),
]


def _kill(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def main() -> int:
    only = {m.strip() for m in os.environ.get("BENCH_ONLY", "").split(",") if m.strip()}
    rows: list[list[str]] = []
    failed: list[str] = []
    for module, budget, defaults in MODULES:
        if only and module.removeprefix("bench.") not in only:
            continue
        print(f"\n===== {module} (budget {budget} s) =====", flush=True)
        env = {**defaults, **os.environ}
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", module], env=env, stdout=subprocess.PIPE, text=True,
                                start_new_session=True)
        assert proc.stdout is not None
        watchdog = threading.Timer(budget, lambda p=proc: _kill(p))  # a module that hangs silently is stopped too
        watchdog.start()
        try:
            deadline = t0 + budget
            for line in proc.stdout:
                if line.startswith(MARK):
                    rows.append(line[len(MARK):].rstrip("\n").split("\t"))
                else:
                    print(line, end="", flush=True)
                if time.monotonic() > deadline:
                    raise subprocess.TimeoutExpired(module, budget)
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill(proc)
            proc.wait(timeout=30)
            failed.append(f"{module} (over its {budget} s budget)")
            continue
        finally:
            watchdog.cancel()
        if proc.returncode != 0:
            failed.append(f"{module} (exit {proc.returncode})")
        print(f"----- {module}: {time.monotonic() - t0:.0f} s", flush=True)
    if rows:
        widths = [max(len(r[i]) for r in [["measure", "ours", "baseline (same run)", "ratio"], *rows]) for i in range(4)]
        print("\nIssue 14's table, this run")
        print("  " + "  ".join(h.ljust(w) for h, w in zip(["measure", "ours", "baseline (same run)", "ratio"], widths, strict=True)))
        for r in rows:
            print("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    for f in failed:
        print(f"  not measured: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
