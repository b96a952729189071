"""Where a provider's key comes from, as one widget: the provider dialog and the setup wizard both use it.

Three choices: a key stored in the OS keychain (typed here, kept in memory until the caller saves it), an
environment variable that holds it, or no key (local servers). Without a usable keychain the first choice
is disabled and says why. The widget only collects input; the caller validates it through the core
(`Credential.env` checks the variable name) and stores keys off the UI thread.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QLineEdit, QRadioButton, QWidget

from switchover.core.providers import Credential


class CredentialSource(StrEnum):
    KEYCHAIN = "keychain"
    ENV = "env"
    NONE = "none"


class CredentialEditor(QWidget):
    """Signals:
    edited(): the user changed the source, the key or the variable name (not emitted by the setters).
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keychain_radio = QRadioButton("&Key, stored in the OS keychain")
        self.env_radio = QRadioButton("Key from an en&vironment variable")
        self.none_radio = QRadioButton("No ke&y (local server)")
        self.group = QButtonGroup(self)
        for button in (self.keychain_radio, self.env_radio, self.none_radio):
            self.group.addButton(button)
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("key_edit")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("paste the API key")
        self.key_edit.setAccessibleName("API key")
        self.env_edit = QLineEdit()
        self.env_edit.setObjectName("env_edit")
        self.env_edit.setPlaceholderText("e.g. DEEPSEEK_API_KEY")
        self.env_edit.setAccessibleName("Environment variable holding the key")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.keychain_radio, 0, 0)
        layout.addWidget(self.key_edit, 0, 1)
        layout.addWidget(self.env_radio, 1, 0)
        layout.addWidget(self.env_edit, 1, 1)
        layout.addWidget(self.none_radio, 2, 0, 1, 2)
        layout.setColumnStretch(1, 1)
        self._quiet = False
        self.keychain_radio.setChecked(True)
        self._sync_enabled()
        self.group.buttonToggled.connect(self._toggled)
        self.key_edit.textEdited.connect(lambda _t: self._emit())
        self.env_edit.textEdited.connect(lambda _t: self._emit())

    # ------------------------------------------------------------ reading

    def source(self) -> CredentialSource:
        if self.env_radio.isChecked():
            return CredentialSource.ENV
        if self.none_radio.isChecked():
            return CredentialSource.NONE
        return CredentialSource.KEYCHAIN

    def key(self) -> str | None:
        """The key typed for the keychain (stripped), or None."""
        text = self.key_edit.text().strip()
        return text if text and self.source() is CredentialSource.KEYCHAIN else None

    def env_var(self) -> str:
        return self.env_edit.text().strip()

    def credential(self) -> Credential:
        """The credential as entered; `ValidationError` for a bad variable name."""
        source = self.source()
        if source is CredentialSource.ENV:
            return Credential.env(self.env_var())
        if source is CredentialSource.NONE:
            return Credential.none()
        return Credential.keychain()

    # ------------------------------------------------------------ setting (no `edited` signal)

    def set_source(self, source: CredentialSource) -> None:
        self._quietly(lambda: {CredentialSource.KEYCHAIN: self.keychain_radio, CredentialSource.ENV: self.env_radio,
                               CredentialSource.NONE: self.none_radio}[source].setChecked(True))

    def set_credential(self, credential: Credential, key: str | None = None) -> None:
        def fill() -> None:
            self.set_source(CredentialSource(credential.kind))
            if credential.env_var:
                self.env_edit.setText(credential.env_var)
            self.key_edit.setText(key or "")

        self._quietly(fill)

    def set_env_var(self, name: str) -> None:
        self._quietly(lambda: self.env_edit.setText(name))

    def set_key_placeholder(self, text: str) -> None:
        self.key_edit.setPlaceholderText(text)

    def set_keychain_usable(self, usable: bool, problem: str | None = None) -> None:
        """Without a usable keychain its option is disabled and says why (hover)."""
        self.keychain_radio.setEnabled(usable)
        self.keychain_radio.setToolTip("" if usable else (problem or "No usable OS keychain."))
        self._sync_enabled()

    def setEnabled(self, enabled: bool) -> None:
        super().setEnabled(enabled)
        self._sync_enabled()

    # ------------------------------------------------------------ internals

    def _quietly(self, change: object) -> None:
        was, self._quiet = self._quiet, True
        try:
            change()  # type: ignore[operator]
        finally:
            self._quiet = was
        self._sync_enabled()

    def _toggled(self, _button: object, on: bool) -> None:
        if on:
            self._sync_enabled()
            self._emit()

    def _sync_enabled(self) -> None:
        source = self.source()
        self.key_edit.setEnabled(source is CredentialSource.KEYCHAIN and self.keychain_radio.isEnabled())
        self.env_edit.setEnabled(source is CredentialSource.ENV)

    def _emit(self) -> None:
        if not self._quiet:
            self.edited.emit()


__all__ = ["CredentialEditor", "CredentialSource"]
