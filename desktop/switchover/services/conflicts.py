"""Provider variables set outside the tools' configs, per tool, with what to do (issue 14, finding 11).

Each target lists the variables its tool reads besides its config (`Target.overriding_env`: they win over
what Switchover writes, so a switch does not take effect; `accompanying_env`: the config wins, but a key
exported there reaches every program started from that shell). `find_conflicts` looks for them in the
current environment and in the shell start-up files (`core.shell_startup`), and says where, line included.
`status`, `use --dry-run`, the Tools page and the tray show the result. Values are never read out or shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from switchover.core.errors import SwitchoverError
from switchover.core.shell_startup import VariableSetting, find_settings
from switchover.core.switching.contract import Target, ToolEnv

_KEY_WORDS = ("KEY", "TOKEN", "SECRET")


@dataclass(frozen=True)
class Conflict:
    tool: str
    label: str
    setting: VariableSetting
    overrides: bool  # True: it wins over Switchover's setting; False: read alongside (the config wins)
    home: Path | None = None

    @property
    def var(self) -> str:
        return self.setting.var

    @property
    def is_key(self) -> bool:
        return any(word in self.var for word in _KEY_WORDS)

    @property
    def where(self) -> str:
        return self.setting.where(self.home)

    def summary(self) -> str:
        """"$ANTHROPIC_API_KEY in ~/.bashrc line 12": short, for menus and table cells."""
        return f"${self.var} in {self.where}"

    def advice(self) -> str:
        """What it does and what to do, in one or two sentences."""
        fix = ("remove that line and open a new terminal" if self.setting.path is not None
               else f"unset it (`unset {self.var}`) where you start {self.label}")
        if self.overrides:
            return (f"${self.var} is set in {self.where} and wins over what Switchover writes for {self.label}, "
                    f"so a switch does not take effect there: {fix}.")
        if self.is_key:
            return (f"${self.var} is exported in {self.where}: the key reaches every program started from there. "
                    f"{self.label} gets its key from Switchover, so {fix}.")
        return (f"${self.var} is set in {self.where}; {self.label} reads it too, but its config (Switchover's "
                f"setting) wins. To avoid confusion, {fix}.")


def find_conflicts(targets: Sequence[Target], env: ToolEnv, tools: Iterable[str] | None = None,
                   installed_only: bool = True) -> list[Conflict]:
    """Conflicts of every (installed) tool, or of `tools`: the overriding ones first."""
    wanted = set(tools) if tools is not None else None
    names = {var for t in targets for var in (*t.overriding_env, *t.accompanying_env)}
    if not names:
        return []
    settings = find_settings(names, env.home, env.environ)
    if not settings:
        return []
    conflicts = []
    for target in targets:
        if wanted is not None and target.id not in wanted:
            continue
        if not target.overriding_env and not target.accompanying_env:
            continue
        if installed_only:
            try:
                if not target.detect(env).installed:
                    continue
            except (SwitchoverError, OSError):
                continue
        for setting in settings:
            if setting.var in target.overriding_env or setting.var in target.accompanying_env:
                conflicts.append(Conflict(target.id, target.label, setting, setting.var in target.overriding_env,
                                          env.home))
    return sorted(conflicts, key=lambda c: (not c.overrides, c.tool, c.setting.path is not None))


def by_tool(conflicts: Iterable[Conflict]) -> dict[str, list[Conflict]]:
    grouped: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        grouped.setdefault(conflict.tool, []).append(conflict)
    return grouped


__all__ = ["Conflict", "by_tool", "find_conflicts"]
