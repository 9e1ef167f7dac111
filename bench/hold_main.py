"""functions-framework source for bench.concurrency: every target of main.py, plus `GET /bench/hold?s=N`.

The hold route sleeps N seconds in the request thread, as a chat stream or a
slow player holds one; everything else goes to the real target. Only the
benchmark loads this file (`--source=bench/hold_main.py`); it is not deployed.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import Any

import flask
import functions_framework

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import main


def __getattr__(name: str) -> Any:
    target = getattr(main, name)

    @functools.wraps(target)
    def handler(request: flask.Request) -> Any:
        if request.path == "/bench/hold":
            time.sleep(float(request.args.get("s", "2")))
            return "held"
        return target(request)

    return functions_framework.http(handler)
