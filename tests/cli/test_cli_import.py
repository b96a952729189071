"""`switchover import`, run for real in subprocesses (issue 14, finding 1): what each tool uses now becomes a
provider with its key in the real OS keychain (gnome-keyring under scripts/with-test-keyring); --dry-run
writes nothing; --replace-plaintext takes the key out of Claude Code's file through the engine (undoable)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

CLAUDE_KEY = "sk-gw-CLAUDE-ORIGINAL-0123456789"
CODEX_KEY = "sk-gw-CODEX-ORIGINAL-0123456789"
GATEWAY = "http://127.0.0.1:9/anthropic"  # nothing answers there: the post-switch checks fail fast


def setup_tools(home: Path) -> Path:
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": GATEWAY, "ANTHROPIC_AUTH_TOKEN": CLAUDE_KEY,
                                            "ANTHROPIC_MODEL": "big-model"}, "theme": "dark"}, indent=2))
    codex = home / ".codex" / "config.toml"
    codex.parent.mkdir(parents=True)
    codex.write_text('model = "gpt-5-codex"\nmodel_provider = "gw"\n\n[model_providers.gw]\n'
                     'base_url = "https://gw.example.com/v1"\nenv_key = "GW_KEY"\nwire_api = "responses"\n')
    return settings


def env_with(**extra: str) -> dict[str, str]:
    return dict(os.environ) | extra


def test_dry_run_writes_nothing_and_never_prints_a_key(isolated_home: Path, cli: Any) -> None:
    settings = setup_tools(isolated_home)
    before = settings.read_bytes()
    result = cli(["import", "--dry-run"], env=env_with(GW_KEY=CODEX_KEY))
    assert result.returncode == 0, result.stderr
    assert "Claude Code: http://127.0.0.1:9/anthropic · big-model" in result.stdout
    assert "key from ~/.claude/settings.json env.ANTHROPIC_AUTH_TOKEN → OS keychain" in result.stdout
    assert "--replace-plaintext" in result.stdout and "Nothing was written" in result.stdout
    assert CLAUDE_KEY not in result.stdout + result.stderr and CODEX_KEY not in result.stdout + result.stderr
    assert settings.read_bytes() == before
    assert json.loads(cli(["provider", "list", "--json"]).stdout) == []
    data = json.loads(cli(["import", "--dry-run", "--json"], env=env_with(GW_KEY=CODEX_KEY)).stdout)
    assert {a["tool"]: a["key"] for a in data["adoptions"]} == {"claude-code": "to-keychain", "codex": "to-keychain"}


@pytest.fixture
def real_keychain(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS") or not os.environ.get("SWITCHOVER_REAL_KEYCHAIN"):
        if os.environ.get("CI"):
            pytest.fail("CI must run these under scripts/with-test-keyring (real gnome-keyring)")
        pytest.skip("needs scripts/with-test-keyring (a D-Bus session with an unlocked gnome-keyring)")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")


def secret_tool(*args: str) -> str:
    return subprocess.run(["secret-tool", *args], capture_output=True, text=True, check=False, timeout=30).stdout


@pytest.mark.keychain
def test_import_switch_away_switch_back_with_the_real_keychain(real_keychain: None, isolated_home: Path,
                                                                cli: Any) -> None:
    settings = setup_tools(isolated_home)
    suffix = str(os.getpid())
    names: list[str] = []
    try:
        result = cli(["import", "--json"], env=env_with(GW_KEY=CODEX_KEY))
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        names = data["saved"]
        claude = next(a for a in data["adoptions"] if a["tool"] == "claude-code")
        codex = next(a for a in data["adoptions"] if a["tool"] == "codex")
        assert secret_tool("lookup", "service", "switchover", "username", claude["provider"]) == CLAUDE_KEY
        assert secret_tool("lookup", "service", "switchover", "username", codex["provider"]) == CODEX_KEY
        assert settings.read_text().count(CLAUDE_KEY) == 1  # untouched without --replace-plaintext

        other = f"other-{suffix}"
        assert cli(["provider", "add", other, "--anthropic-url", "http://127.0.0.1:9", "--model", "o1",
                    "--key-stdin"], input="sk-other-0123456789abcdef\n").returncode == 0
        names.append(other)
        away = cli(["use", f"{other}/o1", "--tool", "claude-code"])  # exit 1: nothing answers there (verified)
        assert "Switched to" in away.stdout, away.stderr
        assert json.loads(settings.read_text())["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
        back = cli(["use", f"{claude['provider']}/big-model", "--tool", "claude-code"])
        assert "Switched to" in back.stdout, back.stderr
        data = json.loads(settings.read_text())
        assert data["env"]["ANTHROPIC_BASE_URL"] == GATEWAY and CLAUDE_KEY not in settings.read_text()
        helper = data["apiKeyHelper"]
        assert helper.split()[-1] == claude["provider"]
        printed = subprocess.run(helper, shell=True, capture_output=True, text=True, timeout=60, check=False,
                                 env=env_with(PYTHONPATH=os.pathsep.join(filter(None, [
                                     str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")]))))
        assert printed.stdout.strip() == CLAUDE_KEY, printed.stderr  # what Claude Code will send
    finally:
        for name in names:
            secret_tool("clear", "service", "switchover", "username", name)


@pytest.mark.keychain
def test_replace_plaintext_then_undo(real_keychain: None, isolated_home: Path, cli: Any) -> None:
    settings = setup_tools(isolated_home)
    before = settings.read_bytes()
    result = cli(["import", "--tool", "claude-code", "--replace-plaintext"])
    try:
        assert result.returncode == 0, result.stderr
        assert "Plaintext keys replaced" in result.stdout
        assert CLAUDE_KEY not in settings.read_text()
        assert cli(["undo"]).returncode == 0
        assert settings.read_bytes() == before
    finally:
        for line in result.stdout.splitlines():
            if "new provider" in line:
                secret_tool("clear", "service", "switchover", "username", line.split("new provider ")[1].split()[0])
