"""The main window: a sidebar of pages (Providers, Health, Tools, Chains, History, Settings) and two menus.

Keyboard: Ctrl+1… switch pages (Ctrl+PgDown/PgUp: next/previous), and the app's actions (check now, undo)
have shortcuts in the Switchover menu; Tab walks from the sidebar through each page's widgets and out of
tables (pages use `make_table`, which does not trap Tab).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from switchover import APP_NAME
from switchover.ui.icons import app_icon


class MainWindow(QMainWindow):
    """Signals:
    close_requested(): the user closed the window; the app decides whether that hides or quits.
    page_shown(str): the key of the page now shown (pages that load lazily listen to it).
    """

    close_requested = Signal()
    page_shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.resize(980, 620)
        self.sidebar = QListWidget()
        self.sidebar.setFixedWidth(150)
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setStyleSheet("QListWidget::item { padding: 6px 8px; }")
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.sidebar.currentRowChanged.connect(self._shown)
        self.sidebar.setAccessibleName("Pages")
        self.pages: dict[str, QWidget] = {}
        self.allow_close = False
        self.app_menu = self.menuBar().addMenu(f"{APP_NAME[:6]}&{APP_NAME[6:]}")  # Switch&over: Alt+O
        self.go_menu = self.menuBar().addMenu("&Go")
        self.page_actions: dict[str, QAction] = {}
        for text, keys, step in (("Next page", ("Ctrl+PgDown", "Ctrl+Tab"), 1),
                                 ("Previous page", ("Ctrl+PgUp", "Ctrl+Shift+Tab"), -1)):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.triggered.connect(lambda _c=False, step=step: self.step_page(step))
            self.addAction(action)

    def add_action(self, text: str, shortcut: str | QKeySequence.StandardKey | None,
                   handler: Callable[[], object]) -> QAction:
        """An entry of the Switchover menu (with its shortcut shown there)."""
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: handler())
        self.app_menu.addAction(action)
        return action

    def add_page(self, key: str, title: str, page: QWidget) -> None:
        self.pages[key] = page
        number = len(self.pages)
        item = QListWidgetItem(title, self.sidebar)
        self.stack.addWidget(page)
        if number <= 9:
            item.setToolTip(f"{title} (Ctrl+{number})")
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, key=key: self.show_page(key))
            self.go_menu.addAction(action)
            self.page_actions[key] = action
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)

    def _shown(self, row: int) -> None:
        page = self.stack.widget(row)
        key = next((k for k, p in self.pages.items() if p is page), None)
        if key is not None:
            self.page_shown.emit(key)

    def step_page(self, step: int) -> None:
        count = self.sidebar.count()
        if count:
            self.sidebar.setCurrentRow((self.sidebar.currentRow() + step) % count)

    def current_page(self) -> str | None:
        page = self.stack.currentWidget()
        return next((key for key, widget in self.pages.items() if widget is page), None)

    def show_page(self, key: str) -> QWidget:
        page = self.pages[key]
        self.sidebar.setCurrentRow(self.stack.indexOf(page))
        return page

    def bring_to_front(self) -> None:
        self.show()
        if self.isMinimized():
            self.showNormal()
        if QGuiApplication.platformName() != "offscreen":  # it cannot, and warns
            self.raise_()
            self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.allow_close:
            event.accept()
            return
        event.ignore()
        self.close_requested.emit()

