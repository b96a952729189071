"""The tray icon: state at a glance, and the common actions one click away.

The menu is rebuilt on `aboutToShow` so it always shows current health and choices (and because some
desktops only deliver `activated` that way; Vorta does the same).

The icon has a light and a dark variant; it follows the panel while the app runs: on the application's
palette change event and on the system colour scheme change (`styleHints().colorSchemeChanged`, read once
the palette has caught up).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, SignalInstance
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from switchover import APP_NAME
from switchover.core.failover.settings import Mode
from switchover.ui.icons import TrayState, panel_is_dark, tray_icon
from switchover.ui.safe_text import neutralise_menu, tray_notification, tray_speaks_dbus, tray_tooltip
from switchover.ui.settings import MODE_LABELS

MenuFiller = Callable[[QMenu], None]


class Tray(QObject):
    """Signals:
    open_requested(): "Open Switchover…" or a click on the icon.
    check_requested(): "Check now".
    undo_requested(): "Undo last switch".
    failover_mode_chosen(str): off | suggest | auto.
    quit_requested(): "Quit".
    """

    open_requested = Signal()
    check_requested = Signal()
    undo_requested = Signal()
    failover_mode_chosen = Signal(str)
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(parent)
        self.menu = QMenu()
        self.icon.setContextMenu(self.menu)
        self.state = TrayState.UNKNOWN
        self.shown = False
        self.tool_sections: MenuFiller | None = None  # filled in by the app once switching is wired
        self.extra_sections: MenuFiller | None = None  # e.g. the balance submenu
        self.failover_mode = "suggest"
        self.can_undo = False
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self._message_clicked)
        self._message_action: Callable[[], None] | None = None
        self.dark_panel = panel_is_dark()
        # Tooltip and notifications carry provider text; how to make it inert depends on who draws them.
        self.dbus = tray_speaks_dbus()
        self.last_message: tuple[str, str] | None = None  # (title, body) as handed to the desktop
        self.set_state(TrayState.UNKNOWN, f"{APP_NAME}: not checked yet")
        self.rebuild_menu()
        app = QGuiApplication.instance()
        if app is not None:
            app.installEventFilter(self)
            # a bound method: Qt drops the connection when this object goes
            QGuiApplication.styleHints().colorSchemeChanged.connect(self._colour_scheme_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ApplicationPaletteChange and watched is QGuiApplication.instance():
            self.follow_palette()
        return False

    def _colour_scheme_changed(self, _scheme: object) -> None:
        QTimer.singleShot(0, self, self.follow_palette)  # the palette follows the scheme a moment later

    def follow_palette(self) -> None:
        """Re-pick the light or dark icon when the panel's palette changed."""
        dark = panel_is_dark()
        if dark != self.dark_panel:
            self.dark_panel = dark
            self.icon.setIcon(tray_icon(self.state, dark))

    def show(self) -> None:
        """Show the icon; where no tray host exists (yet) Qt would only warn, so just remember the wish."""
        self.shown = True
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon.show()

    def hide(self) -> None:
        self.shown = False
        self.icon.hide()

    def set_state(self, state: TrayState, tooltip: str) -> None:
        """`tooltip` is plain text (it may quote providers): shown literally, one entry per line."""
        self.state = state
        self.icon.setIcon(tray_icon(state, self.dark_panel))
        self.icon.setToolTip(tray_tooltip(tooltip, dbus=self.dbus))

    def notify(self, title: str, text: str, on_click: Callable[[], None] | None = None) -> None:
        """A desktop notification of plain text; `on_click` runs if the user clicks it (e.g. accept a failover)."""
        self._message_action = on_click
        self.last_message = tray_notification(title, text, dbus=self.dbus)
        self.icon.showMessage(*self.last_message, QSystemTrayIcon.MessageIcon.Information, 10000)

    def _message_clicked(self) -> None:
        action, self._message_action = self._message_action, None
        if action is not None:
            action()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.open_requested.emit()

    def rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        if self.tool_sections is not None:
            self.tool_sections(menu)
            menu.addSeparator()
        if self.extra_sections is not None:
            self.extra_sections(menu)
        self._add(menu, "Check now", self.check_requested)
        undo = self._add(menu, "Undo last switch", self.undo_requested)
        undo.setEnabled(self.can_undo)
        failover = menu.addMenu("Failover")
        group = QActionGroup(failover)
        for mode in Mode:
            action = QAction(MODE_LABELS[mode], failover)
            action.setCheckable(True)
            action.setChecked(mode == self.failover_mode)
            action.setData(mode.value)
            action.triggered.connect(self._failover_action)
            group.addAction(action)
            failover.addAction(action)
        menu.addSeparator()
        self._add(menu, f"Open {APP_NAME}…", self.open_requested)
        self._add(menu, "Quit", self.quit_requested)
        neutralise_menu(menu)  # tool and provider entries quote providers, tools' files and shells

    @staticmethod
    def _add(menu: QMenu, text: str, signal: SignalInstance) -> QAction:
        """An entry that re-emits `signal` (signal-to-signal: no Python callable in between)."""
        action = QAction(text, menu)
        action.triggered.connect(signal)
        menu.addAction(action)
        return action

    def _failover_action(self) -> None:
        action = self.sender()
        if isinstance(action, QAction):
            self.failover_mode_chosen.emit(str(action.data()))

    def find_action(self, text: str) -> QAction | None:
        """The menu entry with this text, searching submenus (for tests and scripts)."""
        def walk(menu: QMenu) -> QAction | None:
            for action in menu.actions():
                if action.text() == text:
                    return action
                if action.menu() is not None:
                    found = walk(action.menu())  # type: ignore[arg-type]
                    if found is not None:
                        return found
            return None

        return walk(self.menu)
