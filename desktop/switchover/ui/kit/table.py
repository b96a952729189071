"""One typed, read-only table model: rows are core objects, each column says how it renders a row.

    columns = [Column("Tool", lambda r: r.label), Column("Health", health_text, tone=health_tone)]
    model = TableModel(columns)      # TableModel[ToolRow]
    model.set_rows(rows)

Views never hold business data of their own; a cell asks its column on every paint, so tones follow the
palette and text follows the row object. Long text shows in full on hover (`full_on_hover`), as plain text
(a provider's message is never interpreted as HTML).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from switchover.ui.kit.palette import Tone, colour

RowT = TypeVar("RowT")
Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
OBJECT_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object behind an index
DATA_ROLE = Qt.ItemDataRole.UserRole + 2  # a column's extra data, for delegates (e.g. a sparkline's points)
SORT_ROLE = Qt.ItemDataRole.UserRole + 3


def plain_tooltip(text: str | None) -> str | None:
    """A tooltip that shows `text` literally and wraps (tooltips otherwise guess rich text)."""
    if not text:
        return None
    return "<p style='white-space:pre-wrap'>" + escape(text) + "</p>"


@dataclass(frozen=True)
class Column(Generic[RowT]):
    header: str
    text: Callable[[RowT], str]
    tooltip: Callable[[RowT], str | None] | None = None
    tone: Callable[[RowT], Tone | None] | None = None
    data: Callable[[RowT], object] | None = None  # DATA_ROLE, for a delegate
    sort_key: Callable[[RowT], Any] | None = None
    align_right: bool = False
    full_on_hover: bool = False  # no tooltip of its own: hovering shows the whole text
    header_tooltip: str | None = None


class TableModel(QAbstractTableModel, Generic[RowT]):
    """Rows of `RowT`, rendered by `columns`."""

    def __init__(self, columns: Sequence[Column[RowT]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns: tuple[Column[RowT], ...] = tuple(columns)
        self._rows: list[RowT] = []

    # ------------------------------------------------------------ rows

    def set_rows(self, rows: Sequence[RowT]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[RowT]:
        return list(self._rows)

    def row_object(self, row: int) -> RowT:
        return self._rows[row]

    def row_of(self, match: Callable[[RowT], bool]) -> int | None:
        return next((i for i, r in enumerate(self._rows) if match(r)), None)

    def refresh_rows(self, match: Callable[[RowT], bool] | None = None) -> None:
        """Repaint the rows `match` selects (all by default): their objects' state changed, not the list."""
        if not self._rows:
            return
        last = len(self.columns) - 1
        for i, row in enumerate(self._rows):
            if match is None or match(row):
                self.dataChanged.emit(self.index(i, 0), self.index(i, last))

    def column_index(self, header: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.header == header)

    # ------------------------------------------------------------ Qt

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        column = self.columns[section]
        if role == DISPLAY:
            return column.header
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(column.header_tooltip)
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self.columns):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == DISPLAY:
            return column.text(row)
        if role == OBJECT_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.tooltip is not None:
                return plain_tooltip(column.tooltip(row))
            return plain_tooltip(column.text(row)) if column.full_on_hover else None
        if role == Qt.ItemDataRole.ForegroundRole and column.tone is not None:
            tone = column.tone(row)
            return colour(tone) if tone is not None else None
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == DATA_ROLE and column.data is not None:
            return column.data(row)
        if role == SORT_ROLE:
            return column.sort_key(row) if column.sort_key is not None else column.text(row)
        return None


def sortable(model: TableModel[Any], parent: Any = None) -> QSortFilterProxyModel:
    """A proxy that sorts by each column's `sort_key` (text by default)."""
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy


__all__ = ["DATA_ROLE", "DISPLAY", "OBJECT_ROLE", "Column", "TableModel", "plain_tooltip", "sortable"]
