"""Settings page: how often to check, what counts as slow, failover, start at login, deep checks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from switchover.core.failover.settings import Mode
from switchover.core.health.parallel import MAX_PARALLEL_RANGE
from switchover.core.store import Store
from switchover.ui.autostart import Autostart
from switchover.ui.kit.palette import Tone, tint
from switchover.ui.pages.common import page_title
from switchover.ui.safe_text import show_error
from switchover.ui.settings import MODE_LABELS, AppSettings
from switchover.ui.state import AppState


def tool_labels() -> list[tuple[str, str]]:
    from switchover.services.switching import all_targets

    return [(t.id, t.label) for t in all_targets()]


class SettingsPage(QWidget):
    def __init__(self, state: AppState, autostart: Autostart | None = None, parent: QWidget | None = None,
                 gateway: Any = None) -> None:
        super().__init__(parent)
        self.state = state
        self.autostart = autostart or Autostart()
        self.interval_spin = QSpinBox()
        self.interval_spin.setRange(0, 1440)
        self.interval_spin.setSuffix(" min")
        self.interval_spin.setSpecialValueText("only when asked")
        self.interval_spin.setToolTip(
            "Providers the failover monitor already watches (the ones your tools use and their fallbacks) "
            "are checked on its own schedule and not again; this interval covers the rest.")
        self.slow_spin = QSpinBox()
        self.slow_spin.setRange(100, 120000)
        self.slow_spin.setSingleStep(500)
        self.slow_spin.setSuffix(" ms")
        self.parallel_spin = QSpinBox()
        self.parallel_spin.setRange(*MAX_PARALLEL_RANGE)
        self.parallel_spin.setSuffix(" endpoints")
        self.parallel_spin.setToolTip("How many endpoints a check asks at once (`switchover check --max-parallel`).")
        self.failover_combo = QComboBox()
        for mode in Mode:
            self.failover_combo.addItem(MODE_LABELS[mode], mode.value)
        self.login_check = QCheckBox("Start Switchover when I log &in")
        self.deep_check = QCheckBox("&Deep checks: send a 1-token request to prove quota and region access")
        deep_note = QLabel(
            "Deep checks cost a few tokens per endpoint per check (billed by your provider). "
            "Without them a check lists models, which proves the key but not the remaining quota."
        )
        deep_note.setWordWrap(True)
        tint(deep_note, Tone.MUTED)
        self.tool_mode_combos: dict[str, QComboBox] = {}
        tools_box = QGroupBox("Failover per tool")
        tools_box.setMaximumWidth(520)
        self.tool_modes_form = QFormLayout(tools_box)
        self.tool_modes_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for target_id, label in tool_labels():
            combo = QComboBox()
            combo.addItem("Same as default", None)
            for mode in Mode:
                combo.addItem(MODE_LABELS[mode], mode.value)
            self.tool_mode_combos[target_id] = combo
            self.tool_modes_form.addRow(label, combo)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        deep_note.setMinimumWidth(460)
        deep_note.setMaximumWidth(620)
        form.addRow("Check &every", self.interval_spin)
        form.addRow("S&low above", self.slow_spin)
        form.addRow("Check at o&nce", self.parallel_spin)
        form.addRow("&Failover", self.failover_combo)
        form.addRow("", self.login_check)
        form.addRow("", self.deep_check)
        form.addRow("", deep_note)

        self.save_button = QPushButton("&Save")
        self.save_button.clicked.connect(self.save)
        self.status_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.save_button)
        row.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Settings"))
        layout.addLayout(form)
        layout.addWidget(tools_box)
        from switchover.ui.balance import BalanceSettingsBox  # a self-contained box (ui/balance.py)

        self.balance_box = BalanceSettingsBox(state, self)
        self.balance_box.setMaximumWidth(860)  # its check boxes are one line each: room for them
        layout.addWidget(self.balance_box)
        from switchover.ui.gateway import GatewaySettingsBox  # a self-contained box (ui/gateway.py)

        self.gateway_box = GatewaySettingsBox(state, gateway, self)
        self.gateway_box.setMaximumWidth(860)
        layout.addWidget(self.gateway_box)
        layout.addStretch(1)
        layout.addLayout(row)
        state.store_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        s = self.state.settings
        self.interval_spin.setValue(s.check_interval_s // 60)
        self.slow_spin.setValue(s.slow_threshold_ms)
        self.parallel_spin.setValue(s.max_parallel)
        failover = self.state.failover_settings()
        self.failover_combo.setCurrentIndex(max(0, self.failover_combo.findData(failover.mode_of_other_tools.value)))
        for tool, combo in self.tool_mode_combos.items():
            mode = failover.modes.get(tool)
            combo.setCurrentIndex(max(0, combo.findData(mode.value if mode else None)))
        self.login_check.setChecked(s.start_at_login)
        self.deep_check.setChecked(s.deep_checks)

    def entered(self) -> AppSettings:
        return replace(
            self.state.settings,
            check_interval_s=self.interval_spin.value() * 60,
            slow_threshold_ms=self.slow_spin.value(),
            max_parallel=self.parallel_spin.value(),
            start_at_login=self.login_check.isChecked(),
            deep_checks=self.deep_check.isChecked(),
        )

    def entered_failover(self, store: Store) -> Any:
        """The `[failover]` table as entered: the default mode and the tools that have their own."""
        from switchover.core.failover.settings import load_settings

        modes = {tool: Mode(str(combo.currentData())) for tool, combo in self.tool_mode_combos.items()
                 if combo.currentData()}
        entered = load_settings(store).with_default_mode(Mode(str(self.failover_combo.currentData())))
        return replace(entered, modes=modes)

    def save(self) -> None:
        settings = self.entered()
        balance = self.balance_box.entered()
        gateway = self.gateway_box.entered()
        autostart = self.autostart
        self.save_button.setEnabled(False)
        self.status_label.setText("Saving…")

        def apply_login(_progress: object) -> None:
            autostart.set_enabled(settings.start_at_login)

        def saved(_r: object) -> None:
            self.save_button.setEnabled(True)
            self.status_label.setText("Saved.")

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            show_error(self.status_label, exc)

        def change(store: Store) -> None:
            from switchover.core.failover.settings import save_settings

            settings.write_to(store)
            save_settings(store, self.entered_failover(store))
            balance.write_to(store)
            gateway(store)

        def write_settings(_r: object) -> None:
            self.state.edit(change, on_done=saved, on_failure=failed)

        self.state.tasks.run(apply_login, serial=True, on_failure=failed, on_success=write_settings)
