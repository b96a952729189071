"""Failover switches through the engine like `use`, and says when the switch is not in effect (issue 15).

It never makes the changes outside Switchover's own keys (`--include-overrides` is the user's call): it reports
what keeps the tool on something else, and the monitor records that instead of a plain success.
"""

from __future__ import annotations

import json
from pathlib import Path

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.switching.contract import ToolEnv
from switchover.services.failover import EngineSwitcher


def _env(home: Path, cwd: Path) -> ToolEnv:
    return ToolEnv(home, {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": ""}, "linux", cwd)


def test_engine_switcher_reports_an_allowlist_that_leaves_the_switch_out(isolated_home: Path, tmp_path: Path) -> None:
    config = isolated_home / ".config" / "opencode" / "opencode.json"
    config.parent.mkdir(parents=True)
    config.write_text('{\n  "model": "anthropic/claude-sonnet-4-5",\n  "enabled_providers": ["anthropic"]\n}\n')
    local = Provider("lab", (Endpoint.make(Protocol.OPENAI_CHAT, "http://127.0.0.1:9/v1"),), ("qwen3-coder",),
                     credential=Credential.none(), label="Lab")
    switcher = EngineSwitcher(_env(isolated_home, tmp_path))
    note = switcher.switch("opencode", local, "qwen3-coder", None)
    assert note == (f"OpenCode loads only the providers in enabled_providers, and “switchover” is not one of them "
                    f"(the run fails) ({config}: enabled_providers)")
    data = json.loads(config.read_text())
    assert data["model"] == "switchover/qwen3-coder" and data["enabled_providers"] == ["anthropic"]  # untouched

    config.write_text('{\n  "model": "anthropic/claude-sonnet-4-5"\n}\n')
    assert switcher.switch("opencode", local, "qwen3-coder", None) is None
