"""Runs health checks for the app: on demand and on a timer, results streamed to the UI as they arrive.

The checking itself is the core's (`check_many_sync` on a worker thread); this object only schedules it,
keeps the latest result per endpoint, records history, and says what the tray should show.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from switchover.core.errors import SwitchoverError
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Provider
from switchover.core.secrets import resolve_key
from switchover.ui.icons import TrayState
from switchover.ui.state import AppState
from switchover.ui.taskman import Progress, Task

if TYPE_CHECKING:  # the runner pulls in httpx and asyncio: imported on first check, off the start-up path
    from switchover.core.health.probes import CheckTarget
    from switchover.core.health.runner import CheckOptions

log = logging.getLogger(__name__)
SPARK_POINTS = 30


def endpoint_keys(providers: Iterable[Provider]) -> list[str]:
    return [f"{p.name}/{e.protocol.value}" for p in providers for e in p.endpoints]


def build_targets(providers: Iterable[Provider], key_for: Callable[[Provider], str | None]) -> list[CheckTarget]:
    """One target per endpoint. A key that cannot be read becomes "no key", which the check reports."""
    from switchover.core.health.probes import CheckTarget

    targets = []
    for provider in providers:
        try:
            key = key_for(provider)
        except SwitchoverError as exc:
            log.info("no key for %s: %s", provider.name, exc)
            key = None
        for endpoint in provider.endpoints:
            targets.append(CheckTarget.from_provider(provider, key, endpoint.protocol))
    return targets


def tray_state(latest: dict[str, HealthResult], in_use: set[str] | None = None) -> TrayState:
    """Worst first: an endpoint a tool uses is down > anything unhealthy or slow > all fine > nothing known.

    `in_use` holds endpoint keys tools point at; without it (engine unknown) nothing counts as in use.
    """
    if not latest:
        return TrayState.UNKNOWN
    if any(key in latest and not latest[key].healthy for key in in_use or ()):
        return TrayState.DOWN
    if any(not r.healthy or r.status is HealthStatus.SLOW for r in latest.values()):
        return TrayState.DEGRADED
    return TrayState.OK


class HealthMonitor(QObject):
    """Signals:
    check_started(int): a check of N endpoints began.
    result_arrived(object): one `HealthResult`, as soon as it is known.
    check_finished(list): all results of the run (input order).
    check_failed(str): the run itself failed (not an endpoint: those are results).
    history_loaded(): `history_points` is filled from disk.
    """

    check_started = Signal(int)
    result_arrived = Signal(object)
    check_finished = Signal(list)
    check_failed = Signal(str)
    history_loaded = Signal()

    def __init__(self, state: AppState, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.history = HealthHistory()
        self.latest: dict[str, HealthResult] = {}
        self.history_points: dict[str, list[float | None]] = {}
        self.running: Task | None = None
        self.options_factory: Callable[[], CheckOptions] = self._default_options
        self.timer = QTimer(self)
        self.timer.setSingleShot(False)
        self.timer.timeout.connect(lambda: self.check_now(reason="timer"))
        state.store_changed.connect(self._settings_changed)

    def _default_options(self) -> CheckOptions:
        from switchover.core.health.runner import CheckOptions

        return CheckOptions(slow_ms=float(self.state.settings.slow_threshold_ms))

    def _settings_changed(self) -> None:
        interval = self.state.settings.check_interval_s
        if interval <= 0:
            self.timer.stop()
        elif self.timer.interval() != interval * 1000 or not self.timer.isActive():
            self.timer.start(interval * 1000)

    # ------------------------------------------------------------ history

    def load_history(self) -> Task:
        history = self.history

        def work(_p: Progress) -> tuple[dict[str, HealthResult], dict[str, list[float | None]]]:
            latest: dict[str, HealthResult] = {}
            points: dict[str, list[float | None]] = {}
            for key in history.endpoints():
                results = history.results(key)
                if results:
                    latest[key] = results[-1]
                    points[key] = [r.latency_ms if r.healthy else None for r in results[-SPARK_POINTS:]]
            return latest, points

        def done(value: tuple[dict[str, HealthResult], dict[str, list[float | None]]]) -> None:
            latest, points = value
            for key, result in latest.items():
                self.latest.setdefault(key, result)
            for key, series in points.items():
                self.history_points.setdefault(key, series)
            self.history_loaded.emit()

        return self.state.tasks.run(work, on_success=done, label="load health history")

    # ------------------------------------------------------------ checking

    def check_now(
        self, providers: list[Provider] | None = None, tier: Tier | None = None, reason: str = "user"
    ) -> Task | None:
        """Check the given providers (default: all). Returns None if a run is already going."""
        if self.running is not None:
            return None
        chosen = list(self.state.store.providers.values()) if providers is None else providers
        tier = tier or (Tier.DEEP if self.state.settings.deep_checks else Tier.AUTH)
        options = self.options_factory()
        state, history = self.state, self.history

        def key_for(provider: Provider) -> str | None:
            return resolve_key(provider, state.keychain() if provider.credential.kind == "keychain" else None)

        def work(progress: Progress) -> list[HealthResult]:
            from switchover.core.health.runner import check_many_sync

            targets = build_targets(chosen, key_for)
            results = check_many_sync(targets, tier, options, on_result=progress.report)
            try:
                history.record(results)
            except (OSError, SwitchoverError) as exc:  # history is a convenience; never fail a check for it
                log.warning("could not record health history: %s", exc)
            return results

        log.info("health check (%s) of %d providers", reason, len(chosen))
        self.check_started.emit(sum(len(p.endpoints) for p in chosen))
        self.running = self.state.tasks.run(
            work, on_progress=self._result, on_success=self._finished, on_failure=self._failed,
            label="health check",
        )
        return self.running

    def _result(self, result: Any) -> None:
        assert isinstance(result, HealthResult)
        key = result.endpoint_key
        self.latest[key] = result
        series = self.history_points.setdefault(key, [])
        series.append(result.latency_ms if result.healthy else None)
        del series[:-SPARK_POINTS]
        self.result_arrived.emit(result)

    def _finished(self, results: list[HealthResult]) -> None:
        self.running = None
        self.check_finished.emit(results)

    def _failed(self, exc: BaseException) -> None:
        self.running = None
        log.error("health check failed: %r", exc)
        self.check_failed.emit(str(exc))

    def stop(self) -> None:
        self.timer.stop()
        if self.running is not None:
            self.running.cancel()
            self.running = None
