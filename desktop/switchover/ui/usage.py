"""Spend in the app: builds the usage report off the UI thread and hands it to whoever shows it.

The report comes from `source(days, store, balances)`: by default the gateway's request log read through
the services layer; tests and other hosts pass their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from switchover.core.balance.results import BalanceResult
from switchover.core.spend.report import UsageReport
from switchover.core.store import Store
from switchover.ui.state import AppState
from switchover.ui.taskman import Progress, Task

log = logging.getLogger(__name__)

ReportSource = Callable[[int, Store, Mapping[str, BalanceResult]], UsageReport]


def default_source(days: int, store: Store, balances: Mapping[str, BalanceResult]) -> UsageReport:
    from switchover.services.spend import load_report

    report: UsageReport = load_report(store, days=days, balances=balances)
    return report


def tokens_text(count: float) -> str:
    """1 234 -> "1.2 k", 3 400 000 -> "3.4 M"."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count:.0f}"


class UsageService(QObject):
    """Signals:
    report_ready(object): a fresh `UsageReport`.
    report_failed(str): why the report could not be built.
    """

    report_ready = Signal(object)
    report_failed = Signal(str)

    def __init__(self, state: AppState, balances: Callable[[], Mapping[str, BalanceResult]] | None = None,
                 source: ReportSource | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.balances = balances or dict
        self.source = source or default_source
        self.report: UsageReport | None = None
        self._task: Task | None = None

    def load(self, days: int) -> Task:
        if self._task is not None:
            self._task.cancel()
        store, balances, source = self.state.store, dict(self.balances()), self.source

        def work(_p: Progress) -> UsageReport:
            return source(days, store, balances)

        def done(report: Any) -> None:
            self._task = None
            self.report = report
            self.report_ready.emit(report)

        def failed(exc: BaseException) -> None:
            self._task = None
            log.warning("usage report failed: %s", exc)
            self.report_failed.emit(str(exc))

        self._task = self.state.tasks.run(work, on_success=done, on_failure=failed, label="usage report")
        return self._task
