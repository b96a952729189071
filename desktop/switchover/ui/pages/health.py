"""Health page: one row per endpoint; rows update as results stream in; a sparkline of recent latency."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect
from PySide6.QtGui import QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from switchover.core.health.results import HealthResult, HealthStatus
from switchover.core.providers import endpoint_key
from switchover.ui.health_format import ago_text, latency_text, status_label, status_tone
from switchover.ui.health_monitor import HealthMonitor
from switchover.ui.kit.palette import Tone, colour
from switchover.ui.kit.table import DATA_ROLE, Column, TableModel
from switchover.ui.pages.common import TableOrEmpty, make_table, page_title, wrap_column
from switchover.ui.safe_text import show_error
from switchover.ui.state import AppState

REASON_COLUMN = 5
NO_PROVIDERS = ("No providers to check yet. Add one on the Providers page (or run Switchover ▸ Set up again…, "
                "which can take over what your tools use now, keys included).")


class HealthModel(TableModel[str]):
    """Rows are endpoint keys ("provider/protocol"); cells read the monitor's latest result and history."""

    SPARK_COLUMN = 3

    def __init__(self, monitor: HealthMonitor, parent: Any = None) -> None:
        self.monitor = monitor
        self.urls: dict[str, str] = {}
        super().__init__([
            Column("Endpoint", lambda k: k, tooltip=self._url),
            Column("Status", lambda k: status_label(self._status(k)), tone=lambda k: status_tone(self._status(k)),
                   tooltip=self._reason),
            Column("Latency", lambda k: latency_text(r.latency_ms) if (r := self.result(k)) else "—",
                   align_right=True),
            Column("Recent", lambda _k: "", data=lambda k: self.monitor.history_points.get(k, [])),
            Column("Checked", lambda k: ago_text(r.checked_at) if (r := self.result(k)) else "—"),
            Column("Reason", lambda k: r.reason if (r := self.result(k)) else "Not checked yet.",
                   full_on_hover=True),
        ], parent)

    def _url(self, key: str) -> str | None:
        return self.urls.get(key)  # `urls` is replaced on each refresh: looked up late

    def result(self, key: str) -> HealthResult | None:
        return self.monitor.latest.get(key)

    def _status(self, key: str) -> HealthStatus | None:
        result = self.result(key)
        return result.status if result else None

    def _reason(self, key: str) -> str | None:
        result = self.result(key)
        return result.reason if result else None

    def set_endpoints(self, keys: list[str], urls: dict[str, str]) -> None:
        self.urls = urls
        self.set_rows(keys)

    def update_endpoint(self, key: str) -> None:
        self.refresh_rows(lambda k: k == key)


class SparklineDelegate(QStyledItemDelegate):
    """Recent latency as a small line; failed checks are red ticks at the bottom."""

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().paint(painter, option, index)
        points: list[float | None] = index.data(DATA_ROLE) or []
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
        wrap_column(self.table, REASON_COLUMN)
        self.body = TableOrEmpty(self.table, NO_PROVIDERS)
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
        layout.addWidget(self.body, 1)
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
        self.body.show_rows(len(keys))
        self._fit()
        self._update_summary()

    def _fit(self) -> None:
        for column in range(REASON_COLUMN):
            self.table.resizeColumnToContents(column)
        self.table.setColumnWidth(HealthModel.SPARK_COLUMN, 110)
        self.table.resizeRowsToContents()

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
        row = self.model.row_of(lambda k: k == result.endpoint_key)
        if row is not None:
            self.table.resizeRowToContents(row)

    def _finished(self, _results: list[HealthResult]) -> None:
        self.check_button.setEnabled(True)
        self.progress.setVisible(False)
        self._fit()
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
            self.summary.setText("")
        elif not results:
            self.summary.setText(f"{len(keys)} endpoints, not checked yet.")
        else:
            self.summary.setText(f"{healthy} of {len(results)} checked endpoints healthy.")
