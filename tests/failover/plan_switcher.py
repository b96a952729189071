"""A stand-in for the switching engine until it lands: applies the real target's plan with atomic writes."""

from __future__ import annotations

from switchover.core.fileio import atomic_write
from switchover.core.providers import Provider
from switchover.core.secrets import resolve_key
from switchover.targets.base import SwitchRequest, ToolEnv
from switchover.targets.registry import get_target


class PlanSwitcher:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> None:
        target = get_target(tool)
        request = SwitchRequest(provider, model, small_model, ("switchover", "key", provider.name),
                                lambda: resolve_key(provider))
        plan = target.plan(ToolEnv.current(), request)
        for change in plan.changes:
            atomic_write(change.path, change.after, change.new_file_mode if change.before is None else None)
        self.calls.append((tool, provider.name, model))
