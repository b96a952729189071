"""Every tool Switchover can point, by stable id."""

from __future__ import annotations

from switchover.core.errors import SwitchoverError
from switchover.core.suggestions import did_you_mean
from switchover.core.switching.contract import Target
from switchover.targets.aider import Aider
from switchover.targets.claude_code import ClaudeCode
from switchover.targets.cline import Cline
from switchover.targets.codex import Codex
from switchover.targets.continue_dev import ContinueDev
from switchover.targets.factory_droid import FactoryDroid
from switchover.targets.gemini_cli import GeminiCli
from switchover.targets.goose import Goose
from switchover.targets.kilo_code import KiloCode
from switchover.targets.opencode import OpenCode
from switchover.targets.qwen_code import QwenCode
from switchover.targets.shell_env import ShellEnv
from switchover.targets.zed import Zed


class UnknownToolError(SwitchoverError):
    pass


def all_targets() -> list[Target]:
    """One instance per tool, in the order the UI lists them (the shell file last: it is the fallback)."""
    return [ClaudeCode(), Codex(), GeminiCli(), OpenCode(), QwenCode(), Aider(), ContinueDev(), Zed(), Goose(),
            Cline(), KiloCode(), FactoryDroid(), ShellEnv()]


def get_target(tool_id: str) -> Target:
    targets = {target.id: target for target in all_targets()}
    try:
        return targets[tool_id]
    except KeyError:
        known = ", ".join(targets)
        raise UnknownToolError(f"Unknown tool {tool_id!r}.{did_you_mean(tool_id, targets)} Known tools: {known}") \
            from None
