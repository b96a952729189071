"""The one key-helper command, whoever switches; keys read through one policy, the keychain opened lazily."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.secrets import Keychain, MissingKeyError
from switchover.core.store import edit_store
from switchover.core.switching.contract import ToolEnv
from switchover.services import keys as keys_module
from switchover.services.failover import EngineSwitcher
from switchover.services.keys import KeySource, key_helper_command
from switchover.services.switching import all_targets, switch_request
from switchover.ui.wizard.services import EngineSetupSwitcher
from tests.support.cli import REPO_ROOT

KEY = "sk-fake-HELPER-0123456789abcdef"
# Port 9 (discard) refuses connections: the post-switch check fails fast and stays on loopback.
LOCAL = "http://127.0.0.1:9"


def _provider() -> Provider:
    return Provider("relay", (Endpoint.make(Protocol.ANTHROPIC, LOCAL),), models=("m-1",),
                    credential=Credential.keychain())


def _helper(home: Path) -> str:
    settings = json.loads((home / ".claude" / "settings.json").read_text())
    return str(settings["apiKeyHelper"])


def test_the_command_is_the_installed_switchover_next_to_this_python() -> None:
    command = key_helper_command("deepseek")
    assert command[-2:] == ("key", "deepseek")
    script = Path(sys.executable).parent / "switchover"
    if script.is_file():  # the test venv has the console script
        assert command == (str(script), "key", "deepseek")
    else:
        assert command == (sys.executable, "-m", "switchover", "key", "deepseek")


def test_without_the_script_it_runs_this_python_as_a_module(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    python = tmp_path / "bin" / "python3"
    python.parent.mkdir()
    python.write_text("")
    monkeypatch.setattr(keys_module.sys, "executable", str(python))
    assert key_helper_command("x") == (str(python), "-m", "switchover", "key", "x")
    (python.parent / "switchover").write_text("#!/bin/sh\n")
    assert key_helper_command("x") == (str(python.parent / "switchover"), "key", "x")


def test_a_frozen_build_runs_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    exe = tmp_path / "Switchover"
    exe.write_text("")
    monkeypatch.setattr(keys_module.sys, "executable", str(exe))
    monkeypatch.setattr(keys_module.sys, "frozen", True, raising=False)
    assert key_helper_command("x") == (str(exe.resolve()), "key", "x")


def test_every_surface_writes_the_same_key_helper(cli: Any, isolated_home: Path) -> None:
    """Issue 16: failover wrote `…/bin/switchover key NAME`, the app and wizard `…/python -m switchover key NAME`."""
    added = cli(["provider", "add", "relay", "--anthropic-url", LOCAL, "--model", "m-1", "--key-stdin"],
                input=KEY + "\n")
    assert added.returncode == 0, added.stderr
    expected = shlex.join(key_helper_command("relay"))
    helpers = {}

    used = cli(["use", "relay", "--tool", "claude-code"])  # python -m switchover use …
    assert "Claude Code: switched" in used.stdout, used.stderr
    helpers["cli use (python -m)"] = _helper(isolated_home)

    script = Path(sys.executable).parent / "switchover"
    if script.is_file():  # as users run it: the old helper depended on argv[0], so this one differed
        (isolated_home / ".claude" / "settings.json").unlink()
        env = {**os.environ, "PYTHONPATH": REPO_ROOT}
        used = subprocess.run([str(script), "use", "relay", "--tool", "claude-code"], capture_output=True,
                              text=True, env=env, check=False, timeout=60)
        assert "Claude Code: switched" in used.stdout, used.stderr
        helpers["cli use (bin/switchover)"] = _helper(isolated_home)

    (isolated_home / ".claude" / "settings.json").unlink()
    EngineSwitcher().switch("claude-code", _provider(), "m-1", None)
    helpers["failover"] = _helper(isolated_home)

    (isolated_home / ".claude" / "settings.json").unlink()
    note = EngineSetupSwitcher(all_targets(), ToolEnv.current(), Keychain).switch("claude-code", _provider(), "m-1")
    assert note.startswith("Claude Code now uses")
    helpers["wizard"] = _helper(isolated_home)

    helpers["app (request)"] = shlex.join(switch_request(_provider(), "m-1").key_command)
    assert helpers == dict.fromkeys(helpers, expected)


class CountingKeychain:
    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = keys
        self.reads: list[str] = []

    def get(self, name: str) -> str | None:
        self.reads.append(name)
        return self.keys.get(name)


def test_the_keychain_is_opened_only_for_a_provider_that_keeps_its_key_there(
        monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[CountingKeychain] = []

    def factory() -> CountingKeychain:
        opened.append(CountingKeychain({"kc": "sk-from-keychain"}))
        return opened[-1]

    monkeypatch.setenv("ENV_KEY_FOR_TEST", "sk-from-env")
    keys = KeySource(factory)  # type: ignore[arg-type]
    env_provider = Provider("envy", (Endpoint.make(Protocol.OPENAI_CHAT, LOCAL),),
                            credential=Credential.env("ENV_KEY_FOR_TEST"))
    keyless = Provider("local", (Endpoint.make(Protocol.OLLAMA, LOCAL),), credential=Credential.none())
    assert keys.resolve(env_provider) == "sk-from-env"
    assert keys.resolve(keyless) is None
    assert opened == []
    kc = Provider("kc", (Endpoint.make(Protocol.OPENAI_CHAT, LOCAL),), credential=Credential.keychain())
    assert keys.resolve(kc) == "sk-from-keychain"
    assert keys.resolve(kc) == "sk-from-keychain"
    assert len(opened) == 1 and opened[0].reads == ["kc", "kc"]
    with pytest.raises(MissingKeyError, match="switchover provider key gone"):
        keys.resolve(Provider("gone", (Endpoint.make(Protocol.OPENAI_CHAT, LOCAL),), credential=Credential.keychain()))


def test_check_with_env_keys_only_never_loads_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """keyring's backend discovery costs ~40 ms: `check` pays it only when a key is in the keychain."""
    with edit_store() as store:
        store.add(Provider("envy", (Endpoint.make(Protocol.OPENAI_CHAT, LOCAL),),
                           credential=Credential.env("ENV_KEY_FOR_TEST")))
    monkeypatch.setenv("ENV_KEY_FOR_TEST", KEY)
    probe = (
        "import sys\n"
        "from switchover.cli.main import run_cli\n"
        "code = run_cli(['check', '--json', '--timeout', '2'])\n"
        "print('EXIT', code, 'KEYRING', sorted(m for m in sys.modules if m.split('.')[0] == 'keyring'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=60)
    assert "EXIT 1 KEYRING []" in result.stdout, result.stdout + result.stderr
    assert '"status": "unreachable"' in result.stdout
