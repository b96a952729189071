"""Edges of the setup wizard: a broken store is never overwritten, a failed Finish leaves no half state,
drag-and-drop reorders the fallback order."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import QModelIndex

from switchover.core.catalog import default_catalog
from switchover.core.errors import ConfigFileError
from switchover.core.paths import store_file
from switchover.core.store import load_store
from switchover.ui.taskman import TaskManager
from switchover.ui.wizard.draft import SetupDraft
from tests.support.fixtures import provider_server
from tests.support.provider_server import ProviderServer
from tests.ui.wizard_support import (
    GOOD_KEY,
    finish,
    go_next,
    make_world,
    new_wizard,
    next_enabled,
    services_for,
    start_servers,
    tasks,
    tree_rows,
    type_key,
    wait_idle,
    walk_to_cloud,
)

__all__ = ["provider_server", "tasks"]


def test_a_broken_store_is_reported_and_never_overwritten(
        qtbot: Any, tasks: TaskManager, isolated_home: Path,
        provider_server: Callable[..., ProviderServer]) -> None:
    path = store_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("schema_version = 1\n[providers.x\n")
    before = path.read_bytes()
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    text = wizard.welcome_page.keychain_label.text()
    assert "could not be read" in text and str(path) in text and "line 2" in text
    assert not next_enabled(wizard), "editing a setup it cannot read could lose it"
    wizard.reject()
    assert path.read_bytes() == before


def test_a_failed_finish_puts_the_keychain_back(isolated_home: Path, tmp_path: Path,
                                                provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store's folder should be")
    services = services_for(world, store_path=blocker / "store.toml")
    backend = keyring.get_keyring()
    backend.set_password("switchover", "deepseek", "sk-old-key-0123456789abcdef")
    draft = SetupDraft(services.catalog)
    draft.set_keychain(True, None)
    draft.pick_preset("deepseek")
    draft.pick_preset("openai")
    draft.set_key("deepseek", draft.default_key_source, GOOD_KEY)
    draft.set_key("openai", draft.default_key_source, GOOD_KEY + "o")
    draft.record_check("deepseek", _ok())
    draft.record_check("openai", _ok())
    plan = draft.plan()
    assert set(plan.keys) == {"deepseek", "openai"}
    with pytest.raises((ConfigFileError, OSError)):
        services.apply(plan)
    assert backend.get_password("switchover", "deepseek") == "sk-old-key-0123456789abcdef", "old key restored"
    assert backend.get_password("switchover", "openai") is None, "new key removed"
    assert services.start_at_login.calls == [], "nothing after the failed step runs"  # type: ignore[union-attr]


def _ok() -> Any:
    from switchover.core.health.results import HealthStatus
    from switchover.ui.wizard.draft import Verdict

    return Verdict(HealthStatus.OK, "Key accepted.")


def test_dragging_a_row_reorders_the_chain(qtbot: Any, tasks: TaskManager, isolated_home: Path,
                                           provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    walk_to_cloud(qtbot, wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    page = wizard.fallback_page
    before = page.entries()
    assert len(before) == 2
    assert page.list.model().moveRow(QModelIndex(), 1, QModelIndex(), 0), "what an internal drag does"
    assert page.entries() == [before[1], before[0]]
    assert wizard.draft.chain("claude-code") == [before[1], before[0]]
    wizard.back()
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    assert page.entries() == [before[1], before[0]], "kept across Back/Next"
    wizard.reject()


def test_typed_keys_never_show_in_reprs() -> None:
    """Plans and choices end up in logs and tracebacks; the keys they carry must not."""
    draft = SetupDraft(default_catalog())
    draft.set_keychain(True, None)
    draft.pick_preset("deepseek")
    draft.set_key("deepseek", draft.default_key_source, GOOD_KEY)
    draft.record_check("deepseek", _ok())
    plan = draft.plan()
    assert plan.keys == {"deepseek": GOOD_KEY}
    assert GOOD_KEY not in repr(plan) and GOOD_KEY not in repr(draft.choices["deepseek"])


def test_without_switching_the_box_is_off_and_nothing_is_switched(
        qtbot: Any, tasks: TaskManager, isolated_home: Path,
        provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world, can_switch=False))
    walk_to_cloud(qtbot, wizard)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    wizard.fallback_page.list.setCurrentRow(1)
    wizard.fallback_page.move_current(-1)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    page = wizard.finish_page
    assert not page.switch_box.isEnabled()
    page.switch_box.setChecked(True)
    assert not wizard.draft.switch_now and wizard.draft.plan().switch_tools == ()
    assert finish(qtbot, wizard) == []
    assert world.untouched() == []


def test_a_hiccup_at_the_final_check_is_shown_but_does_not_block_finish(
        qtbot: Any, tasks: TaskManager, isolated_home: Path,
        provider_server: Callable[..., ProviderServer]) -> None:
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world))
    walk_to_cloud(qtbot, wizard)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    world.servers.healthy.play("openai-chat", "rate_limited")
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    rows = tree_rows(wizard.finish_page.results)
    assert rows["DeepSeek"][2] == "Rate limited right now"
    assert rows["Claude Code's current provider"][2] == "Rate limited right now", "same server, same /v1/models"
    assert "1 of 4 providers work right now" in wizard.finish_page.summary.text(), "only Ollama answers"
    finish(qtbot, wizard)
    assert "deepseek" in load_store().providers
    assert keyring.get_keyring().get_password("switchover", "deepseek") == GOOD_KEY
