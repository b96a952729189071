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
        self.controller.state.reload()  # pages, tray and health monitor pick up the new setup
        if notes:  # e.g. what "switch now" did, or why a tool was not switched
            for note in notes:
                log.info("setup: %s", note)
            box = plain_box(QMessageBox(QMessageBox.Icon.Information, "Setup saved", "\n".join(notes),
                                        QMessageBox.StandardButton.Ok, self.controller.window))
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
            box.open()  # not exec(): the app keeps running while it is shown
            self.notes_box = box

    def _closed(self) -> None:
        self.wizard = None


def _can_raise() -> bool:
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() != "offscreen"  # offscreen cannot raise, and warns
