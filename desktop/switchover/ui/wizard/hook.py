"""How the app opens the wizard: by itself on first launch (no store file or no provider), and from the main
window's menu ("Set up again…") later. The app adds two lines in `AppController.start()`:

    from switchover.ui.wizard.hook import SetupWizardHook
    self.setup_wizard = SetupWizardHook(self)   # before self.state.reload()

Only `start()` (the real app) attaches it, so tests that build an `AppController` directly see no wizard.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from switchover import APP_NAME
from switchover.ui.safe_text import plain_box
from switchover.ui.wizard.draft import needs_setup
from switchover.ui.wizard.services import WizardServices
from switchover.ui.wizard.wizard import SetupWizard, open_setup_wizard

if TYPE_CHECKING:
    from switchover.ui.app import AppController

log = logging.getLogger(__name__)
MENU_TEXT = "S&et up again…"


class SetupWizardHook(QObject):
    """Signals:
    opened(object): a wizard was opened (the `SetupWizard`).
    """

    opened = Signal(object)

    def __init__(self, controller: AppController, services: WizardServices | None = None) -> None:
        super().__init__(controller)
        self.controller = controller
        self.services = services
        self.wizard: SetupWizard | None = None
        self.first_run_checked = False
        controller.state.store_changed.connect(self._store_loaded)
        controller.window_created.connect(self._add_menu)
        if controller.window is not None:
            self._add_menu()

    def _store_loaded(self) -> None:
        if self.first_run_checked:
            return
        self.first_run_checked = True
        if needs_setup(self.controller.state.store):
            log.info("nothing is configured yet: opening the setup wizard")
            self.open()

    def _add_menu(self) -> None:
        window = self.controller.window
        assert window is not None
        action = QAction(MENU_TEXT, window)
        action.setObjectName("setup_wizard_action")
        action.triggered.connect(lambda _checked=False: self.open())
        menu = getattr(window, "app_menu", None)
        quit_action = window.findChild(QAction, "quit_action")
        if menu is None:
            window.menuBar().addMenu("&Setup").addAction(action)
        elif quit_action is not None:
            menu.insertAction(quit_action, action)
        else:
            menu.addAction(action)
        self.action = action

    def open(self) -> SetupWizard:
        """Open the wizard, or bring the open one to the front (never two at once)."""
        if self.wizard is not None:
            self.wizard.show()
            if _can_raise():
                self.wizard.raise_()
                self.wizard.activateWindow()
            return self.wizard
        wizard = open_setup_wizard(self.controller.window, self.controller.tasks, self.services,
                                   on_applied=self._applied)
        wizard.destroyed.connect(self._closed)
        self.wizard = wizard
        self.opened.emit(wizard)
        return wizard

    def _applied(self, notes: list[str]) -> None:
        controller = self.controller
        controller.reload_and_check()  # pages, tray and health pick up the new setup; every endpoint is checked
        draft = self.wizard.draft if self.wizard is not None else None
        in_tray = bool(controller.tray is not None and (draft.show_tray if draft is not None else True))
        message = finish_message(in_tray, bool(draft and draft.start_at_login),
                                 controller.state.settings.check_interval_s // 60)
        for note in notes:  # e.g. what "switch now" did, or why a tool was not switched
            log.info("setup: %s", note)
        text = "\n\n".join([message, *(["What happened:", "\n".join(notes)] if notes else [])])
        box = plain_box(QMessageBox(QMessageBox.Icon.Information, "Setup saved", text,
                                    QMessageBox.StandardButton.Ok, controller.window))
        box.setObjectName("setup_finished")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()  # not exec(): the app keeps running while it is shown
        self.notes_box = box
        if in_tray and controller.tray is not None:
            controller.tray.notify(f"{APP_NAME} is in the tray", "Click this icon for each tool's state and "
                                   "one-click switches.")

    def _closed(self) -> None:
        self.wizard = None


def finish_message(in_tray: bool, at_login: bool, interval_min: int) -> str:
    """Where Switchover lives now and what it does from here (the Finish message)."""
    every = f"every {interval_min} minutes" if interval_min > 1 else "every minute" if interval_min == 1 else \
        "when you ask (automatic checks are off in Settings)"
    does = (f"It checks each tool's provider {every} and says in words which tool is affected and why when "
            "one fails, with a one-click switch.")
    login = " It starts when you log in." if at_login else " Start it again from your applications menu " \
        "after logging in, or turn on “Start at login” in Settings."
    if in_tray:
        return (f"{APP_NAME} now runs in the background and lives in your system tray: the icon near the clock. "
                f"{does} Click the icon for the menu; “Open {APP_NAME}…” brings back this window, which you can "
                f"close at any time.{login}")
    return (f"{APP_NAME} runs in this window (no tray icon). {does} Closing the window asks whether to keep it "
            f"running in the background.{login}")


def _can_raise() -> bool:
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() != "offscreen"  # offscreen cannot raise, and warns
