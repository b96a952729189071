"""Table models over core objects; views never hold business data of their own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from switchover.core.providers import Provider
from switchover.ui.safe_text import tooltip

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1  # the core object behind a row


class RowsModel(QAbstractTableModel):
    """A read-only table of rows with fixed headers; subclasses say how a row renders per column."""

    headers: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_object(self, row: int) -> Any:
        return self._rows[row]

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY and section < len(self.headers):
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        obj = self._rows[index.row()]
        if role == OBJECT_ROLE:
            return obj
        return self.cell(obj, index.column(), role)

    def cell(self, obj: Any, column: int, role: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class ProvidersModel(RowsModel):
    headers = ("Name", "Provider", "Protocols", "Default model", "Key")

    def cell(self, obj: Any, column: int, role: int) -> Any:
        provider: Provider = obj
        if role == DISPLAY:
            return (
                provider.name,
                provider.display_name + (" (local)" if provider.is_local else ""),
                ", ".join(p.value for p in provider.protocols),
                provider.default_model or "—",
                provider.credential.describe(),
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            return tooltip("\n".join(f"{e.protocol.value}: {e.base_url}" for e in provider.endpoints))
        return None
