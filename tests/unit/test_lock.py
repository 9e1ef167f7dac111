"""The images install requirements*.lock (Dockerfile); the locks must pin what requirements*.txt pin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#\\]+)", re.M)


def _pins(path: Path) -> dict[str, str]:
    text = path.read_text()
    pins = {m.group(1).lower().replace("_", "-"): m.group(2) for m in PIN.finditer(text)}
    for included in re.findall(r"^-r\s+(\S+)", text, re.M):
        pins = {**_pins(path.parent / included), **pins}
    return pins


@pytest.mark.parametrize(("source", "lock"), [("requirements.txt", "requirements.lock"),
                                              ("requirements-worker.txt", "requirements-worker.lock")])
def test_lock_pins_what_the_requirements_pin(source: str, lock: str) -> None:
    wanted, locked = _pins(ROOT / source), _pins(ROOT / lock)
    stale = {name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version}
    assert not stale, f"{lock} is stale (wanted, locked): {stale}; run `make lock`"
    assert "--hash=sha256:" in (ROOT / lock).read_text()


def test_the_service_image_carries_neither_ffmpeg_nor_the_development_database() -> None:
    runtime = _pins(ROOT / "requirements.lock")
    assert "imageio-ffmpeg" not in runtime and "mongomock" not in runtime
    assert "imageio-ffmpeg" in _pins(ROOT / "requirements-worker.lock")
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "-r requirements.lock" in dockerfile
    assert "HOME=/tmp" in dockerfile
