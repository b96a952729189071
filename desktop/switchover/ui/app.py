"""Start the desktop app: one instance per user, a tray icon (or the window where there is no tray).

`run_app(argv)` is what `switchover` with no subcommand calls. Options:
  --show             open the main window even when a tray icon is available
  --quit-after MS    quit cleanly after MS milliseconds (smoke tests, benchmarks; env SWITCHOVER_QUIT_AFTER_MS)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from switchover import APP_ID, APP_NAME, __version__
from switchover.core.logs import setup_logging
from switchover.core.store import Store
from switchover.ui.icons import TrayState, app_icon
from switchover.ui.mainwindow import MainWindow
from switchover.ui.single_instance import SingleInstanceServer, notify_running_instance
from switchover.ui.state import AppState
from switchover.ui.taskman import TaskManager
from switchover.ui.tray import Tray

log = logging.getLogger(__name__)
STARTUP_CHECK_FALLBACK_MS = 6000  # the start-up check waits this long for the failover monitor's first round


def app_parser() -> argparse.ArgumentParser:
    """The desktop app's options (`switchover [app] [--show]`); the man page switchover-app(1) is made from it."""
    parser = argparse.ArgumentParser(prog="switchover", description=f"{APP_NAME} desktop app")
    parser.add_argument("--show", action="store_true", help="open the main window")
    parser.add_argument(
        "--quit-after", type=int, metavar="MS", default=int(os.environ.get("SWITCHOVER_QUIT_AFTER_MS", "0") or 0),
        help="quit cleanly after MS milliseconds (for smoke tests and benchmarks)",
    )
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    return app_parser().parse_args(argv)


