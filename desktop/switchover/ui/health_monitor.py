"""Runs health checks for the app: on demand and on a timer, results streamed to the UI as they arrive.

The checking itself is the core's (`check_many_sync` on a worker thread); this object only schedules it,
keeps the latest result per endpoint, records history, and says what the tray should show.

One check schedule, no double traffic. The failover monitor (`ui/failover.py`, the same one `switchover watch`
runs, on its `[failover].interval_s`) already checks the endpoints the tools use and their next fallbacks;
its results are merged in here (`ingest`) and feed the Health page and the tray like our own. The
`[app].check_interval_s` timer therefore checks only what is *stale*: endpoints without a result newer than
that interval, whoever made it (the monitor, this app, or another process such as `switchover watch`, via
the shared health history). So an endpoint the monitor covers is not checked again by the timer, and
providers it does not cover (in no tool's chain, failover off) are still checked on the app's interval.
"Check now" is an explicit request and checks every endpoint at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from switchover.core.errors import SwitchoverError
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult, Tier
from switchover.core.providers import Provider, endpoint_key
from switchover.services.keys import KeySource
from switchover.ui.state import AppState
from switchover.ui.taskman import Progress, Task

if TYPE_CHECKING:  # the runner pulls in httpx and asyncio: imported on first check, off the start-up path
    from switchover.core.health.runner import CheckOptions

log = logging.getLogger(__name__)
SPARK_POINTS = 30
FRESH_SLACK = 0.9  # a result this share of the interval old still counts as fresh (timers drift)


def endpoint_keys(providers: Iterable[Provider]) -> list[str]:
    return [endpoint_key(p.name, e.protocol) for p in providers for e in p.endpoints]


def stale_endpoints(keys: Iterable[str], checked_at: dict[str, float], max_age_s: float, now: float) -> set[str]:
    """Endpoints without a result newer than `max_age_s` (with some slack for timer drift)."""
    return {k for k in keys if now - checked_at.get(k, float("-inf")) > max_age_s * FRESH_SLACK}


def _fresh_in_history(history: HealthHistory, keys: set[str], max_age_s: float) -> dict[str, HealthResult]:
    """Endpoints another process checked recently, with that result, from the shared history's index."""
    now = time.time()
    try:
        latest = history.latest()
    except (OSError, SwitchoverError):
        return {}
    return {key: latest[key] for key in keys
            if key in latest and now - latest[key].checked_at <= max_age_s * FRESH_SLACK}


class HealthMonitor(QObject):
    """Signals:
    check_started(int): a check of N endpoints began.
    result_arrived(object): one `HealthResult`, as soon as it is known.
    check_finished(list): all results of the run (input order).
    check_failed(str): the run itself failed (not an endpoint: those are results).
    history_loaded(): `history_points` is filled from disk.
    results_merged(list): results someone else checked (the failover monitor) were merged into `latest`.
    """

    check_started = Signal(int)
    result_arrived = Signal(object)
    check_finished = Signal(list)
    check_failed = Signal(str)
    history_loaded = Signal()
    results_merged = Signal(list)

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
        self.timer.timeout.connect(self.check_stale)
        state.store_changed.connect(self._settings_changed)

    def _default_options(self) -> CheckOptions:
        from switchover.core.health.runner import CheckOptions

        settings = self.state.settings
        return CheckOptions(slow_ms=float(settings.slow_threshold_ms), max_parallel=settings.max_parallel)

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

    def check_stale(self, reason: str = "timer") -> Task | None:
        """The periodic check: only endpoints with no result newer than the interval (see the module doc).

        Results recorded by another process (e.g. `switchover watch`) count too: they are read from the
        health history on the worker before anything is checked.
        """
        interval = self.state.settings.check_interval_s or 300
        providers = list(self.state.store.providers.values())
        stale = stale_endpoints(endpoint_keys(providers), self._checked_at(), interval, time.time())
        if not stale:
            log.debug("health check (%s): every endpoint has a fresh result", reason)
            return None
        return self.check_now(providers, reason=reason, only=stale, max_age_s=interval)

    def _checked_at(self) -> dict[str, float]:
        return {key: result.checked_at for key, result in self.latest.items()}

    def ingest(self, results: list[HealthResult]) -> None:
        """Merge results checked elsewhere (the failover monitor, which records its own history)."""
        newer = [r for r in results if r.endpoint_key not in self.latest
                 or r.checked_at > self.latest[r.endpoint_key].checked_at]
        for result in newer:
            self._result(result)
        if newer:
            self.results_merged.emit(newer)

    def check_now(
        self, providers: list[Provider] | None = None, tier: Tier | None = None, reason: str = "user",
        only: set[str] | None = None, max_age_s: float | None = None,
    ) -> Task | None:
        """Check the given providers (default: all), or only the endpoints keyed in `only`. With `max_age_s`,
        endpoints the shared history shows as checked within it are skipped. None if a run is going."""
        if self.running is not None:
            return None
        chosen = list(self.state.store.providers.values()) if providers is None else providers
        if only is not None:
            chosen = [p for p in chosen if any(endpoint_key(p.name, e.protocol) in only for e in p.endpoints)]
        tier = tier or (Tier.DEEP if self.state.settings.deep_checks else Tier.AUTH)
        options = self.options_factory()
        keys, history = KeySource(self.state.keychain), self.history

        def work(progress: Progress) -> list[HealthResult]:
            from switchover.services.probes import build_probes, every_endpoint, sweep

            wanted = only
            if max_age_s is not None and wanted is not None:
                fresh = _fresh_in_history(history, wanted, max_age_s)
                for result in fresh.values():
                    progress.report(result)  # shown like our own; not checked again
                wanted = wanted - fresh.keys()
            # The same probes and key policy as `switchover check`: a locked keychain is reported as such.
            probes = build_probes(every_endpoint(chosen, wanted), tier, keys)
            return sweep(probes, tier, options, on_result=progress.report, history=history)

        log.info("health check (%s) of %d providers", reason, len(chosen))
        self.check_started.emit(len(only) if only is not None else sum(len(p.endpoints) for p in chosen))
        self.running = self.state.tasks.run(
            work, on_progress=self._result, on_success=self._finished, on_failure=self._failed,
            label="health check",
        )
        return self.running

    def _result(self, result: Any) -> None:
        assert isinstance(result, HealthResult)
        key = result.endpoint_key
        known = self.latest.get(key)
        if known is None or result.checked_at > known.checked_at:  # not one we already have (from history)
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
