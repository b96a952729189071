"""The provider/key/status CLI, run for real in subprocesses with the isolated environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from switchover.core import paths

FAKE_KEY = "sk-fake-DEEPSEEK-0123456789abcdef"


def test_version_and_help(cli: Any) -> None:
    result = cli(["--version"])
    assert result.returncode == 0 and result.stdout.startswith("switchover ")
    result = cli(["--help"])
    for command in ("status", "provider", "presets", "key"):
        assert command in result.stdout


def test_add_from_preset_with_key_then_list_show_key(cli: Any) -> None:
    added = cli(["provider", "add", "deepseek", "--preset", "deepseek", "--model", "deepseek-chat", "--key-stdin",
                 "--json"], input=FAKE_KEY + "\n")
    assert added.returncode == 0, added.stderr
    data = json.loads(added.stdout)
    assert data["name"] == "deepseek" and data["credential"] == "keychain"
    assert data["endpoints"]["anthropic"]["url"] == "https://api.deepseek.com/anthropic"
    assert FAKE_KEY not in added.stdout + added.stderr

    listed = json.loads(cli(["provider", "list", "--json"]).stdout)
    assert [p["name"] for p in listed] == ["deepseek"]
    assert listed[0]["models"] == ["deepseek-chat"]

    shown = cli(["provider", "show", "deepseek", "--json"])
    assert json.loads(shown.stdout)["key"] == "stored"
    assert FAKE_KEY not in shown.stdout

    key = cli(["key", "deepseek"])
    assert key.returncode == 0 and key.stdout == FAKE_KEY + "\n"

    assert FAKE_KEY not in paths.store_file().read_text()


def test_add_custom_urls_and_env_key(cli: Any, monkeypatch: Any) -> None:
    result = cli(["provider", "add", "gw", "--anthropic-url", "https://gw.example.com/anthropic",
                  "--openai-url", "https://gw.example.com/v1", "--responses-url", "https://gw.example.com/v1",
                  "--gemini-url", "https://gw.example.com/gemini", "--model", "big", "--small-model", "small",
                  "--key-env", "GW_KEY", "--json"])
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["endpoints"]) == {"anthropic", "openai-chat", "openai-responses", "gemini"}
    assert data["credential"] == "env:GW_KEY" and data["small_model"] == "small"
    missing = cli(["key", "gw"])
    assert missing.returncode == 1 and "$GW_KEY" in missing.stderr
    monkeypatch.setenv("GW_KEY", "from-env-1234567890")
    assert cli(["key", "gw"]).stdout == "from-env-1234567890\n"


def test_local_endpoint_needs_no_key(cli: Any) -> None:
    result = cli(["provider", "add", "box", "--openai-url", "http://127.0.0.1:8080/v1", "--json"])
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["credential"] == "none"
    assert json.loads(result.stdout)["local"] is True


def test_errors_are_clear_and_nonzero(cli: Any) -> None:
    no_key = cli(["provider", "add", "d", "--preset", "deepseek"])
    assert no_key.returncode == 1 and "--key-stdin" in no_key.stderr
    unknown = cli(["provider", "add", "d", "--preset", "nosuch", "--no-key"])
    assert unknown.returncode == 1 and "Unknown preset 'nosuch'" in unknown.stderr and "deepseek" in unknown.stderr
    http_remote = cli(["provider", "add", "d", "--openai-url", "http://evil.example.com/v1", "--no-key"])
    assert http_remote.returncode == 1 and "plain http" in http_remote.stderr
    bad_name = cli(["provider", "add", "Bad Name", "--preset", "ollama"])
    assert bad_name.returncode == 1 and "not allowed" in bad_name.stderr
    empty_stdin = cli(["provider", "add", "d", "--preset", "deepseek", "--key-stdin"], input="")
    assert empty_stdin.returncode == 1 and "no key" in empty_stdin.stderr
    assert not paths.store_file().exists(), "failed adds must not create a store"
    show = cli(["provider", "show", "ghost"])
    assert show.returncode == 1 and "No provider named 'ghost'" in show.stderr


def test_duplicate_and_replace(cli: Any) -> None:
    assert cli(["provider", "add", "o", "--preset", "ollama"]).returncode == 0
    again = cli(["provider", "add", "o", "--preset", "ollama"])
    assert again.returncode == 1 and "exists already" in again.stderr
    replaced = cli(["provider", "add", "o", "--preset", "lmstudio", "--replace", "--json"])
    assert replaced.returncode == 0 and json.loads(replaced.stdout)["preset"] == "lmstudio"


def test_remove_deletes_keychain_entry(cli: Any, tmp_path: Path) -> None:
    cli(["provider", "add", "z", "--preset", "zai", "--key-stdin"], input="sk-zai-abcdefghijklmnop\n")
    keyring_file = tmp_path / "test-keyring.json"
    assert "switchover/z" in json.loads(keyring_file.read_text())
    removed = cli(["provider", "remove", "z"])
    assert removed.returncode == 0
    assert "switchover/z" not in json.loads(keyring_file.read_text())
    assert json.loads(cli(["provider", "list", "--json"]).stdout) == []


def test_change_key_source(cli: Any, tmp_path: Path) -> None:
    cli(["provider", "add", "k", "--preset", "moonshot", "--key-stdin"], input="sk-moon-abcdefghijklmnop\n")
    changed = cli(["provider", "key", "k", "--key-env", "MOON"])
    assert changed.returncode == 0
    assert json.loads(cli(["provider", "show", "k", "--json"]).stdout)["credential"] == "env:MOON"
    assert "switchover/k" not in json.loads((tmp_path / "test-keyring.json").read_text())


def test_presets_json(cli: Any) -> None:
    presets = json.loads(cli(["presets", "--json"]).stdout)
    by_id = {p["id"]: p for p in presets}
    assert by_id["ollama"]["local"] is True and by_id["ollama"]["needs_key"] is False
    assert "openai-responses" in by_id["openai"]["protocols"]


def test_status_json_reports_keychain(cli: Any) -> None:
    status = json.loads(cli(["status", "--json"]).stdout)
    assert status["keychain"]["usable"] is True  # nothing configured yet: say whether a key could be stored
    cli(["provider", "add", "o", "--preset", "ollama"])
    status = json.loads(cli(["status", "--json"]).stdout)
    assert [p["name"] for p in status["providers"]] == ["o"]
    # No provider keeps its key in the keychain: status does not pay for asking it (issue 16).
    assert status["keychain"]["in_use"] is False and status["keychain"]["usable"] is None


def test_status_without_keychain_says_what_to_do(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    status = cli(["status"])
    assert status.returncode == 0 and "NOT USABLE" in status.stdout and "--key-env" in status.stdout
    add = cli(["provider", "add", "d", "--preset", "deepseek", "--key-stdin"], input="sk-abcdefghijklmnopqr\n")
    assert add.returncode == 1 and "No usable OS keychain" in add.stderr
    assert not paths.store_file().exists()


def test_locked_keychain_is_reported(cli: Any, monkeypatch: Any) -> None:
    cli(["provider", "add", "d", "--preset", "deepseek", "--key-stdin"], input="sk-abcdefghijklmnopqr\n")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.LockedKeyring")
    result = cli(["key", "d"])
    assert result.returncode == 1 and "locked" in result.stderr and "Traceback" not in result.stderr


def test_broken_store_error_names_file_and_line(cli: Any) -> None:
    path = paths.store_file()
    path.parent.mkdir(parents=True)
    path.write_text("schema_version = 1\n[providers.x\n")
    result = cli(["provider", "list"])
    assert result.returncode == 1
    assert f"{path}, line 2" in result.stderr
    assert path.read_text() == "schema_version = 1\n[providers.x\n"


def test_status_lists_tools_and_last_health(cli: Any, isolated_home: Path) -> None:
    cli(["provider", "add", "box", "--anthropic-url", "http://127.0.0.1:9/", "--model", "m1"])
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9", "ANTHROPIC_MODEL": "m1"}}\n')
    before = json.loads(cli(["status", "--json"]).stdout)
    assert before["providers"][0]["health"] == []
    claude = next(t for t in before["tools"] if t["tool"] == "claude-code")
    assert claude["provider"] == "box" and claude["model"] == "m1"
    cli(["check", "box", "--timeout", "2"])  # port 9 (discard) refuses: unreachable, recorded in history
    after = json.loads(cli(["status", "--json"]).stdout)
    health = after["providers"][0]["health"]
    assert [h["status"] for h in health] == ["unreachable"] and health[0]["protocol"] == "anthropic"
    text = cli(["status"]).stdout
    assert "Provider   box: anthropic: Cannot reach the provider" in text and "Tool       Claude Code: box / m1" in text


def test_forced_backend_that_cannot_start_is_reported_not_a_crash(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    status = cli(["status", "--json"])
    assert status.returncode == 0, status.stderr
    keychain = json.loads(status.stdout)["keychain"]
    assert keychain["usable"] is False
    assert "could not start" in keychain["problem"] and "DBUS_SESSION_BUS_ADDRESS" in keychain["problem"]
    add = cli(["provider", "add", "d", "--preset", "deepseek", "--key-stdin"], input="sk-abcdefghijklmnopqr\n")
    assert add.returncode == 1 and "could not start" in add.stderr and "internal error" not in add.stderr
