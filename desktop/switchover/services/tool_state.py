"""Each tool's state in words, for the tray, the Tools page and the tooltip (issue 14, findings 3 and 4).

A tool is **ok** (its endpoint answered the last check), has a **problem** (the endpoint fails, its config
cannot be read, or something it ranks higher keeps the switch from taking effect), is **not checked** (its
endpoint is one of ours but has no result yet), or is **unknown** (it points somewhere Switchover cannot
check: not set up, or not one of your providers). "Not checked" is never shown as healthy.

    Codex CLI — OpenAI · gpt-5 · blocked in your region
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from switchover.core.health.results import HealthResult, HealthStatus
from switchover.services.conflicts import Conflict
from switchover.services.switching import ToolRow


class ToolHealth(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    NOT_CHECKED = "not checked"
    UNKNOWN = "unknown"


OPTIONAL_TOOLS = frozenset({"shell-env"})  # always "installed": shown once something uses it
RANK = {ToolHealth.PROBLEM: 0, ToolHealth.NOT_CHECKED: 1, ToolHealth.UNKNOWN: 2, ToolHealth.OK: 3}


@dataclass(frozen=True)
class ToolState:
    tool: str
    label: str
    health: ToolHealth
    uses: str  # "OpenAI · gpt-5", "via gateway → DeepSeek · deepseek-chat", "not set up"
    why: str  # short, lower case: "blocked in your region", "ok, 120 ms", "not checked yet"
    detail: str = ""  # the full sentence (hover, notification)
    endpoint_key: str | None = None
    status: HealthStatus | None = None

    @property
    def line(self) -> str:
        """"Codex CLI — OpenAI · gpt-5 · blocked in your region": the tray entry and tooltip line."""
        return f"{self.label} — {self.uses} · {self.why}" if self.uses else f"{self.label} — {self.why}"

    @property
    def needs_attention(self) -> bool:
        return self.health is ToolHealth.PROBLEM


Words = Callable[[HealthStatus], str]  # the human label of a status ("Blocked in your region")


def latency_words(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def tool_state(row: ToolRow, latest: Mapping[str, HealthResult], words: Words,
               conflicts: Iterable[Conflict] = ()) -> ToolState:
    """The state of one installed tool from what it points at, the last check of that endpoint, and the
    variables that override its config."""
    uses = row.describe() if row.status.current is not None else ""
    if row.status.error:
        return ToolState(row.tool, row.label, ToolHealth.PROBLEM, "", "its config cannot be read", row.status.error)
    current = row.status.current
    if current is None or (not current.base_url and not row.via_gateway):
        why = "not set up" if current is None else "uses its built-in provider"
        return ToolState(row.tool, row.label, ToolHealth.UNKNOWN, uses if current else "", why,
                         "Switchover cannot check an endpoint it does not know.")
    overriding = [c for c in conflicts if c.tool == row.tool and c.overrides]
    if overriding:
        first = overriding[0]
        return ToolState(row.tool, row.label, ToolHealth.PROBLEM, uses, f"overridden by {first.summary()}",
                         first.advice(), row.endpoint_key)
    if not current.in_effect:
        override = current.overrides[0]
        return ToolState(row.tool, row.label, ToolHealth.PROBLEM, uses, "uses something else: " + override.reason,
                         override.describe(), row.endpoint_key)
    if row.provider is None or row.endpoint_key is None:
        return ToolState(row.tool, row.label, ToolHealth.UNKNOWN, uses, "not one of your providers",
                         f"{current.base_url} is not a provider Switchover knows, so it is not checked. Add it "
                         "(switchover import) to have it checked and kept in a fallback order.")
    result = latest.get(row.endpoint_key)
    if result is None:
        return ToolState(row.tool, row.label, ToolHealth.NOT_CHECKED, uses, "not checked yet",
                         "Its endpoint has not been checked since Switchover started.", row.endpoint_key)
    label = words(result.status)
    why = label[:1].lower() + label[1:]
    if result.healthy:
        latency = latency_words(result.latency_ms)
        return ToolState(row.tool, row.label, ToolHealth.OK, uses, f"{why}, {latency}" if latency else why,
                         result.reason, row.endpoint_key, result.status)
    return ToolState(row.tool, row.label, ToolHealth.PROBLEM, uses, why, result.reason, row.endpoint_key,
                     result.status)


def tool_states(rows: Iterable[ToolRow], latest: Mapping[str, HealthResult], words: Words,
                conflicts: Iterable[Conflict] = ()) -> list[ToolState]:
    """Installed tools only, in their usual order (Switchover's own shell file only once it is in use)."""
    conflicts = list(conflicts)
    return [tool_state(row, latest, words, conflicts) for row in rows
            if row.installed and not (row.tool in OPTIONAL_TOOLS and row.status.current is None)]


def overall(states: Iterable[ToolState]) -> ToolHealth | None:
    """The worst state: a problem beats not checked beats unknown beats ok; None without tools."""
    states = list(states)
    if not states:
        return None
    return min((s.health for s in states), key=RANK.__getitem__)


def summary(states: Iterable[ToolState]) -> str:
    """One sentence for the tooltip's last line: "2 of 5 tools need attention", "Every tool works"…"""
    states = list(states)
    if not states:
        return "No coding tools found"
    problems = sum(1 for s in states if s.health is ToolHealth.PROBLEM)
    unchecked = sum(1 for s in states if s.health is ToolHealth.NOT_CHECKED)
    if problems:
        return f"{problems} of {len(states)} tools need attention"
    if unchecked:
        return f"{unchecked} of {len(states)} tools not checked yet"
    if all(s.health is ToolHealth.OK for s in states):
        return "Every tool's provider answers"
    return f"{sum(1 for s in states if s.health is ToolHealth.OK)} of {len(states)} tools checked and working"


__all__ = ["ToolHealth", "ToolState", "overall", "summary", "tool_state", "tool_states"]
