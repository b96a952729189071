"""The gateway inside the app: on while Settings say so, standing by while another gateway runs, its
requests' outcomes reaching the health view, and a switch from the app re-routing a gateway tool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from switchover.core.store import edit_store, load_store
from switchover.gateway.token import ensure_token
from switchover.services.gateway_routes import route_choices
from tests.e2e.standin import StandinProvider
from tests.support.cli import run_switchover
from tests.support.gateway import free_port, gateway_process, write_gateway_port

WAIT_MS = 20_000


def setup_world(home: Path, standin: StandinProvider, other: StandinProvider) -> int:
    port = free_port()
    write_gateway_port(port)
    for provider in (standin, other):
        added = run_switchover(["provider", "add", provider.name, "--anthropic-url", provider.url,
                                "--model", provider.state.models[0], "--no-key"])
        assert added.returncode == 0, added.stderr
    used = run_switchover(["use", f"{standin.name}/{standin.state.models[0]}", "--tool", "claude-code",
                           "--via-gateway"])
    assert used.returncode == 0, used.stdout + used.stderr
    return port


def enable(controller: Any, qtbot: Any, on: bool = True) -> None:
    with edit_store() as store:
        store.section("gateway")["enabled"] = on
    with qtbot.waitSignal(controller.state.store_changed, timeout=WAIT_MS):
        controller.state.reload()


def test_the_app_runs_the_gateway_when_enabled(controller: Any, qtbot: Any, isolated_home: Path) -> None:
    with StandinProvider("alpha", models=("model-a",)) as alpha, StandinProvider("bravo", models=("model-b",)) as bravo:
        port = setup_world(isolated_home, alpha, bravo)
        with qtbot.waitSignal(controller.gateway.status_changed, timeout=WAIT_MS) as started:
            enable(controller, qtbot)
        assert started.args[0] == f"Listening on http://127.0.0.1:{port} (in this app)."
        with qtbot.waitSignal(controller.gateway.results_arrived, timeout=WAIT_MS) as evidence:
            answer = httpx.post(f"http://127.0.0.1:{port}/claude-code/v1/messages",
                                json={"model": "switchover-main", "max_tokens": 8,
                                      "messages": [{"role": "user", "content": "hi"}]},
                                headers={"x-api-key": ensure_token()}, timeout=30, trust_env=False)
        assert answer.json()["content"][0]["text"] == alpha.reply
        assert [(r.provider, r.status.value) for r in evidence.args[0]] == [("alpha", "ok")]
        qtbot.waitUntil(lambda: "alpha/anthropic" in controller.health.latest, timeout=WAIT_MS)

        settings = isolated_home / ".claude" / "settings.json"
        before = settings.read_bytes()
        with qtbot.waitSignal(controller.tools.switched, timeout=WAIT_MS) as switched:
            controller.tools.switch(load_store().get("bravo"), "model-b", ["claude-code"])
        outcome = switched.args[0].outcomes[0]
        assert outcome.status == "switched" and "re-routed inside the gateway" in outcome.message
        assert settings.read_bytes() == before
        assert route_choices(load_store())["claude-code"].provider == "bravo"

        def row_text() -> str:
            return next((r.describe() for r in controller.tools.rows if r.tool == "claude-code"), "")

        qtbot.waitUntil(lambda: row_text() == "via gateway → bravo · model-b", timeout=WAIT_MS)  # the Tools page
        from PySide6.QtWidgets import QMenu

        from switchover.gateway.requestlog import read_records
        from switchover.ui.tray_menu import ToolMenus

        # the request log is written off the event loop, in batches: once it is on disk, read it once more
        qtbot.waitUntil(lambda: any(r.provider == "alpha" for r in read_records()), timeout=WAIT_MS)
        controller.tools.refresh()
        qtbot.waitUntil(lambda: any(r.last_served for r in controller.tools.rows), timeout=WAIT_MS)
        menu = QMenu()
        ToolMenus(controller).fill(menu)
        title = next(a.text() for a in menu.actions() if a.text().startswith("Claude Code"))
        assert title.endswith("(last request: alpha/model-a)"), title  # the tray says who served it last
        with qtbot.waitSignal(controller.gateway.status_changed, timeout=WAIT_MS) as stopped:
            enable(controller, qtbot, on=False)
        assert stopped.args[0] == "The gateway is off."
        assert json.loads(run_switchover(["gateway", "status", "--json"]).stdout)["running"] is False


def test_the_app_stands_by_while_another_gateway_runs(controller: Any, qtbot: Any, isolated_home: Path) -> None:
    with StandinProvider("alpha", models=("model-a",)) as alpha, StandinProvider("bravo", models=("model-b",)) as bravo:
        port = setup_world(isolated_home, alpha, bravo)
        with gateway_process(), qtbot.waitSignal(controller.gateway.status_changed, timeout=WAIT_MS) as status:
            enable(controller, qtbot)
        assert status.args[0].startswith(f"Standing by: another Switchover gateway serves at http://127.0.0.1:{port}")
        assert controller.gateway.thread is None
