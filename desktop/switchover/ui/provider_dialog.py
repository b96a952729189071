"""Add or edit a provider: start from a preset or from scratch, enter the key, test it, save.

The dialog only collects and validates input into a core `Provider` (validation is the core's); saving and
keychain writes happen in the caller through the task manager, never here on the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from switchover.core import validation
from switchover.core.catalog import Catalog, Preset
from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.health.results import HealthResult, HealthStatus
from switchover.core.providers import Endpoint, Protocol, Provider, validate_name
from switchover.ui.health_format import status_html
from switchover.ui.kit.credentials import CredentialEditor, CredentialSource
from switchover.ui.kit.palette import Tone, tint
from switchover.ui.safe_text import show_error, show_html, show_plain

PROTOCOL_LABELS = {
    Protocol.ANTHROPIC: "&Anthropic API",
    Protocol.OPENAI_CHAT: "&OpenAI chat",
    Protocol.OPENAI_RESPONSES: "OpenAI &responses",
    Protocol.GEMINI: "&Gemini API",
    Protocol.OLLAMA: "Ollama AP&I",
}


NOTES_WIDTH = 430  # the preset notes' width at the dialog's minimum width (560)
KEY_PROBLEMS = frozenset({HealthStatus.AUTH_FAILED, HealthStatus.FORBIDDEN})


@dataclass(frozen=True)
class ProviderDraft:
    """What the user asked for: the provider to save and, if typed, a key for the keychain."""

    provider: Provider
    key: str | None
    add_to_chain: bool = False  # a new provider joins the end of the default fallback order


SaveCheck = Callable[[ProviderDraft, Callable[[list[HealthResult]], None]], object]


class ProviderDialog(QDialog):
    def __init__(
        self,
        catalog: Catalog,
        existing: Provider | None = None,
        taken_names: frozenset[str] = frozenset(),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit provider" if existing else "Add provider")
        self.setMinimumWidth(560)
        self._catalog = catalog
        self._existing = existing
        self._taken = taken_names
        self.draft: ProviderDraft | None = None
        self.test_task: object = None  # the running "Test" check, if any

        self.preset_combo = QComboBox()
        self.preset_combo.addItem("Custom (enter URLs yourself)", None)
        for preset in catalog:
            self.preset_combo.addItem(preset.label, preset.id)
        self.preset_notes = QLabel()
        self.preset_notes.setWordWrap(True)
        tint(self.preset_notes, Tone.MUTED)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("e.g. deepseek or ollama-laptop")
        self.label_edit = QLineEdit()
        self.models_edit = QLineEdit()
        self.models_edit.setPlaceholderText("model ids, first is the default, e.g. deepseek-chat, deepseek-reasoner")
        self.small_model_edit = QLineEdit()

        form = QFormLayout()
        form.addRow("&Preset", self.preset_combo)
        form.addRow("", self.preset_notes)
        form.addRow("&Name", self.name_edit)
        form.addRow("&Label", self.label_edit)
        form.addRow("&Models", self.models_edit)
        form.addRow("Small mo&del", self.small_model_edit)

        endpoints_box = QGroupBox("Endpoints (leave blank what the provider does not offer)")
        endpoints_form = QFormLayout(endpoints_box)
        self.url_edits: dict[Protocol, QLineEdit] = {}
        for protocol, label in PROTOCOL_LABELS.items():
            edit = QLineEdit()
            edit.setObjectName(f"url_{protocol.value}")
            self.url_edits[protocol] = edit
            endpoints_form.addRow(label, edit)

        key_box = QGroupBox("API key")
        key_layout = QVBoxLayout(key_box)
        self.credentials = CredentialEditor()
        self.credentials.set_key_placeholder("blank: keep the stored key" if existing else "paste the key")
        key_layout.addWidget(self.credentials)
        # The editor's parts, by the names the rest of the dialog (and its tests) use.
        self.cred_keychain = self.credentials.keychain_radio
        self.cred_env = self.credentials.env_radio
        self.cred_none = self.credentials.none_radio
        self.key_edit = self.credentials.key_edit
        self.env_edit = self.credentials.env_edit

        self.chain_check = QCheckBox("Add it to the &fallback order (every tool without its own can fail over to "
                                     "it)")
        self.chain_check.setObjectName("add_to_chain")
        self.chain_check.setChecked(existing is None)
        self.chain_check.setVisible(existing is None)
        self.test_button = QPushButton("&Test")
        self.test_button.setToolTip("Check the endpoint and the key now (lists models; costs no tokens)")
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)  # messages quote what was typed
        self.error_label.setWordWrap(True)
        tint(self.error_label, Tone.BAD)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_check: SaveCheck | None = None  # set by `provider_test.attach_test_button`
        self.check_results: list[HealthResult] = []  # what the check on Save found (shown after saving)
        self._confirmed: tuple[object, ...] | None = None  # input whose rejected key the user chose to keep
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(endpoints_box)
        layout.addWidget(key_box)
        layout.addWidget(self.chain_check)
        layout.addLayout(test_row)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        if existing:
            self._load(existing)
        else:
            self.credentials.set_source(CredentialSource.KEYCHAIN)

    # ------------------------------------------------------------ filling in

    def select_preset(self, preset_id: str | None) -> None:
        self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(preset_id)))

    def _preset_chosen(self) -> None:
        preset_id = self.preset_combo.currentData()
        preset = self._catalog.find(preset_id) if preset_id else None
        self.preset_notes.setText(preset.notes if preset else "")
        # Wrapped text in a form row gets the height of its first layout; reserve what it needs at the
        # dialog's narrowest, so a long note is never cut off.
        self.preset_notes.setMinimumHeight(max(0, self.preset_notes.heightForWidth(NOTES_WIDTH)) if preset else 0)
        self.preset_notes.setVisible(bool(preset and preset.notes))
        if preset is None or self._existing is not None:
            return
        self._fill_from_preset(preset)

    def _fill_from_preset(self, preset: Preset) -> None:
        if not self.name_edit.text() or self.name_edit.text() in self._catalog.ids():
            self.name_edit.setText(self._free_name(preset.id))
        self.label_edit.setText(preset.label)
        self.models_edit.setText(", ".join(preset.models))
        self.small_model_edit.setText(preset.small_models[0] if preset.small_models else "")
        for protocol, edit in self.url_edits.items():
            endpoint = next((e for e in preset.endpoints if e.protocol == protocol), None)
            edit.setText(endpoint.base_url if endpoint else "")
        if preset.needs_key:
            self.credentials.set_source(CredentialSource.KEYCHAIN)
            self.credentials.set_env_var(preset.key_env or "")
        else:
            self.credentials.set_source(CredentialSource.NONE)

    def _free_name(self, base: str) -> str:
        name, n = base, 2
        while name in self._taken:
            name, n = f"{base}-{n}", n + 1
        return name

    def _load(self, provider: Provider) -> None:
        if provider.preset:
            self.select_preset(provider.preset)
        self.name_edit.setText(provider.name)
        self.name_edit.setReadOnly(True)
        self.label_edit.setText(provider.label)
        self.models_edit.setText(", ".join(provider.models))
        self.small_model_edit.setText(provider.small_model or "")
        for protocol, edit in self.url_edits.items():
            endpoint = provider.endpoint(protocol)
            edit.setText(endpoint.base_url if endpoint else "")
        self.credentials.set_credential(provider.credential)

    # ------------------------------------------------------------ reading back

    def build(self) -> ProviderDraft:
        """The provider as entered; raises `ValidationError` with a message to show."""
        name = validate_name(self.name_edit.text().strip())
        if self._existing is None and name in self._taken:
            raise ValidationError(f"A provider named {name!r} exists already; pick another name.")
        endpoints = []
        for protocol, edit in self.url_edits.items():
            url = edit.text().strip()
            if url:
                old = self._existing.endpoint(protocol) if self._existing else None
                preset = self._catalog.find(self.preset_combo.currentData() or "")
                preset_ep = next((e for e in preset.endpoints if e.protocol == protocol), None) if preset else None
                source = old or preset_ep
                auth = source.auth if source else None  # keep a non-default auth style (e.g. bearer)
                endpoints.append(Endpoint.make(protocol, url, auth))
        if not endpoints:
            raise ValidationError("Enter at least one endpoint URL.")
        models = tuple(m.strip() for m in self.models_edit.text().replace("\n", ",").split(",") if m.strip())
        credential = self.credentials.credential()
        key = self.credentials.key() or ""
        problem = validation.api_key_problem(key) if key else None
        if problem:
            raise ValidationError(f"The API key {problem}; paste it again as one line.")
        if credential.kind == "keychain" and not key and (
            self._existing is None or self._existing.credential.kind != "keychain"
        ):
            raise ValidationError("Paste the API key, or choose an environment variable or no key.")
        preset_id = self.preset_combo.currentData()
        base = self._catalog.find(preset_id) if preset_id else None
        provider = Provider(
            name=name,
            endpoints=tuple(endpoints),
            models=models,
            small_model=self.small_model_edit.text().strip() or None,
            credential=credential,
            label=self.label_edit.text().strip(),
            preset=preset_id,
            models_url=self._existing.models_url if self._existing else (base.models_url if base else None),
            models_auth=self._existing.models_auth if self._existing else (base.models_auth if base else None),
        )
        return ProviderDraft(provider, key or None, self._existing is None and self.chain_check.isChecked())

    def accept(self) -> None:
        """Save: check the provider as entered first (when a checker is attached). A rejected key stops here and
        says so; pressing Save again (now "Save anyway") keeps it. Any other failure is saved: a provider blocked
        in your region today is the one to switch back to later."""
        try:
            draft = self.build()
        except SwitchoverError as exc:
            self.error_label.setText(str(exc))
            return
        fingerprint = (draft.provider, draft.key)
        if self.save_check is None or fingerprint == self._confirmed:
            self._save(draft)
            return
        self.error_label.clear()
        self.buttons.setEnabled(False)
        show_plain(self.test_result, "Checking the key before saving…")
        self.save_check(draft, lambda results: self._checked(draft, fingerprint, results))

    def _checked(self, draft: ProviderDraft, fingerprint: tuple[object, ...], results: list[HealthResult]) -> None:
        self.buttons.setEnabled(True)
        self.check_results = results
        show_html(self.test_result, "<br>".join(status_html(r) for r in results) or "Nothing to check.")
        rejected = [r for r in results if r.status in KEY_PROBLEMS]
        if rejected:
            self._confirmed = fingerprint
            self.save_button.setText("Save an&yway")
            self.error_label.setText(f"{draft.provider.display_name} rejected this key: {rejected[0].reason} Fix the "
                                     "key, or press Save anyway to keep it as it is.")
            return
        self._save(draft)

    def check_failed(self, exc: BaseException) -> None:
        """The check could not run at all: nothing is known against the key, so it is saved as entered."""
        self.buttons.setEnabled(True)
        try:
            draft = self.build()
        except SwitchoverError as error:
            self.error_label.setText(str(error))
            return
        show_error(self.test_result, f"The check could not run ({exc}); saved without it.")
        self._save(draft)

    def _save(self, draft: ProviderDraft) -> None:
        self.draft = draft
        super().accept()
