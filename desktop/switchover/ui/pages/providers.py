"""Providers page: the configured providers, with add/edit/remove and a live "Test"."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from switchover.core.catalog import default_catalog
from switchover.core.errors import ValidationError
from switchover.core.failover.settings import DEFAULT_TOOL
from switchover.core.health.results import HealthResult
from switchover.core.providers import Provider
from switchover.core.store import ChainEntry, Store
from switchover.core.switching.usage import ProviderUsage, provider_usage, stranded_by
from switchover.services.switching import make_engine
from switchover.ui.health_format import status_label
from switchover.ui.kit.table import Column, TableModel
from switchover.ui.pages.chains import offer_default_chain
from switchover.ui.pages.common import TableOrEmpty, make_table, page_title
from switchover.ui.provider_dialog import ProviderDialog, ProviderDraft
from switchover.ui.safe_text import plain_box, show_error, show_plain
from switchover.ui.state import AppState

NO_PROVIDERS = ("No providers yet. Press Add… for a preset (DeepSeek, Z.ai, Moonshot, OpenRouter, a local Ollama…) or "
                "your own URLs; or run Switchover ▸ Set up again…, which also takes over what your tools use now, "
                "keys included (switchover import does the same from a terminal).")


def provider_columns() -> list[Column[Provider]]:
    return [
        Column("Name", lambda p: p.name),
        Column("Provider", lambda p: p.display_name + (" (local)" if p.is_local else "")),
        Column("Protocols", lambda p: ", ".join(e.protocol.value for e in p.endpoints),
               tooltip=lambda p: "\n".join(f"{e.protocol.value}: {e.base_url}" for e in p.endpoints)),
        Column("Default model", lambda p: p.default_model or "—", full_on_hover=True),
        Column("Key", lambda p: p.credential.describe()),
    ]


class ProvidersPage(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.model: TableModel[Provider] = TableModel(provider_columns(), self)
        self.table = make_table(self)
        self.table.setModel(self.model)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.add_button = QPushButton("&Add…")
        self.edit_button = QPushButton("&Edit…")
        self.remove_button = QPushButton("&Remove")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.add_button.clicked.connect(self.add_provider)
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Providers", "Where your tools can send requests. Keys stay in the OS keychain."))
        self.body = TableOrEmpty(self.table, NO_PROVIDERS)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        state.store_changed.connect(self.refresh)
        state.store_failed.connect(lambda message: show_plain(self.status_label, message))
        self.refresh()

    def refresh(self) -> None:
        self.model.set_rows(list(self.state.store.providers.values()))
        self.body.show_rows(self.model.rowCount())
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected(self) -> Provider | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()) if rows else None

    def select_name(self, name: str) -> None:
        for row, provider in enumerate(self.model.rows()):
            if provider.name == name:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        has = self.selected() is not None
        self.edit_button.setEnabled(has)
        self.remove_button.setEnabled(has)

    # ------------------------------------------------------------ actions

    def make_dialog(self, existing: Provider | None = None) -> ProviderDialog:
        dialog = ProviderDialog(
            default_catalog(), existing, frozenset(self.state.store.providers), parent=self
        )
        from switchover.ui.provider_test import attach_test_button

        attach_test_button(dialog, self.state)
        return dialog

    def add_provider(self) -> None:
        self.run_dialog(self.make_dialog())

    def edit_selected(self) -> None:
        provider = self.selected()
        if provider is not None:
            self.run_dialog(self.make_dialog(provider))

    def run_dialog(self, dialog: ProviderDialog) -> None:
        """Open the dialog (non-blocking); on Save, write key and store in the background."""
        replace = dialog._existing is not None
        dialog.accepted.connect(
            lambda: self.save(dialog.draft, replace, dialog.check_results) if dialog.draft else None)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def save(self, draft: ProviderDraft, replace: bool, checked: list[HealthResult] | None = None) -> None:
        state = self.state
        show_plain(self.status_label, f"Saving {draft.provider.name}…")
        old = state.store.providers.get(draft.provider.name) if replace else None

        def work(_progress: object) -> None:
            if old is not None:  # tools at URLs the edit drops would get this provider's (new) key: refuse
                stranded = stranded_by(draft.provider, provider_usage(make_engine(), old))
                if stranded:
                    names = ", ".join(f"{t.label} ({t.base_url})" for t in stranded)
                    raise ValidationError(
                        f"Not saved: {names} use {old.display_name} at a URL you changed, and would send its key "
                        "there. Switch them to the new URLs or another provider first (Tools page), or run "
                        f"`switchover provider add {old.name} ... --replace --force` to re-point them in one step."
                    )
            if draft.key:
                state.keychain().set(draft.provider.name, draft.key)

        def change(store: Store) -> ChainEntry | None:
            store.add(draft.provider, replace=replace)
            return offer_default_chain(store, draft.provider) if draft.add_to_chain else None

        def stored(_result: object) -> None:
            state.edit(change, on_done=saved)

        def saved(added: ChainEntry | None) -> None:
            where = f" It is number {len(state.store.chains.get(DEFAULT_TOOL, []))} in the fallback order " \
                    "(Fallback order page)." if added is not None else ""
            failing = [r for r in checked or [] if not r.healthy]
            now = f" Right now: {status_label(failing[0].status)} — {failing[0].reason} It is kept, to switch back " \
                  "to once it works." if failing else ""
            show_plain(self.status_label, f"Saved {draft.provider.display_name}.{where}{now}")
            self.select_name(draft.provider.name)

        state.tasks.run(work, on_success=stored, on_failure=self._failed, serial=True, label="store key")

    def remove_selected(self) -> None:
        provider = self.selected()
        if provider is None:
            return
        self.state.tasks.run(lambda _p: provider_usage(make_engine(), provider),  # reads tool files: not here
                             on_success=lambda usage: self._confirm_remove(provider, usage), on_failure=self._failed,
                             label="provider usage")

    def _confirm_remove(self, provider: Provider, usage: ProviderUsage) -> None:
        in_use = "".join(f"\n  • {line}" for line in usage.describe())
        text = f"Remove {provider.display_name} ({provider.name})? Its key is deleted from the keychain."
        if in_use:
            text += (f"\n\nIt is still in use:{in_use}\n\nThose tools get no key from Switchover once it is removed, "
                     "and those files keep the key until you switch the tools elsewhere.")
        box = QMessageBox(
            QMessageBox.Icon.Warning if in_use else QMessageBox.Icon.Question,
            "Remove provider",
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        plain_box(box)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.finished.connect(lambda _r: self.remove(provider) if box.clickedButton() is yes else None)
        box.finished.connect(box.deleteLater)
        box.open()
        self.confirm_box = box

    def remove(self, provider: Provider) -> None:
        state = self.state

        def forget_key(_result: object) -> None:
            if provider.credential.kind == "keychain":
                state.tasks.run(
                    lambda _p: state.keychain().delete(provider.name), serial=True, on_failure=self._failed,
                    on_success=lambda _r: show_plain(self.status_label, f"Removed {provider.display_name}."),
                )
            else:
                show_plain(self.status_label, f"Removed {provider.display_name}.")

        state.edit(lambda store: store.remove(provider.name), on_done=forget_key, on_failure=self._failed)

    def _failed(self, exc: BaseException) -> None:
        show_error(self.status_label, exc)
