"""Balances in the app: the latest reading per provider, and a self-contained section that shows them.

`BalanceService` keeps the newest `BalanceResult` per provider: the stored ones at start (no network), the
failover monitor's balance rounds (its own slow schedule), and "Check balances" (off the UI thread, through
the task manager). `BalanceSection` is a widget any page can host (the Health page does); `balance_lines`
and `fill_balance_menu` give the tray its tooltip lines and menu entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from switchover.core.balance.forecast import SpendRate, result_forecast
from switchover.core.balance.results import BalanceResult, BalanceStatus, format_money
from switchover.core.providers import Provider
from switchover.ui.kit.palette import Tone, colour, tint
from switchover.ui.kit.table import Column, TableModel
from switchover.ui.pages.common import make_table
from switchover.ui.state import AppState
from switchover.ui.taskman import Progress, Task

RatesSource = Callable[[list[Provider]], Mapping[str, SpendRate]]

STATUS_TEXT = {
    BalanceStatus.OK: "ok",
    BalanceStatus.LOW: "low",
    BalanceStatus.EMPTY: "used up",
    BalanceStatus.UNAVAILABLE: "no figure",
}


def status_text(result: BalanceResult | None) -> str:
    if result is None:
        return "not asked yet"
    if not result.supported:
        return "no balance API"
    return STATUS_TEXT.get(result.status, result.status.value.replace("_", " "))


def status_tone(result: BalanceResult | None) -> Tone:
    if result is None or not result.supported or result.status is BalanceStatus.UNAVAILABLE:
        return Tone.MUTED
    if result.status is BalanceStatus.OK:
        return Tone.GOOD
    if result.status is BalanceStatus.LOW:
        return Tone.WARN
    return Tone.BAD


def status_colour(result: BalanceResult | None) -> QColor:
    return colour(status_tone(result))


def outlook(result: BalanceResult, label: str) -> str:
    """The forecast when there is one, else why the figure is what it is."""
    return result_forecast(result, label) or result.reason


class BalanceService(QObject):
    """Signals:
    changed(): `latest` changed (a stored reading loaded, a monitor round, a check finished).
    check_started(), check_finished(list): around "Check balances".
    """

    changed = Signal()
    check_started = Signal()
    check_finished = Signal(list)

    def __init__(self, state: AppState, rates: RatesSource | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.rates = rates
        self.latest: dict[str, BalanceResult] = {}
        self.checking: Task | None = None

    def providers(self) -> list[Provider]:
        """Providers worth a line: every configured one that is not a local model server."""
        from switchover.core.balance.checks import plan
        from switchover.core.balance.settings import load_balance_settings
        from switchover.core.errors import SwitchoverError

        store = self.state.store
        try:
            settings = load_balance_settings(store)
        except SwitchoverError:
            return [p for p in store.providers.values() if not p.is_local]
        return [p for p in store.providers.values() if not plan(p, settings).local]

    def load_history(self) -> Task:
        store = self.state.store

        def work(_p: Progress) -> list[BalanceResult]:
            from switchover.core.balance.checks import last_known, without_balance_api

            stored = last_known(store.providers.values())
            return [*stored.values(), *(r for r in without_balance_api(store.providers.values(), store)
                                        if r.provider not in stored)]

        return self.state.tasks.run(work, on_success=self.ingest, label="load balance history")

    def ingest(self, results: Iterable[BalanceResult]) -> None:
        """Newer readings replace older ones (a stored reading never hides a fresh one)."""
        changed = False
        for result in results:
            known = self.latest.get(result.provider)
            if known is None or result.checked_at >= known.checked_at:
                self.latest[result.provider] = result
                changed = True
        if changed:
            self.changed.emit()

    def check_now(self) -> Task | None:
        if self.checking is not None:
            return self.checking
        store = self.state.store
        providers = self.providers()
        rates_source = self.rates
        state = self.state

        def work(_p: Progress) -> list[BalanceResult]:
            from switchover.core.balance.checks import check_providers

            rates = rates_source(providers) if rates_source is not None else None
            return check_providers(providers, store, keychain=state.keychain(), rates=rates)

        def done(results: list[BalanceResult]) -> None:
            self.checking = None
            self.ingest(results)
            self.check_finished.emit(results)

        def failed(_exc: BaseException) -> None:
            self.checking = None
            self.check_finished.emit([])

        self.check_started.emit()
        self.checking = self.state.tasks.run(work, on_success=done, on_failure=failed, label="check balances")
        return self.checking


class BalanceModel(TableModel[Provider]):
    """One row per provider; cells read the service's latest result."""

    def __init__(self, service: BalanceService, parent: Any = None) -> None:
        self.service = service
        super().__init__(self._columns(), parent)

    def _result(self, provider: Provider) -> BalanceResult | None:
        return self.service.latest.get(provider.name)

    def _reason(self, provider: Provider) -> str | None:
        result = self._result(provider)
        return result.reason if result is not None else None

    def _low_below(self, provider: Provider) -> str:
        result = self._result(provider)
        if result is None or result.threshold is None:
            return "—"
        text = format_money(result.threshold, result.currency)
        return text + (" (3 days' spend)" if result.threshold_source == "spend" else "")

    def _outlook(self, provider: Provider) -> str:
        result = self._result(provider)
        return outlook(result, provider.display_name) if result is not None else \
            "Asked on the failover monitor's schedule, or with Check balances."

    def _balance(self, provider: Provider) -> str:
        result = self._result(provider)
        return result.money() if result is not None and result.amount is not None else "—"

    def _columns(self) -> list[Column[Provider]]:
        return [
            Column("Provider", lambda p: p.display_name, tooltip=self._reason),
            Column("Balance", self._balance, tooltip=self._reason, align_right=True),
            Column("Status", lambda p: status_text(self._result(p)), tooltip=self._reason,
                   tone=lambda p: status_tone(self._result(p))),
            Column("Low below", self._low_below, tooltip=self._reason, align_right=True),
            Column("Outlook", self._outlook, tooltip=self._reason),
        ]


