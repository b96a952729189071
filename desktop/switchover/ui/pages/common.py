"""Small shared widgets for the pages."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QWidget

from switchover.ui.kit.palette import Tone, css


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
