"""Child processes of the tests: one way to stop them."""

from __future__ import annotations

import subprocess
from typing import Any


def terminate(proc: subprocess.Popen[Any], *, grace_s: float = 10.0) -> None:
    """Stop `proc`: SIGTERM, then SIGKILL if it is still running after `grace_s` seconds; reaps it either way.

    A process that already exited is left as it is (its return code stays readable)."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