class BalanceSection(QWidget):
    """What is left at each provider, hostable on any page: a table, a summary and "Check balances"."""

    def __init__(self, service: BalanceService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.model = BalanceModel(service, self)
        self.table = make_table(self)
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.heading = QLabel("<b>Balance</b>")
        self.summary = QLabel()
        tint(self.summary, Tone.MUTED)
        self.check_button = QPushButton("Check &balances")
        self.check_button.clicked.connect(service.check_now)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.summary, 1)
        top.addWidget(self.check_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table)
        service.changed.connect(self.refresh)
        service.check_started.connect(lambda: self.check_button.setEnabled(False))
        service.check_finished.connect(lambda _r: self.check_button.setEnabled(True))
        service.state.store_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        providers = self.service.providers()
        self.model.set_rows(providers)
        self.table.resizeColumnsToContents()
        rows = max(1, len(providers))
        header = self.table.horizontalHeader().height()
        self.table.setFixedHeight(header + rows * self.table.verticalHeader().defaultSectionSize() + 4)
        latest = [self.service.latest.get(p.name) for p in providers]
        low = [p.display_name for p, r in zip(providers, latest, strict=True)
               if r is not None and r.status in (BalanceStatus.LOW, BalanceStatus.EMPTY)]
        if not providers:
            self.summary.setText("No paid providers configured.")
        elif low:
            self.summary.setText(f"Running low: {', '.join(low)}.")
        else:
            self.summary.setText("Prepaid providers are asked what is left; others count spend from requests.")


# ---------------------------------------------------------------- tray


def balance_lines(service: BalanceService, limit: int = 4) -> list[str]:
    """Tooltip lines: "DeepSeek: ¥110.00 left, about 3 days", low ones first."""
    found = []
    for provider in service.providers():
        result = service.latest.get(provider.name)
        if result is None or result.amount is None or not result.has_amount:
            continue
        days = f", about {_days(result.days_left)}" if result.days_left is not None else ""
        mark = {BalanceStatus.LOW: " (low)", BalanceStatus.EMPTY: " (used up)"}.get(result.status, "")
        found.append((result.status is BalanceStatus.OK, f"{provider.display_name}: {result.money()} left{days}{mark}"))
    found.sort(key=lambda item: item[0])
    return [line for _, line in found[:limit]]


def _days(days: float) -> str:
    whole = max(0, round(days))
    return "a day" if whole <= 1 else f"{whole} days"


