"""Health page: one row per endpoint; rows update as results stream in; a sparkline of recent latency."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, Qt
from PySide6.QtGui import QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from switchover.core.health.results import HealthResult
from switchover.core.providers import endpoint_key
from switchover.ui.health_format import ago_text, latency_text, status_colour, status_label
from switchover.ui.health_monitor import HealthMonitor
from switchover.ui.kit.palette import Tone, colour
from switchover.ui.models import DISPLAY, RowsModel
from switchover.ui.pages.common import make_table, page_title
from switchover.ui.safe_text import show_error, tooltip
from switchover.ui.state import AppState

SPARK_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3


class HealthModel(RowsModel):
    """Rows are endpoint keys ("provider/protocol"); cells read the monitor's latest result and history."""

    headers = ("Endpoint", "Status", "Latency", "Recent", "Checked", "Reason")
    SPARK_COLUMN = 3

    def __init__(self, monitor: HealthMonitor, parent: Any = None) -> None:
        super().__init__(parent)
        self.monitor = monitor
        self.urls: dict[str, str] = {}

    def set_endpoints(self, keys: list[str], urls: dict[str, str]) -> None:
        self.urls = urls
        self.set_rows(keys)

    def update_endpoint(self, key: str) -> None:
        if key in self._rows:
            row = self._rows.index(key)
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))

    def cell(self, obj: Any, column: int, role: int) -> Any:
        key: str = obj
        result: HealthResult | None = self.monitor.latest.get(key)
        if role == DISPLAY:
            if column == 0:
                return key
            if column == 1:
                return status_label(result.status if result else None)
            if column == 2:
                return latency_text(result.latency_ms) if result else "—"
            if column == 4:
                return ago_text(result.checked_at) if result else "—"
            if column == 5:
                return result.reason if result else "Not checked yet."
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return status_colour(result.status if result else None)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return tooltip(self.urls.get(key))
            if column == 5 and result:
                return tooltip(result.reason)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == SPARK_ROLE:
            return self.monitor.history_points.get(key, [])
        if role == STATUS_ROLE:
            return result.status if result else None
        return None


class SparklineDelegate(QStyledItemDelegate):
    """Recent latency as a small line; failed checks are red ticks at the bottom."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().paint(painter, option, index)
        points: list[float | None] = index.data(SPARK_ROLE) or []
        if not points:
            return
        rect: QRect = option.rect.adjusted(4, 4, -4, -4)
        values = [p for p in points if p is not None]
        top = max(values) if values else 1.0
        top = top if top > 0 else 1.0
        step = rect.width() / max(1, len(points) - 1)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        line = QPolygonF()
        for i, value in enumerate(points):
            x = rect.left() + i * step
            if value is None:
                painter.setPen(QPen(colour(Tone.BAD), 2))
                painter.drawLine(QPointF(x, rect.bottom() - 3), QPointF(x, rect.bottom()))
                continue
            line.append(QPointF(x, rect.bottom() - (value / top) * (rect.height() - 2)))
        painter.setPen(QPen(option.palette.highlight().color(), 1.5))
        if line.size() == 1:
            painter.drawEllipse(line.at(0), 1.5, 1.5)
        else:
            painter.drawPolyline(line)
        painter.restore()


class HealthPage(QWidget):
    def __init__(self, state: AppState, monitor: HealthMonitor, balances: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.monitor = monitor
        self.model = HealthModel(monitor, self)
        self.table = make_table(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(HealthModel.SPARK_COLUMN, SparklineDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.check_button = QPushButton("&Check now")
        self.check_button.clicked.connect(self.check_now)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress.setMaximumWidth(240)
        self.summary = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.check_button)
        row.addWidget(self.progress)
        row.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Health", "Each endpoint's last check, why it failed, and recent latency."))
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        if balances is not None:  # a self-contained section (ui/balance.py), hosted here
            from switchover.ui.balance import BalanceSection

            self.balance_section = BalanceSection(balances, self)
            layout.addWidget(self.balance_section)
        state.store_changed.connect(self.refresh)
        monitor.check_started.connect(self._started)
        monitor.result_arrived.connect(self._result)
        monitor.check_finished.connect(self._finished)
        monitor.check_failed.connect(self._failed)
        monitor.history_loaded.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        providers = list(self.state.store.providers.values())
        urls = {endpoint_key(p.name, e.protocol): e.base_url for p in providers for e in p.endpoints}
        keys = list(urls)
        self.model.set_endpoints(keys, urls)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(HealthModel.SPARK_COLUMN, 110)
        self._update_summary()

    def check_now(self) -> None:
        self.monitor.check_now()

    def _started(self, total: int) -> None:
        self.check_button.setEnabled(False)
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(0)
        self.progress.setFormat(f"%v of {total}")
        self.progress.setVisible(True)

    def _result(self, result: HealthResult) -> None:
        self.progress.setValue(self.progress.value() + 1)
        self.model.update_endpoint(result.endpoint_key)

    def _finished(self, _results: list[HealthResult]) -> None:
        self.check_button.setEnabled(True)
        self.progress.setVisible(False)
        self.table.resizeColumnToContents(1)
        self._update_summary()

    def _failed(self, message: str) -> None:
        self.check_button.setEnabled(True)
        self.progress.setVisible(False)
        show_error(self.summary, f"Check failed: {message}")

    def _update_summary(self) -> None:
        keys = self.model.rows()
        results = [self.monitor.latest[k] for k in keys if k in self.monitor.latest]
        healthy = sum(1 for r in results if r.healthy)
        if not keys:
            self.summary.setText("No providers yet: add one on the Providers page.")
        elif not results:
            self.summary.setText(f"{len(keys)} endpoints, not checked yet.")
        else:
            self.summary.setText(f"{healthy} of {len(results)} checked endpoints healthy.")
