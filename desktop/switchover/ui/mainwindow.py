"""The main window: a sidebar of pages (Providers, Health, Tools, History, Settings)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
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
        self.pages: dict[str, QWidget] = {}
        self.allow_close = False

    def add_page(self, key: str, title: str, page: QWidget) -> None:
        self.pages[key] = page
        QListWidgetItem(title, self.sidebar)
        self.stack.addWidget(page)
        if self.sidebar.currentRow() < 0:
            self.sidebar.setCurrentRow(0)

    def _shown(self, row: int) -> None:
        page = self.stack.widget(row)
        key = next((k for k, p in self.pages.items() if p is page), None)
        if key is not None:
            self.page_shown.emit(key)

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


PageFactory = Callable[[], QWidget]
