"""The wizard against the real Secret Service (gnome-keyring in a private D-Bus session, via
`scripts/with-test-keyring`): keys land in the OS keychain, refused keys never do, Cancel stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from switchover.core.secrets import Keychain
from switchover.core.store import load_store
from switchover.ui.taskman import TaskManager
from tests.support.fixtures import provider_server
from tests.support.provider_server import ProviderServer
from tests.ui.wizard_support import (
    BAD_KEY,
    GOOD_KEY,
    REGION_KEY,
    add_custom,
    finish,
    go_next,
    make_world,
    new_wizard,
    next_enabled,
    real_secret_service,
    secret_tool_lookup,
    services_for,
    start_servers,
    tasks,
    type_key,
    wait_idle,
    walk_to_cloud,
)

__all__ = ["provider_server", "tasks"]
pytestmark = pytest.mark.keychain
NAMES = ("deepseek", "zai", "moonshot", "gateway")


@pytest.fixture
def secret_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from real_secret_service(monkeypatch, NAMES)


def test_keys_go_to_the_real_keychain(qtbot: Any, tasks: TaskManager, isolated_home: Path, secret_service: None,
                                      provider_server: Callable[..., ProviderServer]) -> None:
    assert Keychain().status().usable, "the test keyring is unlocked"
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    assert "usable OS keychain was found" in wizard.welcome_page.keychain_label.text()
    walk_to_cloud(qtbot, wizard)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    type_key(qtbot, wizard, "moonshot", BAD_KEY)
    assert "Wrong key" in wizard.cloud_page.verdict.text()
    type_key(qtbot, wizard, "zai", REGION_KEY)
    assert "Blocked in your region" in wizard.cloud_page.verdict.text()
    assert not next_enabled(wizard)
    wizard.cloud_page.select("zai", False)
    wizard.cloud_page.select("moonshot", False)
    add_custom(qtbot, wizard, "gateway", world.servers.healthy.base_url("openai-chat"), GOOD_KEY + "g")
    assert all(secret_tool_lookup(n) == "" for n in NAMES), "nothing is stored before Finish"
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    go_next(qtbot, wizard)
    finish(qtbot, wizard)
    assert secret_tool_lookup("deepseek") == GOOD_KEY
    assert secret_tool_lookup("gateway") == GOOD_KEY + "g"
    assert secret_tool_lookup("moonshot") == "" and secret_tool_lookup("zai") == ""
    store = load_store()
    assert {"deepseek", "gateway"} <= set(store.providers) and "moonshot" not in store.providers
    assert store.providers["gateway"].credential.kind == "keychain"
    assert world.untouched() == []


def test_cancel_stores_no_key_in_the_real_keychain(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                                   secret_service: None,
                                                   provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    walk_to_cloud(qtbot, wizard)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    go_next(qtbot, wizard)
    wizard.reject()
    assert secret_tool_lookup("deepseek") == ""
    assert not load_store().providers
