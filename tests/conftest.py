"""Every test runs in an isolated world: its own HOME, XDG dirs and keyring. Nothing touches the real user."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Qt must not look for a display unless a test asks for Xvfb explicitly.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.support.cli import run_switchover

pytest_plugins = ["tests.support.fixtures"]

# CI replays the same examples every run, so main stays reproducibly green; local runs keep exploring new
# ones (a failure prints the blob to reproduce it).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

_ISOLATED_VARS = ("SWITCHOVER_CONFIG_DIR", "SWITCHOVER_DATA_DIR", "CLAUDE_CONFIG_DIR", "CODEX_HOME",
                  "GEMINI_CLI_HOME", "OPENCODE_CONFIG", "XDG_RUNTIME_DIR_OVERRIDE")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME and every XDG dir at a fresh tmp tree and select the per-test file keyring."""
    home = tmp_path / "home"
    for sub in (".config", ".local/share", ".local/state", ".cache"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for var in _ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.FileKeyring")
    monkeypatch.setenv("SWITCHOVER_TEST_KEYRING", str(tmp_path / "test-keyring.json"))
    import keyring

    from switchover.core import secrets
    from tests.support.file_keyring import FileKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    monkeypatch.chdir(tmp_path)
    # Keys an earlier test handled in this process must not be scrubbed from this test's output.
    monkeypatch.setattr(secrets, "_known_secrets", set())
    yield home
    keyring.set_keyring(previous)


_NOT_FAST = ("realtools", "packaging", "reliability", "slow")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`reliability` for everything under tests/reliability/; `fast` for every test that is none of the slow
    kinds, so `pytest -m fast` is the quick subset docs/architecture.md describes."""
    for item in items:
        if "tests/reliability/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.reliability)
        if not any(item.get_closest_marker(kind) for kind in _NOT_FAST):
            item.add_marker(pytest.mark.fast)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The README's test command installs the real CLIs and sets SWITCHOVER_REQUIRE_REAL_TOOLS: there, a
    missing tool is an install failure to report, never a reason to skip the tests that prove switching."""
    if os.environ.get("SWITCHOVER_REQUIRE_REAL_TOOLS") != "1":
        return
    from tests.e2e.conftest import TURN_COMMANDS, tool_binary

    missing = [tool for tool in TURN_COMMANDS if not tool_binary(tool).exists()]
    if missing:
        pytest.exit(f"real CLIs missing ({', '.join(missing)}): scripts/install-real-tools did not install them",
                    returncode=3)


@pytest.fixture
def cli() -> Callable[..., Any]:
    """`cli("provider", "list", "--json")` runs the real CLI in a subprocess with the isolated env."""
    return run_switchover
