"""Page 2: the coding tools found on this machine, what each points at today, and which Switchover manages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from switchover.ui.kit.palette import Tone, colour
from switchover.ui.safe_text import error_html, tooltip
from switchover.ui.wizard.common import WizardPage, busy_bar, help_label
from switchover.ui.wizard.draft import DetectedTool

if TYPE_CHECKING:
    from switchover.ui.wizard.wizard import SetupWizard

TOOL_ROLE = Qt.ItemDataRole.UserRole + 1


class ToolsPage(WizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Your tools")
        self.setSubTitle("Tick the tools Switchover should manage. What each uses today becomes the first "
                         "choice of its fallback order, so nothing changes unless you ask.")
        self.tree = QTreeWidget()
        self.tree.setObjectName("tools_tree")
        self.tree.setHeaderLabels(["Tool", "Found", "Uses today"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.status = QLabel("Looking for your coding tools…")
        self.status.setObjectName("tools_status")
        self.busy = busy_bar()
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addWidget(help_label("Tools you leave unticked are never edited and failover stays off for them."))
        self.tree.itemChanged.connect(self._item_changed)
        self.detecting = False

    def initializePage(self) -> None:
        if not self.wizard_.draft.tools and not self.detecting:
            self.detect()

    def detect(self) -> None:
        self.detecting = True
        self.busy.show()
        self.status.setText("Looking for your coding tools…")
        detect = self.wizard_.services.detect_tools  # the worker must not hold a widget (see WizardPage)
        self.task = self.wizard_.run(lambda _p: detect(), self._detected,
                                     self._failed, label="detect tools")

    def _detected(self, tools: list[DetectedTool]) -> None:
        self.detecting = False
        self.busy.hide()
        self.wizard_.draft.set_detected(tools)
        self.refresh()
        found = sum(1 for t in tools if t.installed)
        self.status.setText(f"Found {found} of {len(tools)} tools.")
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.detecting = False
        self.busy.hide()
        self.status.setText(error_html(f"Could not look for tools: {exc}"))

    def refresh(self) -> None:
        draft = self.wizard_.draft
        self.tree.blockSignals(True)
        self.tree.clear()
        for tool in draft.tools.values():
            item = QTreeWidgetItem([tool.label, "yes" if tool.installed else "no", tool.describe_current()])
            item.setData(0, TOOL_ROLE, tool.tool)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if draft.managed.get(tool.tool) else Qt.CheckState.Unchecked)
            tip = [f"config: {tool.config_path}"] if tool.config_path else []
            if tool.current is not None and tool.current.detail:
                tip.append(tool.current.detail)
            item.setToolTip(2, tooltip("\n".join(tip)))
            if tool.problem:
                item.setForeground(2, colour(Tone.BAD))
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)

    def item_for(self, tool: str) -> QTreeWidgetItem | None:
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item is not None and item.data(0, TOOL_ROLE) == tool:
                return item
        return None

    def set_managed(self, tool: str, managed: bool) -> None:
        item = self.item_for(tool)
        assert item is not None, tool
        item.setCheckState(0, Qt.CheckState.Checked if managed else Qt.CheckState.Unchecked)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self.wizard_.draft.set_managed(item.data(0, TOOL_ROLE), item.checkState(0) == Qt.CheckState.Checked)
            self.completeChanged.emit()

    def isComplete(self) -> bool:
        return bool(self.wizard_.draft.tools) and not self.detecting
