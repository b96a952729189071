"""What the tray, its tooltip and the Tools page say about each tool: its state in words, the variables that
override it (with file and line), and the failover suggestions still waiting for an answer.

Qt only for signals: the states come from `switchover.services.tool_state`, the conflicts from
`switchover.services.conflicts` (read on a worker). A suggestion stays until it is accepted, dismissed, or
made moot (the tool was switched, or its provider recovered), so a notification that vanished after ten
seconds leaves the choice in the menu.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from switchover import APP_NAME
from switchover.core.providers import endpoint_key
from switchover.services.conflicts import Conflict
from switchover.services.tool_state import ToolHealth, ToolState, overall, summary, tool_states
from switchover.ui.health_format import status_label
from switchover.ui.icons import TrayState

if TYPE_CHECKING:
    from switchover.core.failover.decisions import Decision
    from switchover.ui.health_monitor import HealthMonitor
    from switchover.ui.state import AppState
    from switchover.ui.switching import ToolsService

log = logging.getLogger(__name__)


class StatusBoard(QObject):
    """Signals:
    changed(): states, conflicts or suggestions changed (the tray and pages re-read them).
    """

    changed = Signal()

    def __init__(self, state: AppState, health: HealthMonitor, tools: ToolsService,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.health = health
        self.tools = tools
        self.conflicts: list[Conflict] = []
        self.suggestions: dict[str, Decision] = {}  # tool -> the suggestion waiting for an answer
        for signal in (health.result_arrived, health.results_merged, health.check_finished):
            signal.connect(lambda *_a: self.changed.emit())
        health.history_loaded.connect(self.changed.emit)
        tools.tools_loaded.connect(lambda _rows: self.load_conflicts())

    # ------------------------------------------------------------ reading

    def states(self) -> list[ToolState]:
        return tool_states(self.tools.rows, self.health.latest, status_label, self.conflicts)

    def conflicts_for(self, tool: str) -> list[Conflict]:
        return [c for c in self.conflicts if c.tool == tool]

    def load_conflicts(self) -> None:
        """Variables in the environment and shell start-up files that the tools read (a worker: file reads)."""
        installed = [r.tool for r in self.tools.rows if r.installed]

        def work(_p: object) -> list[Conflict]:
            from switchover.core.switching.contract import ToolEnv
            from switchover.services.conflicts import find_conflicts
            from switchover.services.switching import all_targets

            return find_conflicts(all_targets(), ToolEnv.current(), installed, installed_only=False)

        def done(found: list[Conflict]) -> None:
            self.conflicts = found
            self.changed.emit()

        self.state.tasks.run(work, on_success=done, on_failure=lambda exc: log.info("conflicts: %s", exc),
                             label="find conflicts")

    # ------------------------------------------------------------ suggestions

    def decision(self, decision: Decision) -> None:
        """Keep suggestions until answered; anything else that happened to the tool settles its suggestion."""
        from switchover.core.failover.decisions import Action, DecisionKind

        if decision.is_suggestion:
            self.suggestions[decision.tool] = decision
        elif decision.action in (Action.ACCEPTED, Action.SWITCHED, Action.FAILED) or \
                decision.kind is DecisionKind.RECOVERED:
            self.suggestions.pop(decision.tool, None)
        else:
            return
        self.changed.emit()

    def dismiss(self, tool: str) -> None:
        if self.suggestions.pop(tool, None) is not None:
            self.changed.emit()

    def pending(self) -> list[Decision]:
        return list(self.suggestions.values())

    # ------------------------------------------------------------ the tray's summary

    def tray_state(self, states: Iterable[ToolState] | None = None) -> TrayState:
        """Worst first. A tool's problem is red; a tool not checked yet is grey, never green; other providers
        failing (none of the tools use them) make it amber; all tools answering is green."""
        states = list(self.states() if states is None else states)
        worst = overall(states)
        if worst is ToolHealth.PROBLEM:
            return TrayState.DOWN
        if worst is ToolHealth.NOT_CHECKED or (worst is None and not self.health.latest):
            return TrayState.UNKNOWN
        if self.unused_failing(states) or any(s.status is not None and s.status.value == "slow"
                                               for s in states) or self.suggestions:
            return TrayState.DEGRADED
        if worst is ToolHealth.UNKNOWN or worst is None:
            return TrayState.UNKNOWN if not any(s.health is ToolHealth.OK for s in states) else TrayState.OK
        return TrayState.OK

    def tooltip_lines(self, states: Iterable[ToolState] | None = None) -> list[str]:
        """The tooltip: one line per tool in words, waiting suggestions, then a one-line summary."""
        states = list(self.states() if states is None else states)
        lines = [APP_NAME, *(s.line for s in states)]
        for decision in self.pending():
            target = decision.to_choice
            lines.append(f"Suggested: {decision.tool_label} → {target}" if target else decision.message)
        failing = self.unused_failing(states)
        if failing:
            shown = ", ".join(failing[:3]) + (f" and {len(failing) - 3} more" if len(failing) > 3 else "")
            lines.append(f"Not used by a tool, failing: {shown}")
        if not self.state.store.providers:
            lines.append("No providers yet: open Switchover to add one")
        else:
            lines.append(summary(states))
        return lines

    def unused_failing(self, states: Iterable[ToolState]) -> list[str]:
        """"Busy — Provider overloaded" for each provider endpoint no tool uses whose last check failed."""
        in_use = {s.endpoint_key for s in states if s.endpoint_key}
        found = []
        for provider in self.state.store.providers.values():
            for endpoint in provider.endpoints:
                key = endpoint_key(provider.name, endpoint.protocol)
                result = self.health.latest.get(key)
                if key not in in_use and result is not None and not result.healthy:
                    found.append(f"{provider.display_name} — {status_label(result.status).lower()}")
                    break
        return found


def describe_suggestion(decision: Any) -> str:
    target = decision.to_choice
    return f"Switch {decision.tool_label} to {target}?" if target else decision.message


__all__ = ["StatusBoard", "describe_suggestion"]
