"""The verdict after a switch, per tool, in words (Qt-free: the wizard's worker-thread services use it too).

`SwitchEngine.verify` reads each tool's config back and, with `make_health_hook`, checks exactly what the
tool now reads; this turns its reports into the lines the notification, the Tools page and the wizard show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from switchover.core.switching import VerifyReport


@dataclass(frozen=True)
class Verification:
    """The post-switch verdict per tool: config read back as asked, and the endpoint answers (or why not)."""

    provider: str
    model: str
    reports: tuple[VerifyReport, ...]
    labels: dict[str, str]  # tool id -> label, for messages
    error: str | None = None  # the verification itself could not run
    source: str = "switch"  # "switch" (this app switched) or "failover" (the failover monitor did)

    @property
    def ok(self) -> bool:
        return self.error is None and all(r.ok for r in self.reports)

    def lines(self) -> list[str]:
        """"Claude Code: ✓ works, 42 ms" or "Claude Code: ✗ wrong key: the key was rejected"."""
        if self.error is not None:
            return [f"Could not verify the switch: {self.error}"]
        return [f"{self.labels.get(r.tool, r.tool)}: {verdict_text(r)}" for r in self.reports]


def verdict_text(report: VerifyReport) -> str:
    if report.ok:
        return f"✓ {report.health or 'config reads back as asked'}"
    return "✗ " + "; ".join(report.problems)


__all__ = ["Verification", "verdict_text"]
