"""Health page: a real check against local provider servers; rows turn to the classified status as they stream."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
from tests.support.provider_server import ProviderServer


@pytest.fixture
def servers() -> Iterator[dict[str, ProviderServer]]:
    blocked = ProviderServer().start().play("openai-chat", "region_blocked")
    healthy = ProviderServer().start().play("anthropic", "ok", models=("claude-test",))
    yield {"blocked": blocked, "healthy": healthy}
    blocked.close()
    healthy.close()


def add_providers(servers: dict[str, ProviderServer]) -> None:
    keyring_file = os.environ["SWITCHOVER_TEST_KEYRING"]
    with open(keyring_file, "w") as handle:
        json.dump({"switchover/farco": "sk-farco-0123456789abcdef"}, handle)
    with edit_store() as store:
        store.add(Provider(
            name="farco",
            endpoints=(Endpoint.make(Protocol.OPENAI_CHAT, servers["blocked"].base_url("openai-chat")),),
            models=("test-model",),
            credential=Credential.keychain(),
        ))
        store.add(Provider(
            name="local",
            endpoints=(Endpoint.make(Protocol.ANTHROPIC, servers["healthy"].base_url("anthropic")),),
            models=("claude-test",),
            credential=Credential.none(),
        ))


def row_of(model: Any, key: str) -> int:
    return model.rows().index(key)


def test_check_now_streams_classified_rows(controller: Any, qtbot: Any, servers: dict[str, ProviderServer]) -> None:
    add_providers(servers)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    page = controller.open_window("health").pages["health"]
    model = page.model
    assert model.rows() == ["farco/openai-chat", "local/anthropic"]
    assert model.index(0, 1).data() == "Not checked"

    arrived: list[Any] = []
    controller.health.result_arrived.connect(arrived.append)
    with qtbot.waitSignal(controller.health.check_finished, timeout=15000):
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
        assert not page.check_button.isEnabled()  # one run at a time
    assert len(arrived) == 2

    blocked = row_of(model, "farco/openai-chat")
    assert model.index(blocked, 1).data() == "Blocked in your region"  # words, as everywhere (issue 14)
    reason = model.index(blocked, 5).data()
    assert "region" in reason.lower() or "country" in reason.lower()
    assert "sk-farco" not in reason
    # the key went to the server as a bearer token
    assert servers["blocked"].requests[0].headers["authorization"] == "Bearer sk-farco-0123456789abcdef"

    ok = row_of(model, "local/anthropic")
    assert model.index(ok, 1).data() in ("Works", "Works but slowly")
    assert model.index(ok, 2).data().endswith(("ms", " s"))
    assert page.check_button.isEnabled()
    assert "1 of 2" in page.summary.text()
    # history was recorded, so the sparkline has a point
    assert len(controller.health.history_points["local/anthropic"]) == 1
    assert controller.health.history.results("farco/openai-chat")[-1].status.value == "region_blocked"


def test_history_survives_restart(controller: Any, qtbot: Any, servers: dict[str, ProviderServer], qapp: Any) -> None:
    add_providers(servers)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    with qtbot.waitSignal(controller.health.check_finished, timeout=15000):
        controller.health.check_now()
    from switchover.ui.health_monitor import HealthMonitor

    fresh = HealthMonitor(controller.state)
    with qtbot.waitSignal(fresh.history_loaded, timeout=5000):
        fresh.load_history()
    assert fresh.latest["farco/openai-chat"].status.value == "region_blocked"
    assert fresh.history_points["local/anthropic"][0] is not None
    fresh.deleteLater()


@pytest.fixture
def locked_keychain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The keychain is locked for this process and for the CLI it starts (set before the app exists)."""
    import keyring

    from tests.support.file_keyring import LockedKeyring

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.LockedKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    yield
    keyring.set_keyring(previous)


def test_a_locked_keychain_reads_the_same_on_the_health_page_as_in_switchover_check(
        locked_keychain: None, controller: Any, qtbot: Any, servers: dict[str, ProviderServer]) -> None:
    """Issue 16: the Health page said "No key is available… store one" where `switchover check` (rightly) said
    the keychain is locked. Both now read keys through the one probes builder."""
    from tests.support.cli import run_switchover

    add_providers(servers)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    page = controller.open_window("health").pages["health"]
    with qtbot.waitSignal(controller.health.check_finished, timeout=15000):
        controller.health.check_now()
    row = row_of(page.model, "farco/openai-chat")
    shown_status, shown_reason = page.model.index(row, 1).data(), page.model.index(row, 5).data()

    checked = run_switchover(["check", "farco", "--json"])
    (cli_result,) = json.loads(checked.stdout)
    assert "is locked" in cli_result["reason"] and "Unlock it" in cli_result["reason"]
    from switchover.core.health.results import HealthStatus
    from switchover.ui.health_format import status_label

    assert (shown_status, shown_reason) == (status_label(HealthStatus(cli_result["status"])), cli_result["reason"])
    assert servers["blocked"].requests == []  # no request went out without the key
    ok = row_of(page.model, "local/anthropic")
    assert page.model.index(ok, 1).data() in ("Works", "Works but slowly")  # a keyless provider is still checked
