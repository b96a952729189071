"""Test-only crash points: let a reliability suite stop the engine between any two durable steps.

`SWITCHOVER_TEST_PAUSE_AT=k` (the k-th step, 1-based, or a step name) makes the process write
`SWITCHOVER_TEST_PAUSE_FILE` (if set) and sleep, so the test can SIGKILL it exactly there.
`SWITCHOVER_TEST_STEPS_FILE` records every step passed, so the suite knows how many points there are.
Without these variables this is one dictionary lookup per step.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_state = {"passed": 0}


def crashpoint(name: str) -> None:
    pause_at = os.environ.get("SWITCHOVER_TEST_PAUSE_AT")
    steps_file = os.environ.get("SWITCHOVER_TEST_STEPS_FILE")
    if not pause_at and not steps_file:
        return
    _state["passed"] += 1
    passed = _state["passed"]
    if steps_file:
        with open(steps_file, "a", encoding="utf-8") as handle:
            handle.write(f"{passed} {name}\n")
    if pause_at in (str(passed), name):
        marker = os.environ.get("SWITCHOVER_TEST_PAUSE_FILE")
        if marker:
            Path(marker).write_text(f"{passed} {name}\n", encoding="utf-8")
        time.sleep(3600)


def reset() -> None:
    """Start counting from step 1 again (one process may run several switches)."""
    _state["passed"] = 0
