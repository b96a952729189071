"""The failover monitor (core, target-free) wired to the real tools, health checks and switching engine.

`switchover watch`, `switchover failover` and the desktop app (on a worker thread) all build their monitor
here, so they behave the same and switch exactly like `switchover use` (same engine, same key command).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from switchover.core.balance.checks import LiveBalanceChecker
from switchover.core.errors import SwitchoverError
from switchover.core.failover.decisions import DecisionLog
from switchover.core.failover.monitor import (
    BalanceChecker,
    CheckRequest,
    Clock,
    HealthChecker,
    Monitor,
    Switcher,
    monitor_lock_file,
    one_shot_settings,
)
from switchover.core.failover.settings import FailoverSettings, Mode
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult, Tier
from switchover.core.providers import Protocol, Provider
from switchover.core.secrets import Keychain
from switchover.core.switching.contract import CurrentChoice, Target, ToolEnv
from switchover.services.keys import KeySource
from switchover.services.probes import ProbeSpec, build_probes, sweep
from switchover.services.spend import spend_rates_for
from switchover.services.switching import all_targets, get_target, make_engine, switch_problems, switch_request

if TYPE_CHECKING:
    from switchover.core.health.runner import CheckOptions

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
        self.keys = KeySource(keychain)

    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> str | None:
        result = make_engine(self.env).use(switch_request(provider, model, small_model, self.keys), [tool])
        if not result.ok:
            raise SwitchoverError(f"the switch did not complete ({switch_problems(result)})")
        # Failover never changes what lies outside Switchover's own keys; it says what keeps the switch from
        # taking effect (an agent's own model, a provider allowlist, an exported variable, ...).
        blocked = [o.describe() for outcome in result.outcomes for o in outcome.overrides]
        return "; ".join(blocked) or None


class LiveHealthChecker:
    """The real checks for the monitor: keys by the one key policy, concurrent checks, history recorded.

    A locked or unavailable keychain is not the provider's fault: such endpoints are skipped this round rather
    than reported as `auth_failed` (which would move every tool off its keychain providers). A key that is
    simply missing is a real failure and is reported as such.
    """

    def __init__(
        self,
        keychain: Keychain | None = None,
        options: CheckOptions | None = None,
        history: HealthHistory | None = None,
        record_history: bool = True,
    ):
        self.keys = KeySource(keychain)
        self.options = options
        self.history = history if history is not None else (HealthHistory() if record_history else None)

    def check(self, requests: Sequence[CheckRequest], tier: Tier) -> list[HealthResult]:
        specs = [
            ProbeSpec(r.provider, r.protocol, r.models if r.models or tier is not Tier.DEEP else None)
            for r in requests
        ]
        probes = build_probes(specs, tier, self.keys)
        for key in sorted(probes.keychain_unusable):
            log.warning("skipping %s this round: the keychain cannot be read", key)
        probes.unresolved = [r for r in probes.unresolved if r.endpoint_key not in probes.keychain_unusable]
        if not probes.probes and not probes.unresolved:
            return []
        return sweep(probes, tier, self.options, history=self.history)


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
        balance_checker=balance_checker or LiveBalanceChecker(rates=spend_rates_for),
    )


__all__ = ["EngineSwitcher", "LiveHealthChecker", "TargetDirectory", "build_monitor"]