def fill_balance_menu(menu: QMenu, service: BalanceService, on_check: Callable[[], object] | None = None) -> None:
    """A "Balance" submenu: one line per provider that reports a figure, and "Check balances"."""
    lines = balance_lines(service, limit=12)
    if not lines and on_check is None:
        return
    sub = menu.addMenu("Balance")
    for line in lines or ["No balance read yet"]:
        action = QAction(line, sub)
        action.setEnabled(False)
        sub.addAction(action)
    if on_check is not None:
        sub.addSeparator()
        check = QAction("Check balances", sub)
        check.triggered.connect(on_check)
        sub.addAction(check)


# ---------------------------------------------------------------- settings


class BalanceSettingsBox(QGroupBox):
    """The balance settings, hostable on a settings page: how often to ask, what an empty or low balance
    means to failover, and each prepaid provider's low threshold. `write_to(store)` applies what is entered
    (the host saves it inside its store edit)."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__("Balance", parent)
        self.state = state
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(1, 1440)
        self.interval_spin.setSuffix(" min")
        self.empty_check = QCheckBox("An e&mpty balance counts as a failure (switch without waiting for errors)")
        self.low_check = QCheckBox("A lo&w balance moves a tool to the next chain entry (otherwise: a suggestion)")
        self.thresholds: dict[str, QDoubleSpinBox] = {}
        self.form = QFormLayout(self)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.form.addRow("Ask &balances every", self.interval_spin)
        self.form.addRow("", self.empty_check)
        self.form.addRow("", self.low_check)
        self.note = QLabel("Low below (in the balance's currency; empty: three days of recent spend):")
        tint(self.note, Tone.MUTED)
        self.form.addRow(self.note)
        state.store_changed.connect(self.refresh)
        self.refresh()

    def _prepaid(self) -> list[Provider]:
        from switchover.core.balance.checks import plan
        from switchover.core.balance.settings import load_balance_settings

        settings = load_balance_settings(self.state.store)
        return [p for p in self.state.store.providers.values() if plan(p, settings).target is not None]

    def refresh(self) -> None:
        from switchover.core.balance.settings import load_balance_settings
        from switchover.core.errors import SwitchoverError

        failover = self.state.failover_settings()
        self.interval_spin.setValue(max(1, round(failover.balance_interval_s / 60)))
        self.empty_check.setChecked(failover.empty_balance_fails)
        self.low_check.setChecked(failover.low_balance_prefers_next)
        for spin in self.thresholds.values():
            self.form.removeRow(spin)
        self.thresholds = {}
        try:
            settings = load_balance_settings(self.state.store)
            prepaid = self._prepaid()
        except SwitchoverError:
            prepaid = []
        for provider in prepaid:
            spin = QDoubleSpinBox()
            spin.setRange(0, 1_000_000)
            spin.setDecimals(2)
            spin.setSpecialValueText("by recent spend")
            latest = self.state.store.providers.get(provider.name)
            spin.setValue(settings.for_provider(provider.name).low_below or 0.0)
            self.thresholds[provider.name] = spin
            self.form.addRow(latest.display_name if latest else provider.name, spin)
        self.note.setVisible(bool(prepaid))

    def entered(self) -> EnteredBalanceSettings:
        """What the widgets say, read on the UI thread (the store is written on a worker)."""
        return EnteredBalanceSettings(
            interval_s=float(self.interval_spin.value() * 60),
            empty_fails=self.empty_check.isChecked(),
            low_prefers_next=self.low_check.isChecked(),
            thresholds={name: spin.value() or None for name, spin in self.thresholds.items()},
        )


@dataclass(frozen=True)
class EnteredBalanceSettings:
    interval_s: float
    empty_fails: bool
    low_prefers_next: bool
    thresholds: dict[str, float | None]

    def write_to(self, store: Any) -> None:
        from switchover.core.balance.settings import set_low_threshold
        from switchover.core.failover.settings import load_settings, save_settings

        settings = replace(load_settings(store), balance_interval_s=self.interval_s,
                           empty_balance_fails=self.empty_fails, low_balance_prefers_next=self.low_prefers_next)
        save_settings(store, settings)
        for name, amount in self.thresholds.items():
            if name in store.providers:
                set_low_threshold(store, name, amount)
