"""Wires the failover monitor (core, target-free) to the real tools, health checks and switching engine.

Lives above core because it needs `switchover.targets`; the CLI (`switchover watch`, `switchover failover`)
and the desktop app (a worker thread) both build their monitor here, so they behave the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from switchover.cli.commands.switching import key_command, make_engine
from switchover.core.balance.checks import LiveBalanceChecker
from switchover.core.errors import SwitchoverError
from switchover.core.failover.checker import LiveHealthChecker
from switchover.core.failover.decisions import DecisionLog
from switchover.core.failover.monitor import (
    BalanceChecker,
    Clock,
    HealthChecker,
    Monitor,
    Switcher,
    monitor_lock_file,
    one_shot_settings,
)
from switchover.core.failover.settings import FailoverSettings, Mode
from switchover.core.providers import Protocol, Provider
from switchover.core.secrets import Keychain, resolve_key
from switchover.core.switching.contract import CurrentChoice, SwitchRequest, Target, ToolEnv
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
        target = self._targets[tool]
        try:
            return target.current(self.env)
        except SwitchoverError:
            raise
        except Exception as exc:  # an odd file makes this tool unreadable; failover goes on for the others
            why = f"{type(exc).__name__}: {exc}"
            raise SwitchoverError(f"{target.label}: its config could not be read ({why})") from exc


class EngineSwitcher:
    """Switches through the switching engine: plan, back up, journal, atomic writes, rollback, undo, lock."""

    def __init__(self, env: ToolEnv | None = None, keychain: Keychain | None = None):
        self.env = env
        self._keychain = keychain

    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> None:
        engine = make_engine(self.env)  # the same engine and key command as `switchover use`

        def key() -> str | None:
            if self._keychain is None and provider.credential.kind == "keychain":
                self._keychain = Keychain()
            return resolve_key(provider, self._keychain)

        request = SwitchRequest(provider, model, small_model, key_command(provider.name), key)
        result = engine.use(request, [tool])
        if not result.ok:
            problems = "; ".join(f"{o.label}: {o.message or o.status}" for o in result.outcomes)
            raise SwitchoverError(f"the switch did not complete ({problems})")


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
    balance_checker: BalanceChecker | None = None,
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

    from switchover.services.gateway_tools import gateway_aware, request_evidence

    # Tools that go through the gateway: their choice is their route, a switch re-routes (files untouched),
    # and requests through the gateway count as health evidence.
    tools, aware_switcher = gateway_aware(TargetDirectory(env), switcher or EngineSwitcher(env), env)
    return Monitor(
        tools=tools,
        checker=checker or LiveHealthChecker(),
        switcher=aware_switcher,
        evidence=request_evidence,
        clock=clock,
        history=history,
        adjust_settings=adjust,
        only_tools=only_tools,
        lookahead=100 if one_shot else 2,
        exclusive_lock=None if one_shot else monitor_lock_file(),
        balance_checker=balance_checker or LiveBalanceChecker(),
    )
