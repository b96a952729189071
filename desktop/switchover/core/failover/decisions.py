"""Decision records: what failover decided, why (the health results as evidence), and what it did.

History is a bounded JSON-lines file under the data dir, so `switchover failover --json`, the app and a
bug report can all explain a switch after the fact. It never holds a key: evidence is `HealthResult`s, which
are scrubbed when they are made.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from switchover.core import paths
from switchover.core.balance.results import BalanceResult
from switchover.core.fileio import atomic_write_text
from switchover.core.filelock import locked
from switchover.core.health.results import HealthResult
from switchover.core.store import ChainEntry

log = logging.getLogger(__name__)

HISTORY_LIMIT = 500


class DecisionKind(StrEnum):
    FAILOVER = "failover"  # the active choice is down; move to the first healthy candidate
    SWITCH_BACK = "switch_back"  # the preferred choice has been healthy long enough; return to it
    NO_CANDIDATE = "no_candidate"  # the active choice is down and nothing in the chain is healthy
    HELD = "held"  # a switch is due, but the minimum dwell time since the last switch has not passed
    RECOVERED = "recovered"  # an endpoint we warned about is healthy again; earlier suggestions are moot
    LOW_BALANCE = "low_balance"  # the active provider's balance is low: move on before requests fail


class Action(StrEnum):
    SUGGESTED = "suggested"  # waiting for the user (`Monitor.accept`)
    SWITCHED = "switched"  # done automatically (auto mode)
    ACCEPTED = "accepted"  # the user accepted a suggestion and the switch was made
    FAILED = "failed"  # a switch was attempted and the engine refused; `error` says why
    NOTED = "noted"  # nothing to do (held, no candidate, recovered)


@dataclass(frozen=True)
class Decision:
    tool: str
    tool_label: str
    kind: DecisionKind
    action: Action
    mode: str
    message: str
    from_choice: ChainEntry | None = None
    to_choice: ChainEntry | None = None
    evidence: tuple[HealthResult, ...] = ()
    at: float = 0.0  # wall-clock time (time.time())
    error: str | None = None
    suggestion_id: str | None = None  # for ACCEPTED: the suggestion this carried out
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    balance: tuple[BalanceResult, ...] = ()  # balance readings that were evidence too (issue 18)

    @property
    def is_suggestion(self) -> bool:
        return self.action is Action.SUGGESTED

    @property
    def moved_away(self) -> bool:
        """A switch away from trouble (down, or running out), after which switching back applies."""
        return self.kind in (DecisionKind.FAILOVER, DecisionKind.LOW_BALANCE)

    @property
    def switched(self) -> bool:
        """The tool's config now points at `to_choice` because of this decision."""
        return self.action in (Action.SWITCHED, Action.ACCEPTED)

    def with_outcome(self, action: Action, message: str, error: str | None = None, at: float | None = None,
                     suggestion_id: str | None = None) -> Decision:
        return replace(
            self,
            action=action,
            message=message,
            error=error,
            at=self.at if at is None else at,
            suggestion_id=suggestion_id,
            id=uuid.uuid4().hex[:12] if suggestion_id else self.id,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "tool": self.tool,
            "tool_label": self.tool_label,
            "kind": self.kind.value,
            "action": self.action.value,
            "mode": self.mode,
            "from": str(self.from_choice) if self.from_choice else None,
            "to": str(self.to_choice) if self.to_choice else None,
            "message": self.message,
            "error": self.error,
            "suggestion_id": self.suggestion_id,
            "evidence": [result.to_json() for result in self.evidence],
            "balance": [result.to_json() for result in self.balance],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decision:
        return cls(
            id=str(data["id"]),
            at=float(data.get("at", 0.0)),
            tool=str(data["tool"]),
            tool_label=str(data.get("tool_label", data["tool"])),
            kind=DecisionKind(data["kind"]),
            action=Action(data["action"]),
            mode=str(data.get("mode", "")),
            from_choice=ChainEntry.parse(data["from"]) if data.get("from") else None,
            to_choice=ChainEntry.parse(data["to"]) if data.get("to") else None,
            message=str(data.get("message", "")),
            error=data.get("error"),
            suggestion_id=data.get("suggestion_id"),
            evidence=tuple(HealthResult.from_json(e) for e in data.get("evidence", [])),
            balance=tuple(BalanceResult.from_json(b) for b in data.get("balance", [])),
        )


def history_file() -> Path:
    return paths.data_dir() / "failover" / "decisions.jsonl"


class DecisionLog:
    """Append-only, bounded history shared by the CLI, the service and the app (inter-process locked)."""

    def __init__(self, path: Path | None = None, limit: int = HISTORY_LIMIT):
        self.path = path or history_file()
        self.limit = limit

    def _lock(self) -> Path:
        return self.path.with_name("." + self.path.name + ".lock")

    def append(self, decision: Decision) -> None:
        self.extend([decision])

    def extend(self, decisions: Sequence[Decision]) -> None:
        if not decisions:
            return
        paths.ensure_private_dir(self.path.parent)
        lines = [json.dumps(d.to_json(), ensure_ascii=False, separators=(",", ":")) for d in decisions]
        with locked(self._lock(), what=f"the failover history {self.path}"):
            existing = self._read_lines()
            if len(existing) + len(lines) > self.limit:
                kept = [*existing, *lines][-self.limit :]
                atomic_write_text(self.path, "\n".join(kept) + "\n", mode=0o600)
                return
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")

    def _read_lines(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [line for line in text.splitlines() if line.strip()]

    def recent(self, limit: int | None = None, tool: str | None = None) -> list[Decision]:
        """Oldest first; a damaged line (e.g. a crash mid-write) is skipped, not fatal."""
        found: list[Decision] = []
        for line in self._read_lines():
            try:
                decision = Decision.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("skipping a damaged line in %s: %s", self.path, exc)
                continue
            if tool is None or decision.tool == tool:
                found.append(decision)
        return found[-limit:] if limit else found

    def last_switch(self, tool: str) -> Decision | None:
        """The most recent decision that changed the tool's config."""
        return next((d for d in reversed(self.recent(tool=tool)) if d.switched), None)
