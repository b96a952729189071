"""Which pages the main window has, in order (imports deferred so the tray starts fast)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from switchover.ui.app import AppController
    from switchover.ui.mainwindow import MainWindow


def add_pages(window: MainWindow, controller: AppController) -> None:
    from switchover.ui.pages.chains import ChainsPage
    from switchover.ui.pages.health import HealthPage
    from switchover.ui.pages.history import HistoryPage
    from switchover.ui.pages.providers import ProvidersPage
    from switchover.ui.pages.settings import SettingsPage
    from switchover.ui.pages.tools import ToolsPage
    from switchover.ui.pages.usage import UsagePage
    from switchover.ui.usage import UsageService

    window.add_page("providers", "Providers", ProvidersPage(controller.state))
    window.add_page("health", "Health", HealthPage(controller.state, controller.health, controller.balances))
    window.add_page("tools", "Tools", ToolsPage(controller.state, controller.tools, controller.health,
                                                controller.status))
    window.add_page("chains", "Fallback order", ChainsPage(controller.state, controller.tools, controller.health))
    history = HistoryPage(controller.state, controller.tools)
    window.add_page("history", "History", history)
    history.load()
    controller.failover.decision_made.connect(lambda _d: history.load())
    usage = UsagePage(UsageService(controller.state, balances=lambda: controller.balances.latest, parent=window))
    window.add_page("usage", "Usage", usage)
    window.page_shown.connect(lambda key: usage.load() if key == "usage" else None)
    window.add_page("settings", "Settings", SettingsPage(controller.state, gateway=controller.gateway))
    window.add_action("&Check now", "F5", controller.check_now).setObjectName("check_now_action")
    undo = window.add_action("&Undo last switch", "Ctrl+Z", controller.undo)
    undo.setObjectName("undo_action")
    undo.setEnabled(controller.tools.can_undo)
    controller.tools.history_loaded.connect(lambda _entries: undo.setEnabled(controller.tools.can_undo))
    window.app_menu.addSeparator()
    window.add_action("&Quit", "Ctrl+Q", controller.quit).setObjectName("quit_action")
