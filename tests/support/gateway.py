"""`switchover gateway` as a real foreground process for tests, stopped by SIGTERM (its clean stop)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

from switchover.core import paths
from tests.support.cli import REPO_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_gateway_port(port: int) -> None:
    """A store holding only the gateway's port (before any provider is added)."""
    store = paths.store_file()
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(f"schema_version = 1\n[gateway]\nport = {port}\n")


@contextlib.contextmanager
def gateway_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    errors = paths.data_dir() / "gateway-stderr.txt"
    errors.parent.mkdir(parents=True, exist_ok=True)
    with errors.open("w") as stderr, subprocess.Popen(
            [sys.executable, "-m", "switchover", "gateway", *args], env=env, text=True, stdout=subprocess.PIPE,
            stderr=stderr, start_new_session=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert "listening on" in line, line + errors.read_text()
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert process.returncode == 0, errors.read_text()
