"""Run the real `switchover` CLI in a subprocess, with the test's isolated environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_switchover(
    args: Sequence[str],
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ if env is None else env)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, full_env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "switchover", *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )
