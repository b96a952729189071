"""Wires the failover monitor (core, target-free) to the real tools, health checks and switching engine.

Lives above core because it needs `switchover.targets`; the CLI (`switchover watch`, `switchover failover`)
and the desktop app (a worker thread) both build their monitor here, so they behave the same.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

from switchover.core.errors import SwitchoverError
from switchover.core.failover.checker import LiveHealthChecker
from switchover.core.failover.decisions import DecisionLog
from switchover.core.failover.monitor import Clock, HealthChecker, Monitor, Switcher, one_shot_settings
from switchover.core.failover.settings import FailoverSettings, Mode
from switchover.core.providers import Protocol, Provider
from switchover.targets.base import CurrentChoice, Target, ToolEnv
from switchover.targets.registry import all_targets, get_target

log = logging.getLogger(__name__)


class TargetDirectory:
    """The monitor's view of the tools, through the targets registry (reads configs, never writes)."""

    def __init__(self, env: ToolEnv | None = None, targets: Sequence[Target] | None = None):
        self.env = env or ToolEnv.current()
        self._targets = {t.id: t for t in (targets if targets is not None else all_targets())}

    def tool_ids(self) -> list[str]:
        return list(self._targets)

    def label(self, tool: str) -> str:
        return self._targets[tool].label

    def protocols(self, tool: str) -> tuple[Protocol, ...]:
        return tuple(self._targets[tool].protocols)

    def current(self, tool: str) -> CurrentChoice | None:
        return self._targets[tool].current(self.env)


class EngineSwitcher:
    """Switches through the switching engine (`switchover.core.switching.use`): backups, journal, undo, lock."""

    def __init__(self, env: ToolEnv | None = None):
        self.env = env

    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> None:
        try:
            switching = importlib.import_module("switchover.core.switching")
        except ImportError as exc:  # pragma: no cover - the engine ships with the app
            raise SwitchoverError("The switching engine is not available in this build.") from exc
        use: Callable[..., object] = switching.use
        use(provider, model, small_model, [tool])


def build_monitor(
    *,
    mode: Mode | None = None,
    interval_s: float | None = None,
    only_tools: Sequence[str] | None = None,
    one_shot: bool = False,
    env: ToolEnv | None = None,
    checker: HealthChecker | None = None,
    switcher: Switcher | None = None,
    clock: Clock | None = None,
    history: DecisionLog | None = None,
) -> Monitor:
    """The monitor the CLI and the app run. `mode`/`interval_s` override the stored settings for this run;
    `one_shot` is `switchover failover`: act on a single failing check, no dwell."""
    for tool in only_tools or ():
        get_target(tool)  # unknown tool: a clear error now rather than silence later

    def adjust(settings: FailoverSettings) -> FailoverSettings:
        settings = settings.with_mode_override(mode)
        if one_shot and only_tools and mode is not None:
            settings = replace(settings, default_mode=mode, modes={})  # the user named the tool: even if off
        if interval_s is not None:
            settings = replace(settings, interval_s=interval_s)
        return one_shot_settings(settings) if one_shot else settings

    return Monitor(
        tools=TargetDirectory(env),
        checker=checker or LiveHealthChecker(),
        switcher=switcher or EngineSwitcher(env),
        clock=clock,
        history=history,
        adjust_settings=adjust,
        only_tools=only_tools,
        lookahead=100 if one_shot else 2,
    )
