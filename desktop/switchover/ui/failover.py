"""Runs the failover monitor (core policy, same wiring as `switchover watch`) in the app, on its own thread.

Decisions come back to the UI thread as signals: the app turns a suggestion into a notification whose click
accepts it, and an automatic switch into a "switched" notification. Only one monitor runs across processes
(the core's exclusive lock): if `switchover watch` already runs, this one stands by.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from switchover.ui.taskman import Progress, Task, TaskManager

log = logging.getLogger(__name__)


def _default_monitor() -> Any:
    from switchover.services.failover import build_monitor

    return build_monitor()


class FailoverService(QObject):
    """Signals:
    decision_made(object): a failover `Decision` (suggested, switched, accepted, failed, noted).
    problem_changed(object): why failover cannot work right now (str), or None once it can.
    results_arrived(list): the `HealthResult`s of a monitor round; the app's health view merges them, so
        these endpoints are not checked twice (see `ui/health_monitor.py`).
    balances_arrived(list): the `BalanceResult`s of a monitor balance round (its own, slower schedule).
    """

    decision_made = Signal(object)
    problem_changed = Signal(object)
    results_arrived = Signal(list)
    balances_arrived = Signal(list)

    def __init__(self, tasks: TaskManager, monitor_factory: Callable[[], Any] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self._factory = monitor_factory or _default_monitor
        self.monitor: Any = None
        self.monitor_thread: threading.Thread | None = None

    def start(self) -> None:
        if self.monitor is not None:
            return
        monitor = self._factory()
        monitor.add_observer(lambda d: self.tasks.run_on_main(lambda: self.decision_made.emit(d)))
        monitor.add_problem_observer(lambda p: self.tasks.run_on_main(lambda: self.problem_changed.emit(p)))
        monitor.add_results_observer(
            lambda rs: self.tasks.run_on_main(lambda: self.results_arrived.emit(list(rs))))
        if hasattr(monitor, "add_balance_observer"):
            monitor.add_balance_observer(
                lambda bs: self.tasks.run_on_main(lambda: self.balances_arrived.emit(list(bs))))
        self.monitor = monitor
        self.monitor_thread = monitor.start_thread()
        log.info("failover monitor started")

    def check_now(self) -> None:
        if self.monitor is not None:
            self.monitor.check_now()

    def accept(self, decision: Any, on_done: Callable[[Any], None] | None = None) -> Task | None:
        """Carry out a suggestion (off the UI thread: it switches files)."""
        if self.monitor is None:
            return None
        monitor = self.monitor

        def work(_p: Progress) -> Any:
            return monitor.accept(decision)

        return self.tasks.run(work, on_success=on_done, serial=True, label="accept failover suggestion")

    def stop(self) -> None:
        if self.monitor is None:
            return
        self.monitor.stop()
        if self.monitor_thread is not None:
            self.monitor_thread.join(10)
        self.monitor = None
        self.monitor_thread = None
