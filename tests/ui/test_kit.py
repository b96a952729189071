"""The widget kit (issue 16): one credential editor for the provider dialog and the wizard, one typed table
model whose columns render rows (text, tone from the palette, plain-text tooltips)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt

from switchover.core.catalog import default_catalog
from switchover.core.errors import ValidationError
from switchover.core.providers import Credential
from switchover.ui.kit.credentials import CredentialEditor, CredentialSource
from switchover.ui.kit.palette import Tone, colour
from switchover.ui.kit.table import OBJECT_ROLE, Column, TableModel


def test_one_credential_editor_in_the_dialog_and_the_wizard(qtbot: Any) -> None:
    from switchover.ui.provider_dialog import ProviderDialog
    from switchover.ui.wizard import cloud

    dialog = ProviderDialog(default_catalog())
    qtbot.addWidget(dialog)
    assert isinstance(dialog.credentials, CredentialEditor)
    assert dialog.key_edit is dialog.credentials.key_edit
    assert "CredentialEditor" in cloud.CloudPage.__init__.__code__.co_names  # the wizard builds the same widget


def test_editor_sources_fields_and_signals(qtbot: Any) -> None:
    editor = CredentialEditor()
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitExposed(editor)
    edits: list[None] = []
    editor.edited.connect(lambda: edits.append(None))
    editor.set_credential(Credential.env("DEEPSEEK_API_KEY"))
    assert editor.source() is CredentialSource.ENV and editor.env_var() == "DEEPSEEK_API_KEY"
    assert editor.env_edit.isEnabled() and not editor.key_edit.isEnabled()
    assert edits == []  # setters are quiet: only the user's edits signal
    qtbot.mouseClick(editor.keychain_radio, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(editor.key_edit, "sk-typed-0123456789")
    assert edits and editor.key() == "sk-typed-0123456789"
    assert editor.credential() == Credential.keychain()
    assert editor.key_edit.echoMode() == editor.key_edit.EchoMode.Password
    editor.set_source(CredentialSource.ENV)
    editor.set_env_var("not a name")
    with pytest.raises(ValidationError):
        editor.credential()
    editor.set_keychain_usable(False, "The keychain is locked.")
    assert not editor.keychain_radio.isEnabled() and "locked" in editor.keychain_radio.toolTip()
    for radio in (editor.keychain_radio, editor.env_radio, editor.none_radio):
        assert "&" in radio.text()  # mnemonics


@dataclass(frozen=True)
class Row:
    name: str
    state: str


def test_typed_table_model_renders_each_column(qapp: Any) -> None:
    columns: list[Column[Row]] = [
        Column("Name", lambda r: r.name, full_on_hover=True),
        Column("State", lambda r: r.state, tone=lambda r: Tone.BAD if r.state == "down" else None,
               tooltip=lambda r: f"<b>{r.state}</b>", align_right=True),
    ]
    model: TableModel[Row] = TableModel(columns)
    model.set_rows([Row("alpha", "down"), Row("bravo", "ok")])
    assert model.rowCount() == 2 and model.columnCount() == 2
    assert model.headerData(1, Qt.Orientation.Horizontal) == "State"
    down = model.index(0, 1)
    assert model.data(down) == "down" and model.data(down, Qt.ItemDataRole.ForegroundRole) == colour(Tone.BAD)
    assert model.data(model.index(1, 1), Qt.ItemDataRole.ForegroundRole) is None
    assert "&lt;b&gt;down&lt;/b&gt;" in model.data(down, Qt.ItemDataRole.ToolTipRole)  # shown, not interpreted
    assert "alpha" in model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert model.data(down, OBJECT_ROLE) == Row("alpha", "down")
    assert model.row_of(lambda r: r.name == "bravo") == 1
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changed.append(top.row()))
    model.refresh_rows(lambda r: r.name == "bravo")
    assert changed == [1]
