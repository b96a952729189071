"""The local gateway inside the app: its own thread and event loop (services.gateway_runtime.GatewayThread),
on while Settings say so (`[gateway].enabled`). One gateway per user: when `switchover gateway` or the
systemd unit already runs one, the app stands by and says so. Its request outcomes feed the failover monitor
and the health view, like the monitor's own checks.

Also here: the Settings box that turns it on, and the History page's table of recent gateway requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QSpinBox, QVBoxLayout, QWidget

from switchover.core.store import Store
from switchover.gateway.requestlog import RequestRecord
from switchover.ui.kit.palette import Tone, tint
from switchover.ui.kit.table import Column, TableModel
from switchover.ui.pages.common import make_table
from switchover.ui.state import AppState
from switchover.ui.taskman import Progress, TaskManager

log = logging.getLogger(__name__)
RETRY_MS = 30_000  # while standing by (another gateway runs), look again this often


class GatewayService(QObject):
    """Signals:
    status_changed(str): a sentence for the Settings box and the tray ("Listening on …", "Standing by: …").
    results_arrived(list): health results of requests through the in-app gateway (UI thread).
    """

    status_changed = Signal(str)
    results_arrived = Signal(list)

    def __init__(self, state: AppState, tasks: TaskManager, failover: Any = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.tasks = tasks
        self._failover = failover  # the app's FailoverService: its monitor takes the requests' evidence
        self.thread: Any = None  # services.gateway_runtime.GatewayThread while running
        self.status = "The gateway is off."
        self._busy = False
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self.sync)

    @property
    def url(self) -> str | None:
        return self.thread.url if self.thread is not None else None

    def enabled(self) -> bool:
        from switchover.services.gateway_routes import gateway_settings

        try:
            return gateway_settings(self.state.store).enabled
        except Exception:  # a broken [gateway] table: the Settings page says why; the gateway stays off
            return False

    def sync(self) -> None:
        """Start or stop to match the settings (call after the store changed)."""
        if self._busy:
            return
        want = self.enabled()
        if want and self.thread is None:
            self._start()
        elif not want and self.thread is not None:
            self._stop_async()
        elif not want:
            self._retry.stop()

    def _set_status(self, text: str) -> None:
        self.status = text
        self.status_changed.emit(text)

    def _start(self) -> None:
        from switchover.services.gateway_runtime import (
            GatewayThread,
            build_gateway,
            load_settings,
            running_gateway,
        )

        self._busy = True
        emit = self.tasks.run_on_main

        def evidence(batch: list[Any]) -> None:  # on the gateway's evidence writer thread
            monitor = getattr(self._failover, "monitor", None)
            if monitor is not None and hasattr(monitor, "observe"):
                monitor.observe(batch)
            emit(lambda: self.results_arrived.emit(list(batch)))

        def work(_p: Progress) -> Any:
            other = running_gateway()
            if other is not None:
                return other
            settings = load_settings()
            thread = GatewayThread(lambda: build_gateway(settings, observers=[evidence]))
            thread.start()
            return thread

        def done(result: Any) -> None:
            self._busy = False
            if hasattr(result, "stop"):
                if result.url is not None:
                    self.thread = result
                    self._retry.stop()
                    self._set_status(f"Listening on {result.url} (in this app).")
                    return
                self._set_status(f"The gateway could not start: {result.error or 'unknown reason'}")
            else:
                self._set_status(f"Standing by: another Switchover gateway serves at {result.url} "
                                 f"(pid {result.pid}); this app takes over if it stops.")
            self._retry.start()

        def failed(exc: BaseException) -> None:
            self._busy = False
            self._set_status(f"The gateway could not start: {exc}")
            self._retry.start()

        self.tasks.run(work, on_success=done, on_failure=failed, label="start gateway")

    def _stop_async(self) -> None:
        thread, self.thread = self.thread, None
        self._retry.stop()
        self._busy = True

        def work(_p: Progress) -> None:
            thread.stop()

        def done(_r: object) -> None:
            self._busy = False
            self._set_status("The gateway is off.")

        self.tasks.run(work, on_success=done, on_failure=lambda _e: done(None), label="stop gateway")

    def live_status(self) -> dict[str, Any] | None:
        """The in-app gateway's status (routes, breakers, last requests), or None."""
        return self.thread.status() if self.thread is not None else None

    def stop(self) -> None:
        """At quit: stop at once (blocking briefly is fine then)."""
        self._retry.stop()
        if self.thread is not None:
            self.thread.stop()
            self.thread = None


