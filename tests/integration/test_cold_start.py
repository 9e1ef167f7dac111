"""Each functions-framework target imports only its own function (issue 8.5): counted modules, not time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.imports import TARGETS, _preloaded

ROOT = Path(__file__).resolve().parents[2]


def clean_env() -> dict[str, str]:
    """This process's environment without what functions-framework's `create_app` (run by other tests in
    this worker) leaves in it: FUNCTION_TARGET would make main.py warm up that target, as on Cloud Run."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("FUNCTION_", "K_"))}


def modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"], cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=120, env=clean_env()).stdout
    return set(out.split())


@pytest.fixture(scope="module")
def every_target() -> set[str]:
    """What one process serving every target loads: each function and its start-up preload (the old eager main.py)."""
    return modules_after(_preloaded(TARGETS))


@pytest.mark.parametrize("target", TARGETS)
def test_a_target_loads_at_most_60_percent_of_what_all_targets_load(target: str, every_target: set[str]) -> None:
    mine = modules_after(f"import main\ngetattr(main, {target!r})")
    assert len(mine) <= 0.6 * len(every_target), (
        f"{target} imports {len(mine)} of {len(every_target)} modules; the largest extras: "
        f"{sorted({m.split('.')[0] for m in mine - modules_after('import main')})}")
    others = {f"functions.{t}" for t in TARGETS if t != target}
    assert not (others & mine), f"{target} imports other functions: {sorted(others & mine)}"


def test_no_password_hash_runs_at_import() -> None:
    out = subprocess.run([sys.executable, "-c", "import common.auth as a; print(a._dummy_hash.cache_info().currsize)"],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=120, env=clean_env()).stdout
    assert out.strip() == "0"
