"""Which pages the main window has, in order (imports deferred so the tray starts fast)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from switchover.ui.app import AppController
    from switchover.ui.mainwindow import MainWindow


def add_pages(window: MainWindow, controller: AppController) -> None:
    from switchover.ui.pages.health import HealthPage
    from switchover.ui.pages.providers import ProvidersPage
    from switchover.ui.pages.settings import SettingsPage

    window.add_page("providers", "Providers", ProvidersPage(controller.state))
    window.add_page("health", "Health", HealthPage(controller.state, controller.health))
    window.add_page("settings", "Settings", SettingsPage(controller.state))
