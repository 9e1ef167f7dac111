"""Cold start: import time and module count per functions-framework target (printed, never asserted).

    .venv/bin/python -m bench.imports

Each number is the median of fresh interpreters (`python -c ...`, no shared
state, byte-code already compiled as in the image). The baseline, measured
interleaved in the same run, is `import flask, functions_framework`: what any
function pays before our code. Targets are resolved as functions-framework
does, `getattr(main, target)`; "all" resolves every target (the old `main.py`).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

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


def measures() -> dict[str, str]:
    rows = {"baseline": "import flask, functions_framework", "functions.auth": "import functions.auth",
            "common.auth": "import common.auth",
            "all": "import main\n" + "\n".join(f"getattr(main, {t!r})" for t in TARGETS)}
    rows.update({t: f"import main\ngetattr(main, {t!r})" for t in TARGETS})
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


def main() -> int:
    result = run()
    base_s, base_mods = result["baseline"]
    _, all_mods = result["all"]
    print(f"\nCold import, median of {RUNS} fresh interpreters (baseline `import flask, functions_framework`:"
          f" {base_s * 1000:.0f} ms, {base_mods} modules)")
    print(f"  {'target':<16} {'import ms':>10} {'over baseline':>14} {'modules':>8} {'of all':>7}")
    for name in ("functions.auth", "common.auth", *TARGETS, "all"):
        s, mods = result[name]
        print(f"  {name:<16} {s * 1000:10.0f} {(s - base_s) * 1000:11.0f} ms {mods:8d} {mods / all_mods:7.0%}")
    auth_over = result["functions.auth"][0] - base_s
    print(f"  functions.auth over baseline: {auth_over:.2f} s (goal <= 0.30 s); largest target module share:"
          f" {max(result[t][1] for t in TARGETS) / all_mods:.0%} (goal <= 60%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
