"""End-to-end fixtures: the real local stack (`python -m localstack`) as a subprocess, and one run of
the `@playwright/test` runner against it.

The stack runs exactly as `make dev` runs it (built frontend, embedded DB, storage emulator child
process, `sim` provider), on free loopback ports with its data in a temporary directory. The browser
specs (`*.spec.mjs`, configured by playwright.config.mjs) drive the system Chromium; no browser is
downloaded. The specs of every selected test run in ONE runner invocation (two workers), then each
pytest test checks its spec's results in the runner's JSON report and fails with its errors, the
runner's output and the stack log. A skipped or missing test counts as a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.stack_process import StackProcess

ROOT = Path(__file__).resolve().parents[2]
E2E = Path(__file__).resolve().parent
CONFIG = E2E / "playwright.config.mjs"
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
PLAYWRIGHT_CLI = ROOT / "frontend" / "node_modules" / "@playwright" / "test" / "cli.js"
DIST_INDEX = ROOT / "frontend" / "dist" / "index.html"
ARTIFACTS = ROOT / "artifacts" / "e2e"
REPORT = ARTIFACTS / "report.json"

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "e2e-admin-password-2026"  # throwaway stack in a temp dir
STARTUP_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 900.0  # the whole runner; each test has its own timeout in playwright.config.mjs
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class LiveStack:
    url: str
    log_path: Path
    admin_email: str
    admin_password: str

    def log_tail(self, chars: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no stack log>"


def _require_browser_tooling() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing (`make system-deps` installs Debian chromium)")
    if not PLAYWRIGHT_CLI.exists():
        pytest.fail(f"{PLAYWRIGHT_CLI.relative_to(ROOT)} is missing (`cd frontend && npm ci` installs @playwright/test)")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH")


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    _require_browser_tooling()
    if not DIST_INDEX.exists():
        pytest.fail("frontend/dist is missing: build it first (`cd frontend && npm run build`; `make test` does)")

    tmp = tmp_path_factory.mktemp("e2e-stack")
    process = StackProcess(tmp / "data", log_path=tmp / "stack.log", SIM_DURATION_S="3", POLL_INTERVAL_S="0.5",
                           ADMIN_EMAIL=ADMIN_EMAIL, ADMIN_PASSWORD=ADMIN_PASSWORD)
    try:
        process.start(timeout_s=STARTUP_TIMEOUT_S)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield LiveStack(url=process.url, log_path=process.log_path, admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)
    finally:
        process.stop()


@dataclass
class SpecResult:
    """One test of the JSON report: `status` is Playwright's outcome (expected, unexpected, flaky, skipped)."""

    title: str
    status: str
    duration_ms: int
    errors: list[str] = field(default_factory=list)


def _collect(suite: dict[str, Any], file: str, into: dict[str, list[SpecResult]], prefix: str = "") -> None:
    """Walks a suite of Playwright's JSON report (nested describes) into {spec file: [SpecResult]}."""
    file = suite.get("file", file)
    for spec in suite.get("specs", []):
        for test in spec.get("tests", []):
            results = test.get("results", [])
            errors = [ANSI.sub("", e.get("message") or e.get("value") or json.dumps(e)) for r in results for e in r.get("errors", [])]
            into.setdefault(file, []).append(SpecResult(
                title=f"{prefix}{spec['title']}", status=test.get("status", "?"),
                duration_ms=sum(int(r.get("duration", 0)) for r in results), errors=errors))
    for child in suite.get("suites", []):
        _collect(child, file, into, f"{prefix}{child['title']} > " if child.get("title") != child.get("file") else prefix)


@dataclass
class PlaywrightRun:
    returncode: int
    output: str
    duration_s: float
    results: dict[str, list[SpecResult]]
    report_errors: list[str]
    stack: LiveStack

    def check(self, spec: str) -> list[SpecResult]:
        """Fails (with the errors, the runner's output and the stack log) unless every test of `spec` passed."""
        setup = self.results.get("auth.setup.mjs", [])
        mine = self.results.get(spec, [])
        bad = [r for r in setup + mine if r.status != "expected"]
        problems = []
        if not mine:
            problems.append(f"{spec}: no test results (not run, or it failed to load)")
        problems += [f"{r.title}: {r.status}" + "".join(f"\n    {e}" for e in r.errors) for r in bad]
        problems += [f"runner error: {e}" for e in self.report_errors]
        if problems:
            pytest.fail(f"{spec}:\n  " + "\n  ".join(problems) + f"\n--- playwright (exit {self.returncode}) ---\n"
                        f"{self.output[-20000:]}\n--- stack log (tail) ---\n{self.stack.log_tail()}", pytrace=False)
        return mine


@pytest.fixture(scope="session")
def playwright_run(request: pytest.FixtureRequest, live_stack: LiveStack) -> PlaywrightRun:
    """Runs the specs of every selected test in one `playwright test` invocation; answers the parsed report."""
    specs = sorted({m.args[0] for item in request.session.items for m in item.iter_markers("spec")})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), REPORT]:
        old.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BASE_URL": live_stack.url,
        "ARTIFACTS": str(ARTIFACTS),
        "CHROMIUM": str(CHROMIUM),
        "ADMIN_EMAIL": live_stack.admin_email,
        "ADMIN_PASSWORD": live_stack.admin_password,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "FORCE_COLOR": "0",
    }
    command = ["node", str(PLAYWRIGHT_CLI), "test", "-c", str(CONFIG), *specs]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=RUN_TIMEOUT_S, check=False)
        code, out = done.returncode, (done.stdout + done.stderr).decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        code = -1
        out = ((e.stdout or b"") + (e.stderr or b"")).decode(errors="replace") + f"\n<playwright timed out after {RUN_TIMEOUT_S:.0f} s>"
    duration = time.monotonic() - started
    print(f"--- playwright test {' '.join(specs)} ({duration:.1f} s, exit {code}) ---\n{out}")
    results: dict[str, list[SpecResult]] = {}
    report_errors: list[str] = []
    try:
        report = json.loads(REPORT.read_text())
    except (OSError, ValueError) as exc:
        report_errors.append(f"no JSON report at {REPORT}: {exc}")
    else:
        for suite in report.get("suites", []):
            _collect(suite, suite.get("file", suite.get("title", "?")), results)
        report_errors += [e.get("message") or json.dumps(e) for e in report.get("errors", [])]
    return PlaywrightRun(code, out, duration, results, report_errors, live_stack)
