""""Other models…": pick one of the many models a provider lists (OpenRouter lists hundreds), by typing."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QListWidget, QVBoxLayout, QWidget


class ModelPicker(QDialog):
    """A search box over a list of model ids; Enter or double-click picks the selected one."""

    def __init__(self, title: str, models: Sequence[str], current: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(420, 480)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Type to search models…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search models")
        self.list = QListWidget()
        self.list.addItems(list(dict.fromkeys(models)))
        self.count = QLabel()
        label = QLabel("&Search:")
        label.setBuddy(self.search)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Switch")
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.count)
        layout.addWidget(self.buttons)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self.accept)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.list.currentRowChanged.connect(lambda _row: self._update())
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        matches = self.list.findItems(current, Qt.MatchFlag.MatchExactly) if current else []
        self.list.setCurrentItem(matches[0] if matches else self.list.item(0))
        self.filter("")

    def filter(self, text: str) -> None:
        words = text.lower().split()
        shown = 0
        first = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            hidden = not all(w in item.text().lower() for w in words)
            item.setHidden(hidden)
            if not hidden:
                shown += 1
                first = first or item
        current = self.list.currentItem()
        if first is not None and (current is None or current.isHidden()):
            self.list.setCurrentItem(first)
        self.count.setText(f"{shown} of {self.list.count()} models")
        self._update()

    def chosen(self) -> str | None:
        item = self.list.currentItem()
        return item.text() if item is not None and not item.isHidden() else None

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.chosen() is not None)

    def accept(self) -> None:
        if self.chosen() is not None:
            super().accept()


__all__ = ["ModelPicker"]
