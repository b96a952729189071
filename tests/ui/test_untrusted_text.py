"""Provider-sourced text in Qt widgets is shown as text, never rendered as HTML (issue 12, finding 7).

A provider (or a local server) controls error messages and model ids; the Test button's verdict and the switch
preview's summary used to render them as rich text, so `<b>`, `<a>` or `<img>` styled, hid or faked parts of
what the user reads.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument

from switchover.core.switching import SwitchResult, ToolOutcome
from switchover.ui.safe_text import tooltip
from switchover.ui.switch_dialog import SwitchPreviewDialog
from tests.support.provider_server import ProviderServer, Reply
from tests.ui.test_providers_page import open_add_dialog

HOSTILE_HTML = "<b>All good</b><img src='file:///etc/hostname'><a href='https://evil.example'>fix</a>"


def _rendered(html: str) -> str:
    """What a rich-text label shows a reader (tags applied, entities decoded)."""
    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText()


def test_the_test_buttons_verdict_shows_provider_text_literally(controller: Any, qtbot: Any) -> None:
    from switchover.core.providers import Protocol

    with ProviderServer() as server:
        server.on_any(Reply.json({"error": {"message": HOSTILE_HTML, "type": "server_error"}}, 500))
        page = controller.open_window("providers").pages["providers"]
        dialog = open_add_dialog(page, qtbot)
        dialog.name_edit.setText("mirror")
        dialog.url_edits[Protocol.OPENAI_CHAT].setText(server.base_url("openai-chat"))
        dialog.models_edit.setText("test-model")
        dialog.cred_none.setChecked(True)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert dialog.test_task is not None
        with qtbot.waitSignal(dialog.test_task.finished, timeout=10000):
            pass
    label = dialog.test_result
    assert label.textFormat() == Qt.TextFormat.RichText
    shown = _rendered(label.text())
    assert "<b>All good</b><img src='file:///etc/hostname'>" in shown, shown  # the tags are visible text
    assert "<img" not in label.text() and "&lt;img" in label.text()


def test_the_switch_preview_shows_model_ids_labels_and_warnings_literally(qtbot: Any) -> None:
    model = "<b>m</b>"  # `<` and `>` are valid in a model id; they must not become markup
    outcome = ToolOutcome("claude-code", "Claude Code", "planned", files=("/x",),
                          warnings=(f"<i>{HOSTILE_HTML}</i>",), notes=("<u>note</u>",))
    preview = SwitchResult(None, True, "p", model, None, (outcome,), diff="--- a\n+++ b\n")
    dialog = SwitchPreviewDialog(preview, "<i>Evil & Co</i>")
    qtbot.addWidget(dialog)
    summary = _rendered(dialog.summary.text())
    assert "<b>m</b>" in summary and "<i>Evil & Co</i>" in summary, summary
    for label, text in ((dialog.warnings, HOSTILE_HTML), (dialog.notes, "<u>note</u>")):
        assert label.textFormat() == Qt.TextFormat.PlainText
        assert text in label.text()


def test_validation_errors_in_the_dialog_quote_what_was_typed_as_text(controller: Any, qtbot: Any) -> None:
    page = controller.open_window("providers").pages["providers"]
    dialog = open_add_dialog(page, qtbot)
    dialog.name_edit.setText("<b>bold</b>")
    dialog.cred_none.setChecked(True)
    dialog.accept()
    assert dialog.error_label.textFormat() == Qt.TextFormat.PlainText
    assert "'<b>bold</b>'" in dialog.error_label.text()
    dialog.name_edit.setText("ok")
    dialog.url_edits[next(iter(dialog.url_edits))].setText("http://127.0.0.1:9/v1")
    dialog.models_edit.setText("good, bad\u2028id, {file:/etc/passwd}")
    dialog.accept()
    assert dialog.isVisible() and "Invalid model id" in dialog.error_label.text()
    assert "\\u2028" in dialog.error_label.text()


def test_tooltips_show_text_literally() -> None:
    assert _rendered(tooltip(HOSTILE_HTML)) == HOSTILE_HTML


def test_the_app_refuses_a_url_change_that_would_send_the_key_to_the_old_host(controller: Any, qtbot: Any) -> None:
    """Finding 6 in the app: editing a provider's URL while a tool points at the old one is refused, named."""
    from PySide6.QtWidgets import QMessageBox

    from switchover.core.providers import Credential, Endpoint, Protocol, Provider
    from switchover.core.store import edit_store, load_store
    from switchover.services.switching import make_engine, switch_request
    from tests.ui.test_providers_page import click_save

    old = Provider("mine", (Endpoint.make(Protocol.OPENAI_CHAT, "http://127.0.0.1:9/v1"),), models=("m",),
                   credential=Credential.none())
    with edit_store() as store:
        store.add(old)
    make_engine().use(switch_request(old, "m"), ["aider"])
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    page = controller.open_window("providers").pages["providers"]
    page.select_name("mine")
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    from switchover.ui.provider_dialog import ProviderDialog

    edit = page.findChild(ProviderDialog)
    assert edit is not None
    edit.url_edits[Protocol.OPENAI_CHAT].setText("http://127.0.0.1:8/v1")
    click_save(edit, qtbot)
    qtbot.waitUntil(lambda: "Not saved" in page.status_label.text(), timeout=10000)
    assert "Aider (http://127.0.0.1:9/v1)" in page.status_label.text()
    assert load_store().get("mine").endpoints[0].base_url == "http://127.0.0.1:9/v1"

    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(page, "confirm_box", None) is not None, timeout=10000)
    box = page.confirm_box
    assert "Aider uses it" in box.text() and box.icon() == QMessageBox.Icon.Warning
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert "mine" in load_store().providers
