"""Usage page: what each tool and provider spent per day (counted from the gateway's requests, priced from
the price table), with the balance forecast beside each provider."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from switchover.core.balance.results import format_money
from switchover.core.spend.report import UsageReport
from switchover.core.spend.usage import Group, GroupBy
from switchover.ui.charts import DailyBarChart, make_series
from switchover.ui.kit.palette import Tone, muted_label, span
from switchover.ui.kit.table import Column, TableModel
from switchover.ui.pages.common import make_table, page_title
from switchover.ui.usage import UsageService, tokens_text

DAY_CHOICES = ((7, "Last 7 days"), (14, "Last 14 days"), (30, "Last 30 days"), (90, "Last 90 days"))
TOKENS = "tokens"


def cost_text(group: Group) -> str:
    parts = [format_money(v, c) for c, v in sorted(group.cost.items(), key=lambda item: -item[1])]
    text = " + ".join(parts) if parts else "—"
    return ("≈ " + text) if group.estimated and parts else text


_ESTIMATED = ("Part of this is at the list (peak) price: the time of those requests is no longer in the log, so "
              "off-peak discounts cannot be applied. It may read higher than the bill.")


class UsageModel(TableModel[Group]):
    def __init__(self, parent: Any = None) -> None:
        self.report: UsageReport | None = None
        self.by = GroupBy.PROVIDER
        super().__init__([
            Column("Name", self._name),
            Column("Requests", lambda g: f"{g.requests}" + (f" ({g.errors} failed)" if g.errors else ""),
                   align_right=True),
            Column("Input", lambda g: tokens_text(g.tokens.input), align_right=True),
            Column("Cached", lambda g: tokens_text(g.tokens.cached_input), align_right=True),
            Column("Output", lambda g: tokens_text(g.tokens.output), align_right=True),
            Column("Spend", lambda g: cost_text(g) if g.cost else ("no price" if g.unpriced_tokens else "—"),
                   tooltip=lambda g: _ESTIMATED if g.estimated else None, align_right=True),
            Column("Outlook", self._outlook, tooltip=self._forecast),
        ], parent)

    def show(self, report: UsageReport, by: GroupBy) -> None:
        self.report, self.by = report, by
        self.set_rows(report.groups.get(by, []))

    def _name(self, group: Group) -> str:
        return self.report.label(self.by, group.key) if self.report is not None else group.key

    def _forecast(self, group: Group) -> str | None:
        return self.report.forecasts.get(group.key) if self.report is not None else None

    def _outlook(self, group: Group) -> str:
        """"$24.60 left, about 44 days at the recent rate" (the full forecast sentence is the tooltip)."""
        report = self.report
        if report is None or self.by is not GroupBy.PROVIDER:
            return ""
        balance = report.balances.get(group.key)
        rate = report.rates.get(group.key)
        if balance is not None and balance.has_amount and balance.amount is not None:
            text = f"{balance.money()} left"
            if rate is not None and rate.per_day > 0 and rate.currency == balance.currency:
                days = max(0.0, balance.amount) / rate.per_day
                text += f", about {round(days)} day{'s' if round(days) != 1 else ''} at the recent rate" \
                    if days >= 1 else ", less than a day at the recent rate"
            return text
        if balance is not None and not balance.supported:
            return balance.reason  # "no balance API; spend counted from requests", or a local server
        return ""


class UsagePage(QWidget):
    def __init__(self, service: UsageService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.report: UsageReport | None = None
        self.days_combo = QComboBox()
        for days, label in DAY_CHOICES:
            self.days_combo.addItem(label, days)
        self.by_buttons = QButtonGroup(self)
        self.by_buttons.setExclusive(True)
        by_row = QHBoxLayout()
        by_row.setSpacing(0)
        for i, (by, label) in enumerate(((GroupBy.PROVIDER, "By &provider"), (GroupBy.TOOL, "By &tool"),
                                         (GroupBy.MODEL, "By &model"))):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(i == 0)
            button.setProperty("by", by.value)
            self.by_buttons.addButton(button, i)
            by_row.addWidget(button)
        self.metric_combo = QComboBox()
        self.metric_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.refresh_button = QPushButton("&Refresh")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.chart = DailyBarChart()
        self.model = UsageModel(self)
        self.table = make_table(self)
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.notes = muted_label()
        controls = QHBoxLayout()
        controls.addWidget(self.days_combo)
        controls.addSpacing(8)
        controls.addLayout(by_row)
        controls.addSpacing(8)
        controls.addWidget(self.metric_combo)
        controls.addStretch(1)
        controls.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Usage", "What your tools spent, counted from the requests the gateway relayed "
                                             "and priced from the price table."))
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.table)
        layout.addWidget(self.notes)
        self.days_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.refresh_button.clicked.connect(self.load)
        self.by_buttons.idClicked.connect(lambda _i: self.redraw())
        self.metric_combo.currentIndexChanged.connect(lambda _i: self.redraw())
        service.report_ready.connect(self.show_report)
        service.report_failed.connect(self._failed)
        self.summary.setText("Counting…")

    @property
    def by(self) -> GroupBy:
        button = self.by_buttons.checkedButton()
        return GroupBy(str(button.property("by"))) if button is not None else GroupBy.PROVIDER

    def load(self) -> None:
        self.refresh_button.setEnabled(False)
        self.service.load(int(self.days_combo.currentData()))

    def show_report(self, report: UsageReport) -> None:
        self.refresh_button.setEnabled(True)
        self.report = report
        wanted = self.metric_combo.currentData()
        self.metric_combo.blockSignals(True)
        self.metric_combo.clear()
        for currency in report.currencies():
            self.metric_combo.addItem(f"Spend ({currency})", currency)
        self.metric_combo.addItem("Tokens", TOKENS)
        self.metric_combo.setCurrentIndex(max(0, self.metric_combo.findData(wanted)) if wanted else 0)
        self.metric_combo.blockSignals(False)
        self.redraw()

    def redraw(self) -> None:
        report = self.report
        if report is None:
            return
        by = self.by
        metric = str(self.metric_combo.currentData() or TOKENS)
        groups = [g for g in report.groups.get(by, []) if by is not GroupBy.DAY]
        fmt: Callable[[float], str]
        if metric == TOKENS:
            named = [(report.label(by, g.key), {d: float(v) for d, v in g.tokens_per_day.items()}) for g in groups]
            fmt = tokens_text
            title = "Tokens per day"
        else:
            named = [(report.label(by, g.key), {d: per.get(metric, 0.0) for d, per in g.per_day.items()})
                     for g in groups if metric in g.cost]
            named.sort(key=lambda item: -sum(item[1].values()))
            fmt = partial(format_money, currency=metric)
            title = f"Spend per day ({metric})"
        self.chart.empty_text = ("No requests counted in this period. Route a tool through the gateway "
                                 "(switchover use … --via-gateway) to count what it spends.")
        self.chart.set_data(report.days, make_series(named), fmt, title)
        self.model.show(report, by)
        self.table.setColumnHidden(6, by is not GroupBy.PROVIDER)
        for column in range(6):
            self.table.resizeColumnToContents(column)
        self.table.clearSelection()
        rows = max(3, self.model.rowCount())
        self.table.setMaximumHeight(self.table.horizontalHeader().height() + 4
                                    + rows * self.table.verticalHeader().defaultSectionSize())
        requests = sum(g.requests for g in report.groups.get(GroupBy.PROVIDER, []))
        span = f"Last {len(report.days)} days"
        self.summary.setText(
            f"<b>{span}</b>: {report.total_text()} · {tokens_text(report.tokens)} tokens · {requests} requests"
            if not report.empty else f"<b>{span}</b>: nothing counted yet.")
        notes = list(report.forecasts.values()) if by is not GroupBy.PROVIDER else []
        if report.unpriced:
            worst = sorted(report.unpriced.items(), key=lambda item: -item[1])[:3]
            listed = ", ".join(f"{key} ({tokens_text(n)} tokens)" for key, n in worst)
            notes.append(f"No price for {listed}: counted in tokens only (switchover prices set adds one).")
        self.notes.setText("  ".join(notes))

    def _failed(self, message: str) -> None:
        self.refresh_button.setEnabled(True)
        self.summary.setText(span(f"Could not count usage: {message}", Tone.BAD))
