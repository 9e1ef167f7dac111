"""One row of issue 14's table, printed by a bench module and collected by `python -m bench` (make bench)."""

from __future__ import annotations

MARK = "##ROW\t"


def row(measure: str, ours: str, baseline: str, ratio: str) -> None:
    """Print a table row: what was measured, our number, the baseline measured in the same run, their ratio."""
    print(f"{MARK}{measure}\t{ours}\t{baseline}\t{ratio}", flush=True)
