"""Chains page: the fallback order each tool fails over along, seen and edited in the main window.

One list per chain: the default order (every tool without its own) and each tool's own. Entries show their
health; drag them (or Move up/down) to reorder, add a provider's model, remove one, or let a tool go back to
the default order. Every change is saved at once through the store's locked edit, the same rules as
`switchover chain set` (a missing model becomes the provider's default, written out).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from switchover.core.failover.chains import chain_for, has_own_chain, pick_protocol
from switchover.core.failover.settings import DEFAULT_TOOL
from switchover.core.providers import Protocol, Provider, endpoint_key
from switchover.core.store import ChainEntry, Store
from switchover.ui.health_format import status_label, status_tone
from switchover.ui.kit.palette import Tone, colour, tint
from switchover.ui.pages.common import page_title
from switchover.ui.safe_text import show_error, show_plain

if TYPE_CHECKING:
    from switchover.ui.health_monitor import HealthMonitor
    from switchover.ui.state import AppState
    from switchover.ui.switching import ToolsService

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY = "No fallback order yet: pick a provider's model below and press Add. When the tool's provider fails, " \
        "Switchover moves it to the first entry that works (or suggests it, as Settings say)."


class ChainsPage(QWidget):
    def __init__(self, state: AppState, tools: ToolsService, health: HealthMonitor,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.tools = tools
        self.health = health
        self.chain_combo = QComboBox()
        self.chain_combo.setObjectName("chain_combo")
        chain_label = QLabel("For &which tools")
        chain_label.setBuddy(self.chain_combo)
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("chain_list")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setAccessibleName("Fallback order, most preferred first")
        self.list.setStyleSheet("QListWidget::item { padding: 5px 6px; }")
        self.empty = QLabel(EMPTY)
        self.empty.setObjectName("empty_state")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(24)
        tint(self.empty, Tone.MUTED)
        self.body = QStackedWidget()
        self.body.addWidget(self.list)
        self.body.addWidget(self.empty)
        self.up_button = QPushButton("Move &up")
        self.down_button = QPushButton("Move &down")
        self.remove_button = QPushButton("&Remove")
        self.default_button = QPushButton("Use the de&fault order")
        self.default_button.setToolTip("Remove this tool's own order; it then fails over along the default one.")
        self.add_combo = QComboBox()
        self.add_combo.setObjectName("add_combo")
        self.add_combo.setMinimumWidth(280)
        add_label = QLabel("Add &next")
        add_label.setBuddy(self.add_combo)
        self.add_button = QPushButton("&Add")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(chain_label)
        top.addWidget(self.chain_combo, 1)
        side = QVBoxLayout()
        for button in (self.up_button, self.down_button, self.remove_button, self.default_button):
            side.addWidget(button)
        side.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.body, 1)
        middle.addLayout(side)
        add_row = QHBoxLayout()
        add_row.addWidget(add_label)
        add_row.addWidget(self.add_combo, 1)
        add_row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Fallback order", "Where each tool goes when its provider fails, most "
                                    "preferred first. Drag to reorder; changes are saved at once."))
        layout.addLayout(top)
        layout.addWidget(self.source)
        layout.addLayout(middle, 1)
        layout.addLayout(add_row)
        layout.addWidget(self.status_label)

        self._filling = False
        self.chain_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.list.model().rowsMoved.connect(lambda *_a: self._reordered())
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        self.remove_button.clicked.connect(self.remove_current)
        self.default_button.clicked.connect(self.use_default)
        self.add_button.clicked.connect(self.add_chosen)
        state.store_changed.connect(self.reload)
        tools.tools_loaded.connect(lambda _rows: self.reload())
        health.result_arrived.connect(lambda _r: self.refresh())
        self.reload()

    # ------------------------------------------------------------ which chain

    def chain_key(self) -> str:
        data = self.chain_combo.currentData()
        return str(data) if data else DEFAULT_TOOL

    def protocols(self) -> tuple[Protocol, ...]:
        key = self.chain_key()
        rows = [r for r in self.tools.rows if r.installed and (key in (DEFAULT_TOOL, r.tool))]
        return tuple(dict.fromkeys(p for r in rows for p in r.protocols))

    def reload(self) -> None:
        """The chain choices: the default order and every installed tool."""
        current = self.chain_key()
        self._filling = True
        self.chain_combo.clear()
        self.chain_combo.addItem("All tools without their own order (default)", DEFAULT_TOOL)
        for row in self.tools.rows:
            if row.installed:
                own = has_own_chain(self.state.store, row.tool)
                self.chain_combo.addItem(f"{row.label}" + ("" if own else " (uses the default)"), row.tool)
        self.chain_combo.setCurrentIndex(max(0, self.chain_combo.findData(current)))
        self._filling = False
        self.refresh()

    # ------------------------------------------------------------ showing

    def entries(self) -> list[ChainEntry]:
        store = self.state.store
        key = self.chain_key()
        return list(store.chains.get(DEFAULT_TOOL, [])) if key == DEFAULT_TOOL else chain_for(store, key)

    def refresh(self) -> None:
        if self._filling:
            return
        store = self.state.store
        key = self.chain_key()
        own = key == DEFAULT_TOOL or has_own_chain(store, key)
        self.source.setText("" if own else "This tool has no order of its own: it uses the default one below. "
                                           "Changing it here gives the tool its own order.")
        self.source.setVisible(not own)
        row = self.list.currentRow()
        self._filling = True
        self.list.clear()
        for position, entry in enumerate(self.entries(), 1):
            self.list.addItem(self._item(position, entry, store))
        self._filling = False
        self.list.setCurrentRow(min(row, self.list.count() - 1))
        self.body.setCurrentWidget(self.list if self.list.count() else self.empty)
        self._fill_add_choices(store)
        self._update_buttons()

    def _item(self, position: int, entry: ChainEntry, store: Store) -> QListWidgetItem:
        provider = store.providers.get(entry.provider)
        if provider is None:
            item = QListWidgetItem(f"{position}. {entry} — no provider of that name any more (remove it)")
            item.setData(ENTRY_ROLE, entry)
            return item
        protocol = pick_protocol(provider, self.protocols() or provider.protocols)
        result = self.health.latest.get(endpoint_key(provider.name, protocol)) if protocol else None
        words = status_label(result.status) if result else "Not checked"
        if protocol is None:
            words = "no API the tool speaks"
        in_use = self.in_use()
        used = " · in use now" if (entry.provider, entry.model or provider.default_model) in in_use else ""
        item = QListWidgetItem(f"{position}. {provider.display_name} · {entry.model or provider.default_model} — "
                               f"{words}{used}")
        item.setData(ENTRY_ROLE, entry)
        if result is not None:
            item.setForeground(colour(status_tone(result.status)))
            item.setToolTip(result.reason)
        return item

    def in_use(self) -> set[tuple[str, str | None]]:
        """(provider, model) the chosen tool uses now (every tool's, for the default order)."""
        key = self.chain_key()
        return {(r.provider.name, r.model) for r in self.tools.rows if r.installed and r.provider is not None
                and (key in (DEFAULT_TOOL, r.tool))}

    def _fill_add_choices(self, store: Store) -> None:
        chosen = self.add_combo.currentData()
        taken = set(self.entries())
        protocols = self.protocols()
        self.add_combo.clear()
        for provider in store.providers.values():
            if protocols and pick_protocol(provider, protocols) is None:
                continue  # the tool(s) cannot speak to it
            for model in provider.models:
                entry = ChainEntry(provider.name, model)
                if entry not in taken:
                    self.add_combo.addItem(f"{provider.display_name} · {model}", str(entry))
        if chosen is not None:
            self.add_combo.setCurrentIndex(max(0, self.add_combo.findData(chosen)))

    def _update_buttons(self) -> None:
        row = self.list.currentRow()
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.list.count() - 1)
        self.remove_button.setEnabled(row >= 0)
        key = self.chain_key()
        self.default_button.setEnabled(key != DEFAULT_TOOL and has_own_chain(self.state.store, key))
        self.add_button.setEnabled(self.add_combo.count() > 0)

    # ------------------------------------------------------------ changing

    def listed(self) -> list[ChainEntry]:
        return [self.list.item(r).data(ENTRY_ROLE) for r in range(self.list.count())]

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        entries = self.listed()
        target = row + step
        if row < 0 or not 0 <= target < len(entries):
            return
        entries.insert(target, entries.pop(row))
        self.save(entries, f"Moved {entries[target]} to position {target + 1}.", select=target)

    def remove_current(self) -> None:
        row = self.list.currentRow()
        entries = self.listed()
        if 0 <= row < len(entries):
            gone = entries.pop(row)
            self.save(entries, f"Removed {gone} from the order.", select=min(row, len(entries) - 1))

    def add_chosen(self) -> None:
        data = self.add_combo.currentData()
        if data:
            entry = ChainEntry.parse(str(data))
            entries = [*self.listed(), entry]
            self.save(entries, f"Added {entry} at position {len(entries)}.", select=len(entries) - 1)

    def use_default(self) -> None:
        key = self.chain_key()

        def change(store: Store) -> None:
            store.chains.pop(key, None)

        self.state.edit(change, on_done=lambda _r: show_plain(self.status_label, "It uses the default order now."),
                        on_failure=lambda exc: show_error(self.status_label, exc))

    def _reordered(self) -> None:
        if not self._filling:
            self.save(self.listed(), "Saved the new order.", select=self.list.currentRow())

    def save(self, entries: list[ChainEntry], message: str, select: int = -1) -> None:
        key = self.chain_key()

        def change(store: Store) -> None:
            if entries:
                store.chains[key] = list(entries)
            else:
                store.chains.pop(key, None)

        def saved(_result: object) -> None:
            show_plain(self.status_label, message)
            if select >= 0:
                self.list.setCurrentRow(min(select, self.list.count() - 1))

        self.state.edit(change, on_done=saved, on_failure=lambda exc: show_error(self.status_label, exc))


def offer_default_chain(store: Store, provider: Provider) -> ChainEntry | None:
    """Put a new provider's default model at the end of the default order (used by every tool without its
    own), unless it is there already or has no model. Returns the entry added, or None."""
    if not provider.default_model:
        return None
    entry = ChainEntry(provider.name, provider.default_model)
    chain = store.chains.setdefault(DEFAULT_TOOL, [])
    if entry in chain:
        return None
    chain.append(entry)
    return entry


__all__ = ["ChainsPage", "offer_default_chain"]
