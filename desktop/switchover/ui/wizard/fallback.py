"""Page 5: the fallback order (one for all tools, or one per tool) and what failover may do on its own.

Rows are the reachable choices; drag (or Up/Down) to reorder, untick to leave one out. Providers imported
or kept from before are checked quietly in the background so an unreachable one is shown as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from switchover.core.failover.settings import Mode
from switchover.core.store import ChainEntry
from switchover.ui.safe_text import error_html, tooltip
from switchover.ui.wizard.common import WizardPage, busy_bar, help_label, status_text
from switchover.ui.wizard.draft import Verdict

if TYPE_CHECKING:
    from switchover.ui.wizard.wizard import SetupWizard

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
MODE_LABELS = {
    Mode.SUGGEST: "Suggest a switch when a provider fails (recommended)",
    Mode.AUTO: "Switch automatically, then tell me",
    Mode.OFF: "Off: never check or switch on my behalf",
}


class FallbackPage(WizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Fallback order")
        self.setSubTitle("When the first choice fails, Switchover offers (or switches to) the next one that works.")
        self.shared_box = QCheckBox("Use one order for all tools")
        self.shared_box.setObjectName("shared_chain")
        self.tool_combo = QComboBox()
        self.tool_combo.setObjectName("chain_tool")
        self.list = QListWidget()
        self.list.setObjectName("chain_list")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        buttons = QVBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("failover_mode")
        for mode, label in MODE_LABELS.items():
            self.mode_combo.addItem(label, mode.value)
        self.busy = busy_bar()
        self.status = QLabel()
        self.status.setObjectName("chain_status")
        self.status.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.shared_box)
        form.addRow("Order for", self.tool_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row, 1)
        layout.addWidget(help_label("Ticked rows are used, top first. Unticked rows are left out."))
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        mode_form = QFormLayout()
        mode_form.addRow("Failover", self.mode_combo)
        layout.addLayout(mode_form)

        self.shared_box.toggled.connect(self._shared_toggled)
        self.tool_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.list.model().rowsMoved.connect(lambda *_a: self._store_order())
        self.list.itemChanged.connect(lambda _i: self._store_order())
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self._filling = False
        self.sharing_suggested = False
        self.checking: set[str] = set()

    def initializePage(self) -> None:
        draft = self.wizard_.draft
        if not self.sharing_suggested:
            draft.shared_chain = draft.suggest_shared_chain()
            self.sharing_suggested = True
        self._filling = True
        self.shared_box.setChecked(draft.shared_chain)
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(draft.failover_mode.value)))
        self.tool_combo.clear()
        for tool in draft.managed_tools:
            self.tool_combo.addItem(draft.tools[tool].label, tool)
        self._filling = False
        self.tool_combo.setEnabled(not draft.shared_chain)
        self.refresh()
        self.check_unverified()

    # ------------------------------------------------------------ background reachability

    def check_unverified(self) -> None:
        """Check providers nobody verified in this run (imported, kept from before), so the list is honest."""
        draft = self.wizard_.draft
        todo = [c for c in draft.active_choices()
                if not c.verdict_current and c.name not in self.checking]
        if not todo:
            return
        items = [(c.provider, c.key) for c in todo]
        fingerprints = {c.name: c.check_fingerprint() for c in todo}
        self.checking.update(fingerprints)
        self.busy.show()
        self.status.setText(f"Checking {len(todo)} provider(s) you already use…")

        def done(verdicts: dict[str, Verdict]) -> None:
            for name, verdict in verdicts.items():
                draft.record_check(name, verdict, fingerprints[name])
                self.checking.discard(name)
            self.busy.setVisible(bool(self.checking))
            self.status.clear()
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.checking.difference_update(fingerprints)
            self.busy.setVisible(bool(self.checking))
            self.status.setText(error_html(f"Checking failed: {exc}"))

        services = self.wizard_.services
        self.task = self.wizard_.run(lambda _p: services.check(items), done, failed, label="check current")

    # ------------------------------------------------------------ list

    def current_tool(self) -> str | None:
        if self.wizard_.draft.shared_chain:
            return None
        data = self.tool_combo.currentData()
        return str(data) if data else None

    def refresh(self) -> None:
        draft = self.wizard_.draft
        tool = self.current_tool()
        chain = draft.chain(tool)
        candidates = draft.candidates(tool)
        self._filling = True
        self.list.clear()
        for entry in chain + [c for c in candidates if c not in chain]:
            choice = draft.choices[entry.provider]
            verdict = choice.verdict if choice.verdict_current else None
            state = status_text(verdict.status, verdict) if verdict else (
                "checking…" if entry.provider in self.checking else "not checked")
            text = f"{choice.provider.display_name} — {entry.model or 'default model'}    [{state}]"
            item = QListWidgetItem(text)
            item.setData(ENTRY_ROLE, entry)
            item.setFlags((item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsDragEnabled)
                          & ~Qt.ItemFlag.ItemIsDropEnabled)
            item.setCheckState(Qt.CheckState.Checked if entry in chain else Qt.CheckState.Unchecked)
            if verdict is not None:
                item.setToolTip(tooltip(verdict.reason))
            self.list.addItem(item)
        self._filling = False
        if not candidates:
            self.status.setText("No working provider yet: go back and add one, or finish and add one later.")

    def entries(self, checked_only: bool = True) -> list[ChainEntry]:
        result = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            if not checked_only or item.checkState() == Qt.CheckState.Checked:
                result.append(item.data(ENTRY_ROLE))
        return result

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._store_order()

    def _store_order(self) -> None:
        if self._filling:
            return
        self.wizard_.draft.set_chain(self.current_tool(), self.entries())

    def _shared_toggled(self, shared: bool) -> None:
        if self._filling:
            return
        self.wizard_.draft.shared_chain = shared
        self.tool_combo.setEnabled(not shared)
        self.refresh()

    def _mode_changed(self, _index: int) -> None:
        if not self._filling:
            self.wizard_.draft.failover_mode = Mode(self.mode_combo.currentData())
