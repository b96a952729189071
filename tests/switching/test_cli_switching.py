"""`switchover tools/use/undo/history/exposure/env`, run for real in subprocesses on the real targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

KEY = "sk-fake-DEEPSEEK-0123456789abcdef"


@pytest.fixture
def deepseek(cli: Any) -> None:
    added = cli(["provider", "add", "deepseek", "--preset", "deepseek", "--model", "deepseek-chat", "--key-stdin"],
                input=KEY + "\n")
    assert added.returncode == 0, added.stderr


def _seed(home: Path) -> dict[Path, bytes]:
    claude = home / ".claude" / "settings.json"
    claude.parent.mkdir(parents=True)
    claude.write_bytes(b'{\n    "theme": "dark",\n    "permissions": {"allow": []}\n}\n')
    qwen = home / ".qwen" / "settings.json"
    qwen.parent.mkdir(parents=True)
    qwen.write_bytes(b'// mine\n{\n  "ui": {"theme": "GitHub"}, // keep\n}\n')
    return {claude: claude.read_bytes(), qwen: qwen.read_bytes()}


def test_use_dry_run_then_use_then_undo_is_byte_identical(cli: Any, deepseek: None, isolated_home: Path) -> None:
    originals = _seed(isolated_home)
    dry = cli(["use", "deepseek", "--tool", "claude-code", "--dry-run"])
    assert dry.returncode == 0, dry.stderr
    assert "+++ b" in dry.stdout and "ANTHROPIC_BASE_URL" in dry.stdout and "Dry run" in dry.stdout
    assert all(p.read_bytes() == b for p, b in originals.items())

    used = cli(["use", "deepseek/deepseek-chat", "--tool", "claude-code", "--tool", "qwen-code", "--json"])
    assert KEY not in used.stdout + used.stderr
    assert used.stdout, used.stderr
    data = json.loads(used.stdout)
    assert used.returncode in (0, 1), used.stderr
    statuses = {t["tool"]: t["status"] for t in data["tools"]}
    assert statuses["claude-code"] == "switched"
    claude = json.loads((isolated_home / ".claude" / "settings.json").read_text())
    assert claude["env"]["ANTHROPIC_BASE_URL"] == "https://api.deepseek.com/anthropic"
    assert claude["theme"] == "dark"
    assert "// keep" in (isolated_home / ".qwen" / "settings.json").read_text()
    assert [v["tool"] for v in data["verify"]] == ["claude-code", "qwen-code"]

    history = json.loads(cli(["history", "--json"]).stdout)
    assert history[0]["kind"] == "switch" and history[0]["state"] == "done"
    assert history[0]["provider"] == "deepseek" and history[0]["model"] == "deepseek-chat"

    undone = cli(["undo"])
    assert undone.returncode == 0, undone.stderr
    assert all(p.read_bytes() == b for p, b in originals.items())
    again = cli(["undo"])
    assert again.returncode == 1 and "no switch to undo" in again.stderr


def test_dry_run_diff_never_shows_a_plaintext_key(cli: Any, deepseek: None, isolated_home: Path) -> None:
    _seed(isolated_home)
    dry = cli(["use", "deepseek", "--all", "--dry-run", "--json"])
    assert KEY not in dry.stdout + dry.stderr
    assert json.loads(dry.stdout)["dry_run"] is True


def test_broken_config_is_left_untouched_and_named_with_its_line(cli: Any, deepseek: None,
                                                                 isolated_home: Path) -> None:
    claude = isolated_home / ".claude" / "settings.json"
    claude.parent.mkdir(parents=True)
    claude.write_bytes(b'{\n  "theme": "dark",\n  // no comments in strict JSON\n}\n')
    result = cli(["use", "deepseek", "--tool", "claude-code"])
    assert result.returncode == 1
    assert f"{claude}, line 3" in result.stderr
    assert claude.read_bytes() == b'{\n  "theme": "dark",\n  // no comments in strict JSON\n}\n'
    assert json.loads(cli(["history", "--json"]).stdout) == []


def test_tools_reports_current_choice_and_project_override(cli: Any, deepseek: None, isolated_home: Path,
                                                           tmp_path: Path) -> None:
    _seed(isolated_home)
    used = cli(["use", "deepseek", "--tool", "claude-code"])
    # Written, but the post-switch health check cannot reach api.deepseek.com from this sandbox: exit 1, and why.
    assert used.returncode == 1 and "Switched to DeepSeek deepseek-chat" in used.stdout
    assert "CHECK FAILED: cannot reach the provider: The name api.deepseek.com could not be resolved" in used.stdout
    project = tmp_path / ".claude" / "settings.json"  # the tests run with cwd = tmp_path
    project.parent.mkdir(parents=True)
    project.write_text('{"env": {"ANTHROPIC_BASE_URL": "https://elsewhere.example"}}\n')
    listed = cli(["tools", "--json"])
    rows = {r["tool"]: r for r in json.loads(listed.stdout)}
    current = rows["claude-code"]["current"]
    assert current["base_url"] == "https://elsewhere.example"  # what Claude Code really uses
    assert current["in_effect"] is False
    assert current["overrides"] == [{
        "reason": "this project's .claude/settings.json sets the endpoint (env.ANTHROPIC_BASE_URL), and Claude Code "
                  "ranks it above your user settings",
        "path": str(project), "key": "env.ANTHROPIC_BASE_URL", "fix": None}]
    assert rows["claude-code"]["installed"] is True
    assert str(project) in rows["claude-code"]["overrides"]
    human = cli(["tools"])
    assert "claude-code" in human.stdout and "elsewhere.example" in human.stdout
    assert "its user config is not what it uses: this project's .claude/settings.json sets the endpoint" in human.stderr


def test_use_says_switched_but_not_in_effect_and_include_overrides_makes_it_take_effect(
        cli: Any, deepseek: None, isolated_home: Path) -> None:
    config = isolated_home / ".config" / "opencode" / "opencode.json"
    config.parent.mkdir(parents=True)
    original = b'{\n  // mine\n  "model": "anthropic/claude-sonnet-4-5",\n  "enabled_providers": ["anthropic"]\n}\n'
    config.write_bytes(original)
    dry = cli(["use", "deepseek", "--tool", "opencode", "--dry-run"])
    assert dry.returncode == 0, dry.stderr
    assert "OpenCode: will not take effect: OpenCode loads only the providers in enabled_providers" in dry.stderr
    assert f"--include-overrides would also change: add “switchover” to it ({config}: enabled_providers)" in dry.stdout

    used = cli(["use", "deepseek", "--tool", "opencode"])
    assert used.returncode == 1
    assert (f"OpenCode: switched but not in effect: OpenCode loads only the providers in enabled_providers, and "
            f"“switchover” is not one of them (the run fails) ({config}: enabled_providers)") in used.stdout
    verdict = json.loads(cli(["use", "deepseek", "--tool", "opencode", "--json"]).stdout)["tools"][0]
    assert verdict["overrides"][0]["key"] == "enabled_providers" and verdict["status"] == "unchanged"

    fixed = cli(["use", "deepseek", "--tool", "opencode", "--include-overrides", "--json"])
    data = json.loads(fixed.stdout)
    assert data["tools"][0]["fixed"][0]["key"] == "enabled_providers" and data["tools"][0]["overrides"] == []
    assert data["verify"][0]["in_effect"] is True  # (the health check itself cannot reach DeepSeek here)
    assert '"enabled_providers": ["anthropic", "switchover"]' in config.read_text()
    assert cli(["undo"]).returncode == 0 and cli(["undo"]).returncode == 0
    assert config.read_bytes() == original


def test_unknown_tool_and_provider_are_clear_errors(cli: Any, deepseek: None) -> None:
    result = cli(["use", "deepseek", "--tool", "vim"])
    assert result.returncode == 1 and "Unknown tool vim" in result.stderr
    result = cli(["use", "nobody/x"])
    assert result.returncode == 1 and "nobody" in result.stderr


def test_env_prints_indirection_not_the_key(cli: Any, deepseek: None) -> None:
    sh = cli(["env", "--provider", "deepseek"])
    assert sh.returncode == 0, sh.stderr
    assert KEY not in sh.stdout
    assert "export ANTHROPIC_BASE_URL=https://api.deepseek.com/anthropic" in sh.stdout
    assert "export OPENAI_MODEL=deepseek-chat" in sh.stdout
    assert "key deepseek)" in sh.stdout and "$(" in sh.stdout
    fish = cli(["env", "--provider", "deepseek", "--shell", "fish"])
    assert "set -gx ANTHROPIC_AUTH_TOKEN" in fish.stdout and KEY not in fish.stdout
    assert "export" not in fish.stdout


def test_env_without_a_switch_or_provider_explains(cli: Any) -> None:
    result = cli(["env"])
    assert result.returncode == 1 and "--provider" in result.stderr


def test_exposure_lists_nothing_for_indirect_keys(cli: Any, deepseek: None, isolated_home: Path) -> None:
    _seed(isolated_home)
    cli(["use", "deepseek", "--tool", "claude-code"])
    exposed = json.loads(cli(["exposure", "--json"]).stdout)
    claude = str(isolated_home / ".claude" / "settings.json")
    assert all(e["path"] != claude for e in exposed)  # Claude Code gets the key via apiKeyHelper, not a copy
    assert KEY not in (isolated_home / ".claude" / "settings.json").read_text()


def test_use_verifies_each_tool_with_a_health_check_of_what_it_now_reads(
    cli: Any, isolated_home: Path, provider_server: Any
) -> None:
    good = provider_server().play("anthropic", "ok", models=("model-a",))
    key = "sk-verify-0123456789abcdefghij"
    added = cli(["provider", "add", "gw", "--anthropic-url", good.url, "--model", "model-a", "--key-stdin"],
                input=key + "\n")
    assert added.returncode == 0, added.stderr
    (isolated_home / ".claude").mkdir()
    used = cli(["use", "gw/model-a", "--tool", "claude-code", "--json"])
    assert used.returncode == 0, used.stderr
    verify = json.loads(used.stdout)["verify"]
    assert verify[0]["ok"] is True and verify[0]["health"].startswith("works, ")
    listed = good.requests_to("/v1/models")
    assert len(listed) == 1 and listed[0].headers["x-api-key"] == key

    # A provider that refuses its key: the switch is written, and the per-tool check says why it won't work.
    bad = provider_server().play("anthropic", "auth_failed", models=("model-b",))
    cli(["provider", "add", "bad", "--anthropic-url", bad.url, "--model", "model-b", "--key-stdin"],
        input=key + "-old\n")
    again = cli(["use", "bad/model-b", "--tool", "claude-code", "--json"])
    assert again.returncode == 1
    assert len(bad.requests_to("/v1/models")) == 1
    report = json.loads(again.stdout)["verify"][0]
    assert report["ok"] is False and any(p.startswith("wrong key: ") for p in report["problems"])
    assert key not in again.stdout + again.stderr
