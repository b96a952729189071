"""Page 3: model servers running on this machine (Ollama, LM Studio, llama.cpp, vLLM, LiteLLM), one tick to add."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from switchover.core.health.discovery import LocalServer
from switchover.ui.safe_text import error_html
from switchover.ui.wizard.common import WizardPage, busy_bar, help_label

if TYPE_CHECKING:
    from switchover.ui.wizard.wizard import SetupWizard

SERVER_ROLE = Qt.ItemDataRole.UserRole + 1


class LocalPage(WizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Local models")
        self.setSubTitle("Model servers on this machine need no key and keep working offline.")
        self.tree = QTreeWidget()
        self.tree.setObjectName("local_tree")
        self.tree.setHeaderLabels(["Server", "Address", "Models"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.status = QLabel()
        self.status.setObjectName("local_status")
        self.status.setWordWrap(True)
        self.busy = busy_bar()
        self.rescan_button = QPushButton("Scan again")
        self.rescan_button.clicked.connect(self.scan)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(self.rescan_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.busy)
        layout.addLayout(row)
        layout.addWidget(help_label("Only this computer (127.0.0.1) is scanned, on the servers' usual ports. "
                                    "Start a server and press “Scan again” if yours is missing."))
        self.tree.itemChanged.connect(self._item_changed)
        self.servers: list[LocalServer] = []
        self.scanning = False
        self.scanned = False

    def initializePage(self) -> None:
        if not self.scanned and not self.scanning:
            self.scan()

    def scan(self) -> None:
        self.scanning = True
        self.busy.show()
        self.rescan_button.setEnabled(False)
        self.status.setText("Scanning this machine for model servers…")
        discover = self.wizard_.services.discover  # the worker must not hold a widget (see WizardPage)
        self.task = self.wizard_.run(lambda _p: discover(), self._found, self._failed,
                                     label="discover local servers")
        self.completeChanged.emit()

    def _found(self, servers: list[LocalServer]) -> None:
        self.scanning = False
        self.scanned = True
        self.busy.hide()
        self.rescan_button.setEnabled(True)
        self.servers = servers
        self.refresh()
        if servers:
            self.status.setText(f"Found {len(servers)} server(s). Tick the ones to use.")
        else:
            self.status.setText("No model server is running on this machine. That is fine: skip this page.")
        self.completeChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.scanning = False
        self.scanned = True
        self.busy.hide()
        self.rescan_button.setEnabled(True)
        self.status.setText(error_html(f"The scan failed: {exc}"))
        self.completeChanged.emit()

    def refresh(self) -> None:
        draft = self.wizard_.draft
        self.tree.blockSignals(True)
        self.tree.clear()
        for server in self.servers:
            models = ", ".join(server.models[:6]) + (" …" if len(server.models) > 6 else "")
            label = server.label + (f" {server.version}" if server.version else "")
            item = QTreeWidgetItem([label, server.base_url, models or "(no models loaded)"])
            item.setData(0, SERVER_ROLE, server)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            picked = draft.is_local_picked(server)
            item.setCheckState(0, Qt.CheckState.Checked if picked else Qt.CheckState.Unchecked)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)

    def set_picked(self, row: int, picked: bool) -> None:
        item = self.tree.topLevelItem(row)
        assert item is not None
        item.setCheckState(0, Qt.CheckState.Checked if picked else Qt.CheckState.Unchecked)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            server: LocalServer = item.data(0, SERVER_ROLE)
            self.wizard_.draft.set_local(server, item.checkState(0) == Qt.CheckState.Checked)

    def isComplete(self) -> bool:
        return not self.scanning
