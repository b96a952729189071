"""One check schedule: the failover monitor's rounds feed the Health page and tray, and the app's own timer
checks only endpoints the monitor does not cover, so no endpoint is checked twice. "Check now" checks all.

The real monitor (thread) and real servers on 127.0.0.1; request counts on each server are the evidence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from switchover.core.failover.settings import FailoverSettings, Mode, save_settings
from switchover.core.health.history import HealthHistory
from switchover.core.health.probes import Probe
from switchover.core.health.results import Tier
from switchover.core.health.runner import check_many_sync
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry, edit_store, load_store
from tests.support.provider_server import ProviderServer

MODEL = "test-model"


@pytest.fixture
def servers(isolated_home: Path, provider_server: Callable[..., ProviderServer]) -> dict[str, ProviderServer]:
    found = {name: provider_server().play("anthropic", "ok", (MODEL,)) for name in ("primary", "backup", "spare")}
    with edit_store() as store:
        for name, server in found.items():
            store.add(Provider(name, (Endpoint.make(Protocol.ANTHROPIC, server.url),), (MODEL,),
                               credential=Credential.none(), label=name.title()))
        store.chains["claude-code"] = [ChainEntry("primary", MODEL), ChainEntry("backup", MODEL)]
        # one monitor round during the test: its interval is long
        save_settings(store, FailoverSettings(interval_s=3600, default_mode=Mode.SUGGEST))
        store.section("app")["check_interval_s"] = 300
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": found["primary"].url,
                                            "ANTHROPIC_MODEL": MODEL}}))
    return found


def counts(servers: dict[str, ProviderServer]) -> dict[str, int]:
    return {name: len(server.requests) for name, server in servers.items()}


def test_monitor_results_feed_health_and_the_timer_checks_only_the_rest(
    controller: Any, qtbot: Any, servers: dict[str, ProviderServer]
) -> None:
    health = controller.health
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    assert health.timer.isActive() and health.timer.interval() == 300_000
    page = controller.open_window("health").pages["health"]

    with qtbot.waitSignal(health.results_merged, timeout=15000) as merged:
        controller.failover.start()
    assert {r.endpoint_key for r in merged.args[0]} == {"primary/anthropic", "backup/anthropic"}
    assert set(health.latest) == {"primary/anthropic", "backup/anthropic"}
    primary_row = page.model.rows().index("primary/anthropic")
    assert page.model.index(primary_row, 1).data() == "Works", "the Health page shows the monitor's result"
    after_monitor = counts(servers)
    assert after_monitor["primary"] >= 1 and after_monitor["backup"] >= 1 and after_monitor["spare"] == 0

    with qtbot.waitSignal(health.check_finished, timeout=15000) as finished:
        health.timer.timeout.emit()  # the app's periodic check
    assert [r.endpoint_key for r in finished.args[0]] == ["spare/anthropic"]
    now = counts(servers)
    assert now["spare"] == 1, "the endpoint the monitor does not cover is checked"
    assert now["primary"] == after_monitor["primary"] and now["backup"] == after_monitor["backup"], \
        "endpoints the monitor just checked are not checked again"

    assert health.check_stale() is None, "everything is fresh: no run at all"
    assert counts(servers) == now

    with qtbot.waitSignal(health.check_finished, timeout=15000) as finished:
        health.check_now()  # "Check now": everything, at once
    assert len(finished.args[0]) == 3
    assert counts(servers) == {name: n + 1 for name, n in now.items()}


def test_timer_skips_endpoints_another_process_checked_recently(
    controller: Any, qtbot: Any, servers: dict[str, ProviderServer]
) -> None:
    """`switchover watch` in another process records to the shared history; the app reads it, not the network."""
    store = load_store()
    elsewhere = check_many_sync([Probe.from_provider(store.providers["primary"], None)], Tier.AUTH)
    HealthHistory().record(elsewhere)
    before = counts(servers)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    arrived: list[Any] = []
    controller.health.result_arrived.connect(arrived.append)
    with qtbot.waitSignal(controller.health.check_finished, timeout=15000) as finished:
        controller.health.check_stale()
    assert sorted(r.endpoint_key for r in finished.args[0]) == ["backup/anthropic", "spare/anthropic"]
    assert counts(servers) == {**before, "backup": before["backup"] + 1, "spare": before["spare"] + 1}
    assert controller.health.latest["primary/anthropic"].checked_at == elsewhere[0].checked_at, \
        "the other process's result is shown"
    assert {r.endpoint_key for r in arrived} == {"primary/anthropic", "backup/anthropic", "spare/anthropic"}


def test_startup_check_waits_for_the_monitors_first_round(
    controller: Any, qtbot: Any, servers: dict[str, ProviderServer]
) -> None:
    controller.state.store_changed.connect(controller._first_check)  # as `AppController.start` does
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    assert controller._startup_check_pending and controller.health.running is None, "waits for the monitor"
    with qtbot.waitSignal(controller.health.check_finished, timeout=15000) as finished:
        controller.failover.start()
    assert [r.endpoint_key for r in finished.args[0]] == ["spare/anthropic"]
    assert counts(servers)["spare"] == 1
    assert set(controller.health.latest) == {"primary/anthropic", "backup/anthropic", "spare/anthropic"}


def test_startup_check_is_immediate_when_failover_is_off(
    controller: Any, qtbot: Any, servers: dict[str, ProviderServer]
) -> None:
    with edit_store() as store:
        save_settings(store, FailoverSettings(default_mode=Mode.OFF))
    controller.state.store_changed.connect(controller._first_check)
    with qtbot.waitSignal(controller.health.check_finished, timeout=15000) as finished:
        controller.state.reload()
    assert len(finished.args[0]) == 3
    assert counts(servers) == {"primary": 1, "backup": 1, "spare": 1}


def test_checks_at_once_is_a_setting_the_app_checks_with(controller: Any, qtbot: Any) -> None:
    """Issue 16: `max_parallel` could not be set; the Settings page saves it and the app's checks use it."""
    from switchover.core.store import load_store

    page = controller.open_window("settings").pages["settings"]
    assert page.parallel_spin.value() == 512 and page.parallel_spin.maximum() == 1000
    page.parallel_spin.setValue(12)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        page.save_button.click()
    assert load_store().sections["app"]["max_parallel"] == 12
    assert controller.health.options_factory().max_parallel == 12
