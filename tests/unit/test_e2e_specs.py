"""The browser specs (tests/e2e/*.mjs) keep the tier's rules: no fixed waits, no skipped or focused
tests, one runner (@playwright/test, pinned to the playwright-core it ships), no browser download.

A fixed wait passes or fails with the machine's speed; a skip or a `.only` hides tests from
`make test`. Waits are web-first assertions and `expect.poll` with deadlines (tests/e2e/fixtures.mjs).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
E2E = ROOT / "tests" / "e2e"

FORBIDDEN = {
    r"\bwaitForTimeout\s*\(": "a fixed wait (page.waitForTimeout)",
    r"new Promise\(\s*\(?\s*(\w+)\s*\)?\s*=>\s*setTimeout\(\s*\1\s*,": "a sleep (a Promise resolved by setTimeout)",
    r"\btest(\.describe)?\.(skip|fixme|only)\s*\(": "a skipped or focused test",
    r"\btest\.describe\.configure\(\s*\{[^}]*retries": "retries (a flaky test is a failing test)",
    r"require\(['\"]playwright-core['\"]\)|from ['\"]playwright-core['\"]": "playwright-core scripts (the specs run on @playwright/test)",
}


def test_the_specs_have_no_fixed_waits_skips_or_focus() -> None:
    files = sorted(E2E.glob("*.mjs"))
    assert len(files) >= 10, files
    found = [f"{f.name}:{text[:m.start()].count(chr(10)) + 1}: {why}: {m.group(0)}"
             for f in files for text in [f.read_text()] for pattern, why in FORBIDDEN.items()
             for m in re.finditer(pattern, text)]
    assert not found, "\n".join(found)


def test_playwright_test_is_pinned_to_the_playwright_core_it_ships_and_never_downloads_a_browser() -> None:
    package = json.loads((ROOT / "frontend" / "package.json").read_text())
    lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text())["packages"]
    pinned = package["devDependencies"]["@playwright/test"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), f"@playwright/test is pinned exactly, not {pinned!r}"
    for name in ("@playwright/test", "playwright", "playwright-core"):
        entry = lock[f"node_modules/{name}"]
        assert entry["version"] == pinned, f"{name} {entry['version']} != @playwright/test {pinned}"
        assert not entry.get("hasInstallScript"), f"{name} runs an install script (it could fetch a browser)"
    config = (E2E / "playwright.config.mjs").read_text()
    assert "executablePath" in config and "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD" in config
    assert "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci" in (ROOT / "Makefile").read_text()
