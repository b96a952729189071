"""Small shared widgets for the pages."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QStackedWidget, QTableView, QWidget

from switchover.ui.kit.palette import Tone, css, tint


def make_table(parent: QWidget | None = None) -> QTableView:
    view = QTableView(parent)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between cells); no keyboard trap
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setHighlightSections(False)
    return view


def page_title(text: str, subtitle: str = "") -> QLabel:
    html = f"<h2 style='margin:0'>{text}</h2>"
    if subtitle:
        html += f"<div style='color:{css(Tone.MUTED)}'>{subtitle}</div>"
    label = QLabel(html)
    label.setWordWrap(True)
    return label


def wrap_column(view: QTableView, column: int) -> None:
    """Let `column` take the remaining width and wrap its text (rows grow to fit), so a reason or a note is read
    in full instead of being cut at the default width."""
    view.setWordWrap(True)
    view.setTextElideMode(Qt.TextElideMode.ElideNone)
    header = view.horizontalHeader()
    header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    header.sectionResized.connect(lambda *_a: view.resizeRowsToContents())
    view.verticalHeader().setMinimumSectionSize(view.fontMetrics().height() + 10)  # one-line rows keep air
    view.viewport().installEventFilter(_RowFitter(view))  # the first layout stretches without sectionResized


class _RowFitter(QObject):
    """Fits row heights again once the view has its real width (shown, or resized by the window)."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self.viewport = view.viewport()  # kept: no call into the view while Qt tears it down
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(view.resizeRowsToContents)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.timer.start()
        return False


class TableOrEmpty(QStackedWidget):
    """A table, or, while it has no rows, a sentence saying what to do (an empty table says nothing)."""

    def __init__(self, table: QTableView, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.message = QLabel(message)
        self.message.setObjectName("empty_state")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setMargin(24)
        tint(self.message, Tone.MUTED)
        self.addWidget(table)
        self.addWidget(self.message)

    def show_rows(self, count: int, message: str | None = None) -> None:
        if message is not None:
            self.message.setText(message)
        self.setCurrentWidget(self.table if count else self.message)

    @property
    def empty(self) -> bool:
        return self.currentWidget() is self.message
