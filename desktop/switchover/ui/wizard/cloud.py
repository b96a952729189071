"""Page 4: cloud providers from the presets (searchable) or custom URLs; each key is checked live before it can
be saved, and the verdict says plainly what is wrong (wrong key, blocked in your region, out of quota…).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.providers import Credential, Endpoint, Protocol, Provider, validate_name
from switchover.ui.kit.credentials import CredentialEditor, CredentialSource
from switchover.ui.kit.palette import Tone, span, tint
from switchover.ui.safe_text import error_html, html_lines, show_html, show_plain
from switchover.ui.wizard.common import WizardPage, help_label, verdict_html
from switchover.ui.wizard.draft import KeySource, Origin, ProviderChoice, Verdict

if TYPE_CHECKING:
    from switchover.ui.wizard.wizard import SetupWizard

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2  # label, id, notes and model ids: "glm" finds Zhipu and Z.ai
CUSTOM_ID = "__custom__"
PROVIDER_PREFIX = "provider:"  # list ids of imported/kept providers that are not presets
LIVE_CHECK_DELAY_MS = 700  # after the user stops typing a key
CUSTOM_PROTOCOLS = {
    Protocol.OPENAI_CHAT: "OpenAI-compatible (base URL ends in /v1)",
    Protocol.ANTHROPIC: "Anthropic-compatible",
    Protocol.OPENAI_RESPONSES: "OpenAI Responses (Codex)",
    Protocol.GEMINI: "Gemini",
    Protocol.OLLAMA: "Ollama",
}


class CloudPage(WizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Cloud providers")
        self.setSubTitle("Tick the providers you have an account with. Each key is checked before it is saved.")
        self.current_id: str | None = None  # preset id or CUSTOM_ID shown in the details panel
        self.custom_name: str | None = None
        self.pending: dict[str, tuple[object, ...]] = {}  # provider name -> fingerprint being checked
        self._loading = False

        self.search = QLineEdit()
        self.search.setObjectName("preset_search")
        self.search.setPlaceholderText("Search providers…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("preset_list")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.list, 1)

        self.details = QGroupBox("Pick a provider on the left")
        form = QFormLayout(self.details)
        self.form = form
        self.notes = help_label("")
        self.custom_name_edit = QLineEdit()
        self.custom_name_edit.setPlaceholderText("e.g. my-gateway")
        self.custom_protocol = QComboBox()
        for protocol, label in CUSTOM_PROTOCOLS.items():
            self.custom_protocol.addItem(label, protocol)
        self.custom_url = QLineEdit()
        self.custom_url.setObjectName("custom_url")
        self.custom_url.setPlaceholderText("https://api.example.com/v1")
        self.custom_models = QLineEdit()
        self.custom_models.setPlaceholderText("model ids, first is the default (optional: listed after the check)")
        self.custom_rows = [self.custom_name_edit, self.custom_protocol, self.custom_url, self.custom_models]
        form.addRow(self.notes)
        form.addRow("Name", self.custom_name_edit)
        form.addRow("Protocol", self.custom_protocol)
        form.addRow("Base URL", self.custom_url)
        form.addRow("Models", self.custom_models)
        self.credentials = CredentialEditor()
        self.credentials.none_radio.setText("No ke&y")
        form.addRow(self.credentials)
        # The editor's parts, by the names this page (and its tests) use.
        self.source_keychain = self.credentials.keychain_radio
        self.source_env = self.credentials.env_radio
        self.source_none = self.credentials.none_radio
        self.key_edit = self.credentials.key_edit
        self.env_edit = self.credentials.env_edit
        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("check_button")
        self.check_button.setToolTip("List the provider's models with this key (costs no tokens)")
        self.verdict = QLabel()
        self.verdict.setObjectName("verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.verdict, 1)
        form.addRow(check_row)
        # Prepaid providers with a balance API: "low" below this amount (a notification and the next chain
        # entry offered before requests fail); 0 means the default, three days of recent spend.
        self.low_balance = QDoubleSpinBox()
        self.low_balance.setObjectName("low_balance")
        self.low_balance.setRange(0, 1_000_000)
        self.low_balance.setDecimals(2)
        self.low_balance.setSpecialValueText("three days of recent spend")
        self.low_balance.setToolTip("In the balance's currency. Switchover asks the provider what is left and warns "
                                    "you below this amount, before requests start failing.")
        form.addRow("&Warn when the balance is below", self.low_balance)
        self.error = QLabel()
        self.error.setWordWrap(True)
        tint(self.error, Tone.BAD)
        form.addRow(self.error)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([320, 540])
        self.blockers = QLabel()
        self.blockers.setObjectName("cloud_blockers")
        self.blockers.setWordWrap(True)
        tint(self.blockers, Tone.WARN)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.blockers)

        self.live_timer = QTimer(self)
        self.live_timer.setSingleShot(True)
        self.live_timer.setInterval(LIVE_CHECK_DELAY_MS)
        self.live_timer.timeout.connect(self.check_current)
        self.search.textChanged.connect(self._filter)
        self.list.currentItemChanged.connect(lambda _cur, _prev: self._show_current())
        self.list.itemChanged.connect(self._item_changed)
        self.credentials.edited.connect(self._credential_edited)
        for edit in (self.custom_name_edit, self.custom_url, self.custom_models):
            edit.textEdited.connect(lambda _t: self._custom_edited())
        self.custom_protocol.currentIndexChanged.connect(lambda _i: self._custom_edited())
        self.check_button.clicked.connect(self.check_current)
        self.low_balance.valueChanged.connect(self._low_balance_edited)
        self.filled = False
        self._show_current()

    # ------------------------------------------------------------ list

    def initializePage(self) -> None:
        if not self.filled:
            self.fill()
        self._show_current()
        self._update_blockers()

    def fill(self) -> None:
        draft = self.wizard_.draft
        self.list.blockSignals(True)
        self.list.clear()
        for preset in draft.cloud_presets():
            choice = draft.choice_for_preset(preset.id)
            item = QListWidgetItem(preset.label)
            item.setData(ID_ROLE, preset.id)
            item.setToolTip(" ".join(filter(None, [preset.id, preset.notes])))
            item.setData(SEARCH_ROLE, " ".join([preset.label, preset.id, preset.notes, *preset.models]).lower())
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if choice and choice.picked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        for choice in draft.choices.values():
            if choice.provider.preset or choice.origin not in (Origin.IMPORTED, Origin.EXISTING) \
                    or choice.provider.credential.kind == "none":
                continue
            # A provider a tool already uses (or kept from before) that is not a preset: add or replace its key.
            item = QListWidgetItem(f"{choice.provider.display_name}  ({choice.origin.value})")
            item.setData(ID_ROLE, PROVIDER_PREFIX + choice.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if choice.picked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        custom = QListWidgetItem("Custom provider (enter its URL)")
        custom.setData(ID_ROLE, CUSTOM_ID)
        custom.setFlags(custom.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        existing_custom = next(
            (c for c in draft.choices.values() if c.origin is Origin.CLOUD and not c.provider.preset), None)
        if existing_custom is not None:
            self.custom_name = existing_custom.name
        custom.setCheckState(Qt.CheckState.Checked if existing_custom and existing_custom.picked
                             else Qt.CheckState.Unchecked)
        self.list.addItem(custom)
        self.list.blockSignals(False)
        self.filled = True

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.list.count()):
            item = self.list.item(row)
            haystack = f"{item.text()} {item.data(ID_ROLE)} {item.data(SEARCH_ROLE) or ''}".lower()
            item.setHidden(bool(needle) and needle not in haystack and item.data(ID_ROLE) != CUSTOM_ID)

    def visible_ids(self) -> list[str]:
        return [self.list.item(r).data(ID_ROLE) for r in range(self.list.count()) if not self.list.item(r).isHidden()]

    def item_for(self, preset_id: str) -> QListWidgetItem:
        for row in range(self.list.count()):
            if self.list.item(row).data(ID_ROLE) == preset_id:
                return self.list.item(row)
        raise KeyError(preset_id)

    def select(self, preset_id: str, picked: bool = True) -> None:
        """Tick (or untick) a preset and show its details: what a click on the row and its box does."""
        item = self.item_for(preset_id)
        self.list.setCurrentItem(item)
        item.setCheckState(Qt.CheckState.Checked if picked else Qt.CheckState.Unchecked)

    def _item_changed(self, item: QListWidgetItem) -> None:
        preset_id = item.data(ID_ROLE)
        picked = item.checkState() == Qt.CheckState.Checked
        draft = self.wizard_.draft
        if preset_id == CUSTOM_ID:
            if self.custom_name and self.custom_name in draft.choices:
                draft.choices[self.custom_name].picked = picked
        elif preset_id.startswith(PROVIDER_PREFIX):
            draft.choices[preset_id.removeprefix(PROVIDER_PREFIX)].picked = picked
        else:
            draft.pick_preset(preset_id, picked)
        if self.list.currentItem() is not item:
            self.list.setCurrentItem(item)
        else:
            self._show_current()
        self._update_blockers()
        choice = self.current_choice()
        if picked and choice is not None and self._ready_to_check(choice):
            self.live_timer.start()  # e.g. a key from an environment variable: nothing to type, check now

    # ------------------------------------------------------------ details

    def current_choice(self) -> ProviderChoice | None:
        draft = self.wizard_.draft
        if self.current_id == CUSTOM_ID:
            return draft.choices.get(self.custom_name) if self.custom_name else None
        if self.current_id and self.current_id.startswith(PROVIDER_PREFIX):
            return draft.choices.get(self.current_id.removeprefix(PROVIDER_PREFIX))
        return draft.choice_for_preset(self.current_id) if self.current_id else None

    def _show_current(self) -> None:
        item = self.list.currentItem()
        self.current_id = item.data(ID_ROLE) if item is not None else None
        draft = self.wizard_.draft
        picked = item is not None and item.checkState() == Qt.CheckState.Checked
        is_custom = self.current_id == CUSTOM_ID
        self._loading = True
        try:
            for widget in self.custom_rows:
                widget.setVisible(is_custom)
                label = self.form.labelForField(widget)
                if label is not None:
                    label.setVisible(is_custom)
            self.error.clear()
            if self.current_id is None:
                self.details.setTitle("Pick a provider on the left")
                self.notes.setText("")
                self._enable_details(False)
                self._show_low_balance(None)
                return
            choice = self.current_choice()
            if is_custom:
                self.details.setTitle("Custom provider")
                self.notes.setText("Any OpenAI- or Anthropic-compatible endpoint: a gateway, a proxy, a provider "
                                   "not in the list.")
                provider = choice.provider if choice else None
                self.custom_name_edit.setText(provider.name if provider else "")
                if provider is not None and provider.endpoints:
                    endpoint = provider.endpoints[0]
                    self.custom_protocol.setCurrentIndex(max(0, self.custom_protocol.findData(endpoint.protocol)))
                    self.custom_url.setText(endpoint.base_url)
                    self.custom_models.setText(", ".join(provider.models))
            elif choice is not None and self.current_id.startswith(PROVIDER_PREFIX):
                self.details.setTitle(choice.provider.display_name)
                where = ", ".join(f"{e.protocol.value}: {e.base_url}" for e in choice.provider.endpoints)
                used_by = ", ".join(draft.tools[t].label for t in choice.imported_for if t in draft.tools)
                key = (f" Its key, taken over from {choice.key_from}, goes to the keychain when you press Finish."
                       if choice.adopted_key else "")
                self.notes.setText(f"{'Used today by ' + used_by + '. ' if used_by else ''}{where}.{key}")
            else:
                assert self.current_id is not None
                preset = draft.catalog.get(self.current_id)
                self.details.setTitle(preset.label)
                where = ", ".join(f"{e.protocol.value}: {e.base_url}" for e in preset.endpoints)
                self.notes.setText(" ".join(filter(None, [preset.notes, where])))
            self._enable_details(picked)
            self._show_credential(choice)
            self._show_low_balance(choice)
        finally:
            self._loading = False

    def _enable_details(self, enabled: bool) -> None:
        for widget in (self.credentials, self.check_button, *self.custom_rows):
            widget.setEnabled(enabled)
        if not enabled:
            self.verdict.setText("Tick the box to use this provider." if self.current_id else "")

    def _show_credential(self, choice: ProviderChoice | None) -> None:
        draft = self.wizard_.draft
        if choice is None:
            source = draft.default_key_source
            self.key_edit.clear()
            self.env_edit.clear()
            self._set_source(source)
            if self.current_id and self.current_id != CUSTOM_ID:
                self.env_edit.setText(draft.catalog.get(self.current_id).key_env or "")
            self.verdict.setText(verdict_html(None) if self.list.currentItem() and
                                 self.list.currentItem().checkState() == Qt.CheckState.Checked else
                                 "Tick the box to use this provider.")
            return
        credential = choice.provider.credential
        self._set_source(KeySource(credential.kind))
        self.key_edit.setText(choice.key or "")
        stored = draft.has_stored_key(choice)
        self.key_edit.setPlaceholderText("stored in the keychain; paste a new key to replace it" if stored
                                         else "paste the API key")
        preset = draft.catalog.find(choice.provider.preset or "")
        self.env_edit.setText(credential.env_var or (preset.key_env if preset and preset.key_env else "") or "")
        pending = choice.name in self.pending and self.pending[choice.name] == choice.check_fingerprint()
        self.verdict.setText(verdict_html(choice.verdict if choice.verdict_current else None, pending))
        self.credentials.setEnabled(choice.picked)
        self.credentials.set_keychain_usable(draft.keychain_usable is not False, draft.keychain_problem)

    def _show_low_balance(self, choice: ProviderChoice | None) -> None:
        """The threshold row, only for a ticked provider whose balance Switchover can read."""
        draft = self.wizard_.draft
        shown = choice is not None and choice.picked and draft.has_balance_api(choice)
        self.form.setRowVisible(self.low_balance, shown)
        if choice is not None and shown:
            self.low_balance.setValue(draft.low_below(choice) or 0.0)

    def _low_balance_edited(self, value: float) -> None:
        choice = self.current_choice()
        if not self._loading and choice is not None:
            self.wizard_.draft.set_low_below(choice.name, value or None)

    def _set_source(self, source: KeySource) -> None:
        self.credentials.set_source(CredentialSource(source.value))

    def entered_source(self) -> KeySource:
        return KeySource(self.credentials.source().value)

    def _credential_edited(self) -> None:
        if self._loading:
            return
        choice = self.current_choice()
        if choice is None:
            return
        source = self.entered_source()
        try:
            self.wizard_.draft.set_key(choice.name, source, self.key_edit.text(), self.env_edit.text())
        except ValidationError as exc:
            show_plain(self.error, str(exc))
            self._update_blockers()
            return
        self.error.clear()
        self.verdict.setText(verdict_html(choice.verdict if choice.verdict_current else None))
        self._update_blockers()
        if self._ready_to_check(choice):
            self.live_timer.start()

    def _custom_edited(self) -> None:
        if self._loading:
            return
        draft = self.wizard_.draft
        try:
            name = validate_name(self.custom_name_edit.text().strip())
            protocol = Protocol(self.custom_protocol.currentData())
            endpoint = Endpoint.make(protocol, self.custom_url.text().strip())
            models = tuple(m.strip() for m in self.custom_models.text().split(",") if m.strip())
            old = draft.choices.get(self.custom_name) if self.custom_name else None
            source = self.entered_source()
            credential = (Credential.env(self.env_edit.text().strip()) if source is KeySource.ENV and
                          self.env_edit.text().strip() else Credential.none() if source is KeySource.NONE
                          else Credential.keychain())
            provider = Provider(name=name, endpoints=(endpoint,), models=models, credential=credential,
                                label=old.provider.label if old and old.provider.label else name)
        except (SwitchoverError, ValueError) as exc:  # the grammar of core.validation, message names the field
            show_plain(self.error, str(exc))
            self._update_blockers()
            return
        if name != self.custom_name and name in draft.choices:
            show_plain(self.error, f"A provider named {name!r} exists already; pick another name.")
            return
        self.error.clear()
        if old is not None and old.name != name:
            del draft.choices[old.name]
        choice = draft.add_custom(provider, self.key_edit.text().strip() or None)
        choice.picked = self.item_for(CUSTOM_ID).checkState() == Qt.CheckState.Checked
        if old is not None and old.verdict_for == choice.check_fingerprint():
            choice.verdict, choice.verdict_for = old.verdict, old.verdict_for
        self.custom_name = name
        self.verdict.setText(verdict_html(choice.verdict if choice.verdict_current else None))
        self._update_blockers()
        if self._ready_to_check(choice):
            self.live_timer.start()

    def _ready_to_check(self, choice: ProviderChoice) -> bool:
        kind = choice.provider.credential.kind
        return choice.picked and (kind != "keychain" or bool(choice.key)) and not choice.verdict_current

    # ------------------------------------------------------------ checking

    def check_current(self) -> None:
        self.live_timer.stop()
        choice = self.current_choice()
        if choice is None or not choice.picked:
            return
        if choice.provider.credential.kind == "keychain" and not choice.key and not \
                self.wizard_.draft.has_stored_key(choice):
            self.verdict.setText(span("Paste the key first.", Tone.WARN))
            return
        self.check(choice)

    def check(self, choice: ProviderChoice) -> None:
        fingerprint = choice.check_fingerprint()
        self.pending[choice.name] = fingerprint
        provider, key, name = choice.provider, choice.key, choice.name
        services = self.wizard_.services
        if self.current_choice() is choice:
            self.verdict.setText(verdict_html(None, pending=True))

        def done(verdicts: dict[str, Verdict]) -> None:
            if self.pending.get(name) == fingerprint:
                del self.pending[name]
            self.wizard_.draft.record_check(name, verdicts[name], fingerprint)
            self.wizard_.verdict_recorded.emit(name)
            current = self.current_choice()
            if current is not None and current.name == name:
                self.verdict.setText(verdict_html(current.verdict if current.verdict_current else None))
            self._update_blockers()

        def failed(exc: BaseException) -> None:
            self.pending.pop(name, None)
            self.verdict.setText(error_html(f"The check could not run: {exc}"))

        self.wizard_.run(lambda _p: services.check([(provider, key)]), done, failed, label=f"check {name}")
        self._update_blockers()

    # ------------------------------------------------------------ completeness

    def _update_blockers(self) -> None:
        problems = self.wizard_.draft.cloud_blockers()
        show_html(self.blockers, html_lines(problems))  # escaped pieces: always rich text, even one line
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.wizard_.draft.cloud_blockers()
