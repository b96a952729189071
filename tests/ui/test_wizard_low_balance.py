"""The wizard asks, for each prepaid provider whose balance Switchover can read, below what amount the balance
counts as low (issue 18: "low below an amount the user sets in the wizard or settings"); Finish saves it in the
store's `[balance]` table, a second run shows it and can take it back to the default (recent spend).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from switchover.core.balance.settings import load_balance_settings
from switchover.core.catalog import Catalog
from switchover.core.store import load_store
from switchover.ui.taskman import TaskManager
from tests.support.fixtures import provider_server
from tests.support.provider_server import ProviderServer
from tests.ui.wizard_support import (
    GOOD_KEY,
    World,
    catalog_at,
    finish,
    go_next,
    make_world,
    new_wizard,
    services_for,
    start_servers,
    tasks,
    type_key,
    wait_idle,
    walk_to_cloud,
)

__all__ = ["provider_server", "tasks"]


def _services(world: World) -> Any:
    """The test catalog (presets on local servers), DeepSeek's balance API on its server too: Switchover asks
    a provider's balance only at a host the provider itself uses."""
    catalog = catalog_at(world.servers)
    deepseek = catalog.get("deepseek")
    assert deepseek.balance is not None
    balance = replace(deepseek.balance, url=world.servers.healthy.url + "/user/balance")
    moved = Catalog({p.id: replace(p, balance=balance) if p.id == "deepseek" else p for p in catalog})
    return services_for(world, catalog=moved)


def _type_amount(qtbot: Any, spin: Any, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Tab)


def test_the_low_balance_threshold_is_asked_for_prepaid_providers_and_saved(
        qtbot: Any, tasks: TaskManager, isolated_home: Path, provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, _services(world))
    walk_to_cloud(qtbot, wizard)
    page = wizard.cloud_page
    page.select("anthropic")  # no balance API: nothing to ask
    assert not page.form.isRowVisible(page.low_balance)
    page.select("anthropic", False)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)  # DeepSeek reports its balance
    assert page.form.isRowVisible(page.low_balance) and page.low_balance.isEnabled()
    assert page.low_balance.text() == "three days of recent spend", "the default until the user sets one"
    _type_amount(qtbot, page.low_balance, "5")
    assert wizard.draft.low_thresholds == {"deepseek": 5.0}
    page.select("deepseek", False)
    assert not page.form.isRowVisible(page.low_balance), "an unticked provider has nothing to warn about"
    page.select("deepseek")
    assert page.low_balance.value() == 5.0, "kept while the user looks elsewhere"
    go_next(qtbot, wizard)
    go_next(qtbot, wizard)
    finish(qtbot, wizard)
    store = load_store()
    assert load_balance_settings(store).for_provider("deepseek").low_below == 5.0
    assert store.sections["balance"]["providers"]["deepseek"] == {"low_below": 5.0}

    # A second run shows what was saved; setting it back to the default removes it.
    again = new_wizard(qtbot, tasks, _services(world))
    go_next(qtbot, again)
    wait_idle(qtbot, again)
    go_next(qtbot, again)
    wait_idle(qtbot, again)
    go_next(qtbot, again)
    page = again.cloud_page
    page.select("deepseek")
    assert page.form.isRowVisible(page.low_balance) and page.low_balance.value() == 5.0
    _type_amount(qtbot, page.low_balance, "0")
    go_next(qtbot, again)
    go_next(qtbot, again)
    finish(qtbot, again)
    assert load_balance_settings(load_store()).for_provider("deepseek").low_below is None
    assert "deepseek" not in load_store().sections.get("balance", {}).get("providers", {})