class AppController(QObject):
    """Owns the long-lived pieces (tasks, state, tray, window) and the glue between them.

    Signals:
        window_created(): the main window exists (it is built lazily, on first open).
    """

    window_created = Signal()

    def __init__(self, app: QApplication, use_tray: bool | None = None) -> None:
        super().__init__(app)
        self.app = app
        from switchover.ui.gc_guard import MainThreadGarbageCollector

        self.gc = MainThreadGarbageCollector(self)
        self.tasks = TaskManager(self)
        self.state = AppState(self.tasks, self)
        from switchover.ui.health_monitor import HealthMonitor

        self.health = HealthMonitor(self.state, self)
        self.health.result_arrived.connect(lambda _r: self.update_tray())
        self.health.history_loaded.connect(self.update_tray)
        self.health.results_merged.connect(lambda _r: self.update_tray())
        self._startup_check_pending = False
        from switchover.ui.switching import ToolsService

        self.tools = ToolsService(self.state, parent=self)
        self.state.store_changed.connect(self.tools.refresh)
        self.tools.tools_loaded.connect(lambda _rows: self.update_tray())
        self.tools.history_loaded.connect(lambda _e: self._sync_undo())
        self.tools.verified.connect(self._verified)
        self.tools.undone.connect(self._undone)
        self.tools.failed.connect(self._tools_failed)
        from switchover.ui.status_board import StatusBoard

        self.status = StatusBoard(self.state, self.health, self.tools, parent=self)
        self.status.changed.connect(self.update_tray)
        self.tools.tools_loaded.connect(lambda _rows: self._check_unchecked_tools())
        self.health.check_finished.connect(lambda _r: self._check_unchecked_tools())
        self._tools_check_tried: set[str] = set()
        from switchover.ui.failover import FailoverService

        self.failover = FailoverService(self.tasks, parent=self)
        self.failover.decision_made.connect(self._failover_decision)
        self.failover.results_arrived.connect(self._monitor_results)
        from switchover.ui.gateway import GatewayService

        self.gateway = GatewayService(self.state, self.tasks, self.failover, parent=self)
        self.gateway.results_arrived.connect(self._monitor_results)  # request outcomes are health evidence
        self.state.store_changed.connect(self.gateway.sync)  # runs while Settings say so
        from switchover.services.spend import spend_rates_for
        from switchover.ui.balance import BalanceService

        self.balances = BalanceService(self.state, rates=spend_rates_for, parent=self)
        self.failover.balances_arrived.connect(self.balances.ingest)
        self.balances.changed.connect(self.update_tray)
        self.window: MainWindow | None = None
        self.use_tray = QSystemTrayIcon.isSystemTrayAvailable() if use_tray is None else use_tray
        self.tray: Tray | None = None
        self._started = False
        if self.use_tray:
            self.tray = Tray(self)
            self.tray.open_requested.connect(self.open_window)
            self.tray.quit_requested.connect(self.quit)
            self.tray.failover_mode_chosen.connect(self.set_failover_mode)
            self.tray.check_requested.connect(self.check_now)
            self.tray.undo_requested.connect(self.undo)
            from switchover.ui.tray_menu import ToolMenus

            self.tool_menus = ToolMenus(self)
            self.tray.tool_sections = self.tool_menus.fill
            self.tray.extra_sections = self._balance_menu
            self.state.store_changed.connect(self._sync_tray)
        app.aboutToQuit.connect(self.shutdown)

    def start(self, show_window: bool) -> None:
        self._started = True
        if self.tray is not None:
            self.tray.show()  # first: the icon is what start-up time is measured by
        self.state.reload()  # (results arrive through the event loop, after the wizard hook below is attached)
        self.health.load_history()
        self.tools.load_history()
        self.state.store_changed.connect(self._load_balances)
        from switchover.ui.wizard.hook import SetupWizardHook

        self.setup_wizard = SetupWizardHook(self)  # first launch opens the setup wizard; "Set up again…"
        self.state.store_changed.connect(self._first_check)
        QTimer.singleShot(1500, self.failover.start)  # after start-up: it loads every tool target
        if show_window or self.tray is None:
            self.open_window()

    # ------------------------------------------------------------ window

    def activation_requested(self, message: str) -> None:
        log.info("another launch asked us to %s the window", message)
        self.open_window()

    def ensure_window(self) -> MainWindow:
        if self.window is None:
            from switchover.ui.pages.build import add_pages

            self.window = MainWindow()
            add_pages(self.window, self)
            self.window.close_requested.connect(self._window_close_requested)
            self.window_created.emit()
        return self.window

    def open_window(self, page: str | None = None) -> MainWindow:
        window = self.ensure_window()
        if page:
            window.show_page(page)
        window.bring_to_front()
        return window

    def _window_close_requested(self) -> None:
        assert self.window is not None
        if self.tray is not None and self.tray.shown:
            self.window.hide()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            APP_NAME,
            f"Keep {APP_NAME} running in the background? It keeps checking your providers "
            "(and switches for you if failover is on). Launch it again to bring this window back.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.finished.connect(lambda _r: self._close_answered(box.standardButton(box.clickedButton())))
        box.finished.connect(box.deleteLater)
        self.close_box = box
        box.open()

    def _close_answered(self, answer: QMessageBox.StandardButton) -> None:
        assert self.window is not None
        if answer == QMessageBox.StandardButton.Yes:
            self.window.hide()
        elif answer == QMessageBox.StandardButton.No:
            self.quit()

    # ------------------------------------------------------------ actions

    def _first_check(self) -> None:
        """Check what is stale once at start so the tray tells the truth soon; then the timer's interval applies.

        When the failover monitor will run, wait for its first round (it checks the endpoints in use), so the
        start-up check does not hit them a second time; `STARTUP_CHECK_FALLBACK_MS` bounds the wait.
        """
        from switchover.core.failover.settings import Mode

        if not self.state.store.providers:
            return  # nothing to check yet (first launch: the wizard runs); try again when the store changes
        self.state.store_changed.disconnect(self._first_check)
        if self.state.settings.check_interval_s <= 0:
            return
        failover = self.state.failover_settings()
        self._startup_check_pending = True
        if failover.mode_of_other_tools is Mode.OFF and all(m is Mode.OFF for m in failover.modes.values()):
            self._startup_check()
        else:
            QTimer.singleShot(STARTUP_CHECK_FALLBACK_MS, self._startup_check)

    def _load_balances(self) -> None:
        """Stored balance readings, once the store is known (no network: the monitor asks on its schedule)."""
        self.state.store_changed.disconnect(self._load_balances)
        self.balances.load_history()

    def _balance_menu(self, menu: Any) -> None:
        from switchover.ui.balance import fill_balance_menu

        if self.balances.providers():
            fill_balance_menu(menu, self.balances, on_check=self.balances.check_now)

    def _startup_check(self) -> None:
        if self._startup_check_pending:
            self._startup_check_pending = False
            self.health.check_stale(reason="startup")

    def _monitor_results(self, results: list[Any]) -> None:
        """The failover monitor's checks feed the health view and tray: one schedule, no double traffic."""
        self.health.ingest(results)
        self._startup_check()

    def check_now(self) -> None:
        self.health.check_now(reason="tray")
        self.failover.check_now()

    def _check_unchecked_tools(self) -> None:
        """Every tool's endpoint gets a result soon after start and after setup: "not checked" must not stay.

        Checks the endpoints tools use that have no result yet (each once per run, so an endpoint whose check
        cannot finish is not hammered); the interval timer and the failover monitor take it from there.
        """
        if self.health.running is not None or not self._started:
            return
        wanted = {k for k in self.in_use_endpoints() if k not in self.health.latest and
                  k not in self._tools_check_tried}
        if wanted:
            self._tools_check_tried |= wanted
            self.health.check_now(reason="tools not checked", only=wanted)

    def reload_and_check(self) -> None:
        """After the setup wizard: reload the store, then check every endpoint (the tray then tells the truth)."""
        def loaded() -> None:
            self.state.store_changed.disconnect(loaded)
            self._tools_check_tried.clear()
            self.health.check_now(reason="setup")

        self.state.store_changed.connect(loaded)
        self.state.reload()

    def accept_suggestion(self, decision: Any) -> None:
        self.failover.accept(decision)
        self.status.dismiss(decision.tool)  # answered (the monitor reports the switch or why it failed)

    def _failover_decision(self, decision: Any) -> None:
        """Suggestions become a notification whose click accepts them; automatic switches are announced."""
        from switchover.core.failover.decisions import Action

        self.status.decision(decision)  # a suggestion stays in the menu until it is answered
        if decision.action in (Action.SWITCHED, Action.ACCEPTED):
            self.tools.refresh()
            self.tools.load_history()
            self._verify_failover_switch(decision)
            return
        if self.tray is None:
            return
        if decision.is_suggestion:
            from switchover.core.failover.decisions import DecisionKind

            title = "Balance running low" if decision.kind is DecisionKind.LOW_BALANCE else "Switch suggested"
            self.tray.notify(title, decision.message + " Click to switch.",
                             on_click=lambda: self.accept_suggestion(decision))
        elif decision.action is Action.FAILED:
            self.tray.notify("Failover failed", decision.message)

    def _verify_failover_switch(self, decision: Any) -> None:
        """A failover switch is verified like any other; the notification says how the tool answers now."""
        from switchover.core.failover.decisions import Action

        title = "Switched automatically" if decision.action is Action.SWITCHED else "Switched"
        choice = decision.to_choice
        provider = self.state.store.providers.get(choice.provider) if choice is not None else None

        def announce(verification: Any = None) -> None:
            if self.tray is None:
                return
            lines = verification.lines() if verification is not None else []
            failed = verification is not None and not verification.ok
            self.tray.notify(f"{title}, but the check failed" if failed else title,
                             "\n".join([decision.message, *lines]))

        if provider is None or not choice.model:
            announce()
            return
        self.tools.verify_current(provider, choice.model, [decision.tool], on_done=announce)

    def set_failover_mode(self, mode: str) -> None:
        """The default mode for every tool (per-tool modes are on the Settings page)."""
        from switchover.core.failover.settings import Mode, load_settings, save_settings

        def change(store: Store) -> None:
            save_settings(store, load_settings(store).with_default_mode(Mode(mode)))

        self.state.edit(change)

    def _sync_tray(self) -> None:
        assert self.tray is not None
        if not self.state.settings.show_tray and self.tray.shown:
            # The user chose no tray icon (setup wizard): the window is the app.
            self.tray.hide()
            self.open_window()
        elif self.state.settings.show_tray and not self.tray.shown and self._started:
            self.tray.show()

        self.tray.failover_mode = self.state.failover_settings().mode_of_other_tools.value
        self.update_tray()

    def in_use_endpoints(self) -> set[str]:
        """Endpoint keys the coding tools point at now (known once tools were read)."""
        return {r.endpoint_key for r in self.tools.rows if r.installed and r.endpoint_key}

    def update_tray(self) -> None:
        """Icon and tooltip from each tool's state in words (see `StatusBoard`), balances below."""
        if self.tray is None:
            return
        from switchover.ui.balance import balance_lines

        states = self.status.states()
        lines = self.status.tooltip_lines(states)
        lines[-1:-1] = balance_lines(self.balances)
        self.tray.set_state(self.status.tray_state(states), "\n".join(lines))

    def tool_summary_lines(self) -> list[str]:
        return [s.line for s in self.status.states()]

    # ------------------------------------------------------------ switching

    def switch(self, provider_name: str, model: str, tools: list[str] | None) -> None:
        """One-click switch (tray): no preview, but the engine's backups, journal and undo all apply."""
        provider = self.state.store.providers.get(provider_name)
        if provider is not None:
            self.tools.switch(provider, model, tools)

    def undo(self) -> None:
        self.tools.undo()

    def _verified(self, verification: Any) -> None:
        """The completion notification of a switch made here: what changed and how each tool answers now."""
        if self.tray is None or verification.source != "switch":
            return  # failover switches are announced by `_verify_failover_switch`
        title = "Switched" if verification.ok else "Switched, but a check failed"
        head = f"Now using {verification.provider} · {verification.model}."
        self.tray.notify(title, "\n".join([head, *verification.lines()]))

    def _undone(self, result: object) -> None:
        if self.tray is not None:
            files = len(getattr(result, "files", ()))
            kept = len(getattr(result, "kept", ()))
            text = f"Restored {files} file{'s' if files != 1 else ''} to before the last switch."
            if kept:
                text += f" Changes made since in {kept} of them were kept (only Switchover's settings went back)."
            self.tray.notify("Undone", text)

    def _tools_failed(self, message: str) -> None:
        if self.tray is not None and self.window is None:
            self.tray.notify("Switchover", message)

    def _sync_undo(self) -> None:
        if self.tray is not None:
            self.tray.can_undo = self.tools.can_undo

    def quit(self) -> None:
        if self.window is not None:
            self.window.allow_close = True
            self.window.close()
        self.app.quit()

    def shutdown(self) -> None:
        self.gateway.stop()
        self.failover.stop()
        self.health.stop()
        if self.tray is not None:
            self.tray.hide()
        self.tasks.shutdown(wait=True)
        self.gc.stop()


