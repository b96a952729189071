"""Providers page: add, edit and remove through the real dialog; the store file and keychain change."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from switchover.core import paths
from switchover.core.store import load_store
from switchover.ui.pages.providers import ProvidersPage
from switchover.ui.provider_dialog import ProviderDialog
from tests.support.provider_server import ProviderServer


def keyring_entries() -> dict[str, str]:
    path = os.environ["SWITCHOVER_TEST_KEYRING"]
    if not os.path.exists(path):
        return {}
    with open(path) as handle:
        return dict(json.load(handle))


def open_add_dialog(page: ProvidersPage, qtbot: Any) -> ProviderDialog:
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    return open_dialog(page)


def open_dialog(page: ProvidersPage) -> ProviderDialog:
    """The one dialog on screen: a closed one may linger until Qt's deferred delete runs."""
    shown = [d for d in page.findChildren(ProviderDialog) if d.isVisible()]
    assert len(shown) == 1, shown
    return shown[0]


def click_save(dialog: ProviderDialog, qtbot: Any) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)


def point_at_loopback(dialog: ProviderDialog, server: ProviderServer) -> None:
    """Save checks the provider: its URLs go to a local server, so no test request leaves the machine."""
    for protocol, edit in dialog.url_edits.items():
        if edit.text():
            edit.setText(server.base_url(protocol.value))


@pytest.fixture
def accepting() -> Iterator[ProviderServer]:
    with ProviderServer() as server:
        for protocol in ("anthropic", "openai-chat", "openai-responses"):
            server.play(protocol, "ok", ("deepseek-chat",))
        yield server


def test_add_preset_provider_writes_store_and_keychain(controller: Any, qtbot: Any,
                                                       accepting: ProviderServer) -> None:
    window = controller.open_window("providers")
    page = window.pages["providers"]
    dialog = open_add_dialog(page, qtbot)
    dialog.select_preset("deepseek")
    assert dialog.name_edit.text() == "deepseek"
    assert dialog.url_edits[next(iter(dialog.url_edits))].text() == "https://api.deepseek.com/anthropic"
    point_at_loopback(dialog, accepting)
    qtbot.keyClicks(dialog.key_edit, "sk-test-0123456789abcdef")
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        click_save(dialog, qtbot)
    store = load_store()
    provider = store.get("deepseek")
    assert provider.preset == "deepseek"
    assert provider.credential.kind == "keychain"
    assert keyring_entries() == {"switchover/deepseek": "sk-test-0123456789abcdef"}
    text = paths.store_file().read_text()
    assert "sk-test" not in text  # the key never lands in our file
    assert page.model.rowCount() == 1
    assert page.model.index(0, 0).data() == "deepseek"


def test_custom_provider_validation_errors_are_shown(controller: Any, qtbot: Any) -> None:
    page = controller.open_window("providers").pages["providers"]
    dialog = open_add_dialog(page, qtbot)
    dialog.name_edit.setText("Bad Name")
    dialog.cred_none.setChecked(True)
    click_save(dialog, qtbot)
    assert dialog.isVisible()
    assert "not allowed" in dialog.error_label.text()
    dialog.name_edit.setText("remote")
    dialog.url_edits[next(iter(dialog.url_edits))].setText("http://example.com")
    click_save(dialog, qtbot)
    assert "plain http" in dialog.error_label.text()
    assert not paths.store_file().exists()


def test_local_provider_without_key(controller: Any, qtbot: Any, local_server: Any) -> None:
    page = controller.open_window("providers").pages["providers"]
    dialog = open_add_dialog(page, qtbot)
    dialog.name_edit.setText("ollama-laptop")
    from switchover.core.providers import Protocol

    dialog.url_edits[Protocol.OLLAMA].setText(local_server.url)
    dialog.models_edit.setText("qwen3-coder, llama3")
    dialog.cred_none.setChecked(True)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        click_save(dialog, qtbot)
    provider = load_store().get("ollama-laptop")
    assert provider.is_local
    assert provider.models == ("qwen3-coder", "llama3")
    assert provider.credential.kind == "none"
    assert keyring_entries() == {}


