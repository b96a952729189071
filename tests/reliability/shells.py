"""Evaluate shell scripts in the real shells (bash, dash, zsh, fish; Debian packages) and read variables back.

Each script is evaluated the way users load `switchover env`: `eval "$(cat script)"` in POSIX shells,
`source script` in fish. The value of each requested variable is then written with `printf '%s'` to a file
of its own, so the test compares exact bytes (newlines, backslashes and all). Nothing else may appear in
the working directory: the hostile strings try to `touch pwned` or redirect into files.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

# `sh` is dash on Debian; listed by the binary that really runs.
REAL_SHELLS = ("bash", "dash", "zsh", "fish")
SHELL_SYNTAX = {"bash": "bash", "dash": "dash", "zsh": "zsh", "fish": "fish"}


def require(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.fail(f"{shell} is not installed; `scripts/setup --test` installs it (Debian package {shell})")
    return path


def evaluate(shell: str, scripts: list[str], variables: list[str], workdir: Path,
             env: dict[str, str] | None = None) -> list[dict[str, bytes | None]]:
    """For each script: evaluate it in a fresh (sub)shell, return {variable: value bytes, None if unset}."""
    workdir.mkdir(parents=True, exist_ok=True)
    binary = require(shell)
    lines = []
    for i, script in enumerate(scripts):
        (workdir / f"script-{i}").write_text(script, encoding="utf-8")
        if shell == "fish":
            body = [f"source script-{i}"]
            body += [f"set -q {v}; and printf '%s' \"${v}\" > out-{i}-{v}" for v in variables]
            lines.append("begin; " + "; ".join(body) + "; end")
            lines += [f"set -e {v}" for v in variables]
        else:
            body = [f'eval "$(cat script-{i})"']
            body += [f"[ -n \"${{{v}+set}}\" ] && printf '%s' \"${v}\" > out-{i}-{v}" for v in variables]
            lines.append("( " + "\n".join(body) + "\n)")
    driver = workdir / "driver"
    driver.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run_env = {"PATH": "/usr/bin:/bin", "HOME": str(workdir), "LANG": "C.UTF-8", **(env or {})}
    done = subprocess.run([binary, str(driver)], cwd=workdir, env=run_env, capture_output=True, timeout=120,
                          check=False)
    assert done.returncode == 0 or shell != "fish" or done.stderr == b"", done.stderr.decode(errors="replace")
    results: list[dict[str, bytes | None]] = []
    for i in range(len(scripts)):
        got: dict[str, bytes | None] = {}
        for v in variables:
            out = workdir / f"out-{i}-{v}"
            got[v] = out.read_bytes() if out.exists() else None
        results.append(got)
    allowed = {"driver", *(f"script-{i}" for i in range(len(scripts)))}
    allowed |= {f"out-{i}-{v}" for i in range(len(scripts)) for v in variables}
    stray = sorted(p.name for p in workdir.iterdir() if p.name not in allowed and not p.name.startswith("."))
    assert not stray, f"{shell} created {stray}: a hostile string ran as code\n{done.stderr!r}"
    return results