def _report_ready(controller: AppController) -> None:
    """One JSON line on stdout once the event loop runs (SWITCHOVER_REPORT_READY=1; for tests/benchmarks)."""
    tray = controller.tray
    line = {
        "event": "ready",
        "time": time.time(),
        "tray": bool(tray and tray.icon.isVisible()),
        "window": bool(controller.window and controller.window.isVisible()),
        "pid": os.getpid(),
    }
    print(json.dumps(line), flush=True)


def run_app(argv: list[str]) -> int:
    args = parse_args(argv)
    setup_logging()
    # argv[0] becomes the X11 WM_CLASS instance; match the .desktop file's StartupWMClass.
    app = QApplication.instance() or QApplication(["switchover"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)

    if notify_running_instance("show"):
        log.info("%s is already running; asked it to show its window", APP_NAME)
        print(f"{APP_NAME} is already running; its window was brought to the front.", flush=True)
        return 0
    server = SingleInstanceServer(parent=app)
    if not server.listen():
        log.warning("single-instance socket %s unavailable; continuing without it", server.name)

    controller = AppController(app)
    server.message_received.connect(controller.activation_requested)
    controller.start(show_window=args.show)
    if os.environ.get("SWITCHOVER_REPORT_READY"):
        QTimer.singleShot(0, lambda: _report_ready(controller))
    if args.quit_after > 0:
        QTimer.singleShot(args.quit_after, controller.quit)
    code = app.exec()
    server.close()
    return int(code)


__all__ = ["AppController", "TrayState", "run_app"]