class GatewaySettingsBox(QGroupBox):
    """Settings page: run the gateway in the app, on which port, and what it is doing now."""

    def __init__(self, state: AppState, service: GatewayService | None, parent: QWidget | None = None) -> None:
        super().__init__("Local gateway", parent)
        self.state = state
        self.enabled_box = QCheckBox("&Run Switchover's gateway in the app (recommended)")
        self.enabled_box.setToolTip("Tools routed through it keep working through an outage, and need no key of "
                                    "their own.")
        self.enabled_box.setObjectName("gateway_enabled")
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1024, 65535)
        self.port_spin.setObjectName("gateway_port")
        note = QLabel("Point a tool at it once with `switchover use PROVIDER/MODEL --tool TOOL --via-gateway` (or "
                      "the setup wizard); after that, switches and failover re-route it without touching its files. "
                      "`switchover gateway status` shows what each route serves.")
        note.setWordWrap(True)
        tint(note, Tone.MUTED)
        self.status_label = QLabel(service.status if service else "")
        self.status_label.setObjectName("gateway_status")
        self.status_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Port", self.port_spin)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled_box)
        layout.addLayout(form)
        layout.addWidget(self.status_label)
        layout.addWidget(note)
        if service is not None:
            service.status_changed.connect(self.status_label.setText)
        state.store_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        from switchover.services.gateway_routes import gateway_settings

        try:
            settings = gateway_settings(self.state.store)
        except Exception as exc:
            self.status_label.setText(str(exc))
            return
        self.enabled_box.setChecked(settings.enabled)
        self.port_spin.setValue(settings.port)

    def entered(self) -> Callable[[Store], None]:
        """A store edit writing what the box shows (run inside the Settings page's one save)."""
        enabled, port = self.enabled_box.isChecked(), self.port_spin.value()

        def write_to(store: Store) -> None:
            from switchover.gateway.settings import SECTION

            section = store.section(SECTION)
            section["enabled"] = enabled
            section["port"] = port

        return write_to


def _hops(record: RequestRecord) -> str:
    return " → ".join(f"{h.upstream.split('/')[0]}: {h.status}" for h in record.hops) if record.failovers else ""


def _why(record: RequestRecord) -> str | None:
    lines = [f"{h.upstream} ({h.model}): {h.status}" + (f" — {h.reason}" if h.reason else "") for h in record.hops]
    return "\n".join([*lines, record.error] if record.error else lines) or None


_OUTCOME_TONE = {"ok": None, "client_closed": Tone.MUTED, "client_error": Tone.WARN}


def request_columns() -> list[Column[RequestRecord]]:
    return [
        Column("When", lambda r: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.at)), tooltip=_why,
               sort_key=lambda r: r.at),
        Column("Tool", lambda r: r.tool, tooltip=_why),
        Column("Served by", lambda r: f"{r.provider}/{r.model}" if r.provider else "—", tooltip=_why),
        Column("Result", lambda r: f"{r.status} {r.outcome}", tooltip=_why,
               tone=lambda r: _OUTCOME_TONE.get(r.outcome, Tone.BAD)),
        Column("ms", lambda r: f"{r.latency_ms:.0f}", sort_key=lambda r: r.latency_ms, align_right=True),
        Column("Tokens in/out", lambda r: f"{r.usage.input_tokens}/{r.usage.output_tokens}" if r.usage else "—",
               align_right=True),
        Column("Failover", _hops, tooltip=_why),
    ]


class GatewayRequestsBox(QGroupBox):
    """History page: the newest requests through the gateway (redacted: no prompts, no keys)."""

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None, limit: int = 200) -> None:
        super().__init__("Requests through the gateway", parent)
        self.tasks = tasks
        self.limit = limit
        self.model: TableModel[RequestRecord] = TableModel(request_columns(), self)
        self.table = make_table(self)
        self.table.setModel(self.model)
        self.table.setObjectName("gateway_requests")
        self.empty = QLabel("No requests through the gateway yet.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table)
        self.reload()

    def reload(self) -> None:
        from switchover.gateway.requestlog import read_records

        limit = self.limit

        def work(_p: Progress) -> list[RequestRecord]:
            return list(reversed(read_records(limit=limit)))

        def done(records: list[RequestRecord]) -> None:
            self.model.set_rows(records)
            self.empty.setVisible(not records)
            self.table.setVisible(bool(records))

        self.tasks.run(work, on_success=done, label="read gateway log")