def test_edit_keeps_key_and_remove_deletes_it(controller: Any, qtbot: Any, accepting: ProviderServer) -> None:
    page = controller.open_window("providers").pages["providers"]
    dialog = open_add_dialog(page, qtbot)
    dialog.select_preset("openai")
    point_at_loopback(dialog, accepting)
    dialog.key_edit.setText("sk-proj-abcdefghijklmnop")
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        click_save(dialog, qtbot)

    page.select_name("openai")
    qtbot.mouseClick(page.edit_button, Qt.MouseButton.LeftButton)
    edit = open_dialog(page)
    assert edit.name_edit.isReadOnly()
    edit.models_edit.setText("gpt-5.1")
    point_at_loopback(edit, accepting)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        click_save(edit, qtbot)
    assert load_store().get("openai").models == ("gpt-5.1",)
    assert keyring_entries() == {"switchover/openai": "sk-proj-abcdefghijklmnop"}

    page.select_name("openai")
    qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(page, "confirm_box", None) is not None, timeout=5000)  # after reading tools
    box = page.confirm_box
    assert isinstance(box, QMessageBox)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Removed" in page.status_label.text(), timeout=5000)
    assert load_store().providers == {}
    assert keyring_entries() == {}
    assert page.model.rowCount() == 0


def test_test_button_checks_entered_key_without_saving(controller: Any, qtbot: Any) -> None:
    from switchover.core.providers import Protocol
    from tests.support.provider_server import ProviderServer

    with ProviderServer() as server:
        server.play("openai-chat", "auth_failed")
        page = controller.open_window("providers").pages["providers"]
        dialog = open_add_dialog(page, qtbot)
        dialog.name_edit.setText("mirror")
        dialog.url_edits[Protocol.OPENAI_CHAT].setText(server.base_url("openai-chat"))
        dialog.models_edit.setText("test-model")
        dialog.key_edit.setText("sk-wrong-0123456789abcdef")
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert dialog.test_task is not None
        with qtbot.waitSignal(dialog.test_task.finished, timeout=10000):
            pass
        assert "Wrong key" in dialog.test_result.text()
        assert "sk-wrong" not in dialog.test_result.text()
        assert server.requests[0].headers["authorization"] == "Bearer sk-wrong-0123456789abcdef"
    assert not paths.store_file().exists()  # testing saves nothing
    assert keyring_entries() == {}


def test_save_says_when_the_key_is_rejected_and_keeps_a_provider_that_is_down(controller: Any, qtbot: Any) -> None:
    """Issue 14, finding 2: a key that gets a 401 is not saved without a word; a provider blocked in your region
    is saved (to switch back to later) and the page says what the check found."""
    from switchover.core.providers import Protocol

    with ProviderServer() as rejecting, ProviderServer() as blocked:
        rejecting.play("openai-chat", "auth_failed")
        blocked.play("openai-chat", "region_blocked")
        page = controller.open_window("providers").pages["providers"]
        dialog = open_add_dialog(page, qtbot)
        dialog.name_edit.setText("mirror")
        dialog.url_edits[Protocol.OPENAI_CHAT].setText(rejecting.base_url("openai-chat"))
        dialog.models_edit.setText("test-model")
        dialog.key_edit.setText("sk-wrong-0123456789abcdef")
        click_save(dialog, qtbot)
        qtbot.waitUntil(lambda: "rejected this key" in dialog.error_label.text(), timeout=10000)
        assert dialog.isVisible() and not paths.store_file().exists(), "not saved without a word"
        assert dialog.save_button.text() == "Save an&yway"
        assert "sk-wrong" not in dialog.error_label.text()
        with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
            click_save(dialog, qtbot)  # the user keeps it anyway
        assert load_store().get("mirror").models == ("test-model",)

        dialog = open_add_dialog(page, qtbot)
        dialog.name_edit.setText("far")
        dialog.url_edits[Protocol.OPENAI_CHAT].setText(blocked.base_url("openai-chat"))
        dialog.models_edit.setText("test-model")
        dialog.key_edit.setText("sk-region-0123456789abcdef")
        with qtbot.waitSignal(controller.state.store_changed, timeout=10000):
            click_save(dialog, qtbot)
        qtbot.waitUntil(lambda: "Saved far" in page.status_label.text(), timeout=5000)
        assert "Right now: Blocked in your region" in page.status_label.text()
        assert "far" in load_store().providers
