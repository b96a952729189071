"""The first-run setup wizard: six pages over one `SetupDraft`; Finish applies it in one go, Cancel writes nothing.

All I/O (store, keychain, detection, discovery, health checks, writes) runs through the app's `TaskManager`;
the wizard only shows results. Re-running it loads the existing store, so it edits the setup in place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget, QWizard

from switchover import APP_NAME
from switchover.core.store import Store
from switchover.ui.safe_text import error_html
from switchover.ui.taskman import Progress, Task, TaskManager
from switchover.ui.wizard.cloud import CloudPage
from switchover.ui.wizard.draft import SetupDraft, SetupPlan, needs_setup
from switchover.ui.wizard.fallback import FallbackPage
from switchover.ui.wizard.finish import FinishPage
from switchover.ui.wizard.local import LocalPage
from switchover.ui.wizard.services import WizardServices
from switchover.ui.wizard.tools import ToolsPage
from switchover.ui.wizard.welcome import WelcomePage

log = logging.getLogger(__name__)


class SetupWizard(QWizard):
    """Signals:
    loaded(): the existing store and the keychain status are known (the draft is ready).
    verdict_recorded(str): a provider's check finished (name).
    applied(object): Finish saved everything; the list of notes (e.g. switch results).
    """

    loaded = Signal()
    verdict_recorded = Signal(str)
    applied = Signal(object)

    def __init__(self, tasks: TaskManager, services: WizardServices | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.services = services or WizardServices()
        self.draft = SetupDraft(self.services.catalog, Store(), self.services.environ)
        self.is_loaded = False
        self.load_error: str | None = None
        self.rerun = False
        self.applying = False
        self.apply_notes: list[str] = []
        self._tasks: list[Task] = []
        self.setWindowTitle(f"{APP_NAME} setup")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.resize(900, 640)
        self.welcome_page = WelcomePage(self)
        self.tools_page = ToolsPage(self)
        self.local_page = LocalPage(self)
        self.cloud_page = CloudPage(self)
        self.fallback_page = FallbackPage(self)
        self.finish_page = FinishPage(self)
        for page in (self.welcome_page, self.tools_page, self.local_page, self.cloud_page, self.fallback_page,
                     self.finish_page):
            self.addPage(page)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Finish")
        self._load()

    # ------------------------------------------------------------ background work

    def run(self, fn: Callable[[Progress], Any], on_success: Callable[[Any], None],
            on_failure: Callable[[BaseException], None], *, on_progress: Callable[[Any], None] | None = None,
            label: str = "", serial: bool = False) -> Task:
        """`TaskManager.run`, remembered so Cancel can stop what is still running."""
        task = self.tasks.run(fn, on_success=on_success, on_failure=on_failure, on_progress=on_progress,
                              label=f"wizard: {label}", serial=serial)
        self._tasks = [t for t in self._tasks if not t.done]
        self._tasks.append(task)
        return task

    @property
    def busy(self) -> bool:
        return any(not t.done and not t.is_cancelled for t in self._tasks)

    def _load(self) -> None:
        services = self.services

        def work(_p: Progress) -> tuple[Store, bool, str | None, set[str] | None]:
            store = services.load_store()
            usable, problem = services.keychain_status()
            return store, usable, problem, services.stored_keys(store) if usable else None

        def done(value: tuple[Store, bool, str | None, set[str] | None]) -> None:
            store, usable, problem, stored = value
            self.draft = SetupDraft(services.catalog, store, services.environ)
            self.draft.set_keychain(usable, problem)
            self.draft.stored_keys = stored
            self.rerun = not needs_setup(store)
            self.is_loaded = True
            self.loaded.emit()

        def failed(exc: BaseException) -> None:
            self.load_error = f"Your setup could not be read, so the wizard cannot edit it safely: {exc}"
            self.is_loaded = True
            self.loaded.emit()

        self.run(work, done, failed, label="load setup", serial=True)

    # ------------------------------------------------------------ finish / cancel

    def accept(self) -> None:
        """Finish: apply the draft on the serial worker; close only once it is saved."""
        if self.applying:
            return
        try:
            plan = self.draft.plan()
        except ValueError as exc:
            self.finish_page.apply_status.setText(error_html(exc))
            return
        self.apply(plan)

    def apply(self, plan: SetupPlan) -> Task:
        self.applying = True
        self._set_buttons_enabled(False)
        self.finish_page.completeChanged.emit()
        self.finish_page.apply_status.setText("Saving…")
        services = self.services

        def work(progress: Progress) -> list[str]:
            return services.apply(plan, progress.report)

        def done(notes: list[str]) -> None:
            self.applying = False
            self._cancel_tasks()  # e.g. a health check still running: its answer has nowhere to go now
            self.apply_notes = notes
            self._set_buttons_enabled(True)
            self.applied.emit(notes)
            super(SetupWizard, self).accept()

        def failed(exc: BaseException) -> None:
            self.applying = False
            self._set_buttons_enabled(True)
            self.finish_page.completeChanged.emit()
            self.finish_page.apply_status.setText(
                error_html(f"Nothing was saved: {exc}"))

        return self.run(work, done, failed, on_progress=self.finish_page.apply_status.setText,
                        label="apply setup", serial=True)

    def _set_buttons_enabled(self, enabled: bool) -> None:
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton):
            self.button(which).setEnabled(enabled)

    def reject(self) -> None:
        """Cancel: nothing was written (the draft lives in memory); stop background work and close."""
        if self.applying:
            return  # the write is in flight; it finishes and closes the wizard
        self._cancel_tasks()
        super().reject()

    def _cancel_tasks(self) -> None:
        for task in self._tasks:
            if not task.done:
                task.cancel()


def open_setup_wizard(parent: QWidget | None, tasks: TaskManager, services: WizardServices | None = None,
                      on_applied: Callable[[list[str]], None] | None = None) -> SetupWizard:
    """Create and show the wizard (non-modal; it deletes itself when closed). Returns it for tests/hooks."""
    wizard = SetupWizard(tasks, services, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    if on_applied is not None:
        wizard.applied.connect(on_applied)
    wizard.show()
    return wizard

