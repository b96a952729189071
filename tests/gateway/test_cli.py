"""`switchover gateway` and `switchover use --via-gateway/--direct`, run for real: the CLI in subprocesses,
the gateway as a foreground process, stand-in providers on loopback, Claude Code's settings file as the
tool config (its target is pure file editing, so no real binary is needed here; tests/e2e runs the tools)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchover.core import paths
from tests.e2e.standin import StandinProvider
from tests.support.cli import REPO_ROOT, run_switchover
from tests.support.gateway import free_port, gateway_process, write_gateway_port

KEY_A = "sk-alpha-0000000000001111"
KEY_B = "sk-bravo-0000000000002222"


def claude_settings(home: Path) -> Path:
    return home / ".claude" / "settings.json"


@pytest.fixture
def world(isolated_home: Path) -> Iterator[tuple[StandinProvider, StandinProvider, int]]:
    """Two providers (alpha, bravo) on stand-ins, a default chain alpha → bravo, the gateway's port chosen."""
    port = free_port()
    write_gateway_port(port)
    claude_settings(isolated_home).parent.mkdir(parents=True)
    claude_settings(isolated_home).write_text('{\n  "model": "sonnet"\n}\n')
    with StandinProvider("alpha", key=KEY_A, models=("model-a",)) as alpha, \
            StandinProvider("bravo", key=KEY_B, models=("model-b",)) as bravo:
        for standin, key in ((alpha, KEY_A), (bravo, KEY_B)):
            added = run_switchover(["provider", "add", standin.name, "--anthropic-url", standin.url, "--openai-url",
                                    standin.url + "/v1", "--model", standin.state.models[0], "--key-stdin"],
                                   input=key + "\n")
            assert added.returncode == 0, added.stderr
        chain = run_switchover(["chain", "set", "default", "alpha/model-a", "bravo/model-b"])
        assert chain.returncode == 0, chain.stderr
        yield alpha, bravo, port


def ask(port: int, token: str, tool: str = "claude-code") -> httpx.Response:
    body = {"model": "switchover-main", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
    return httpx.post(f"http://127.0.0.1:{port}/{tool}/v1/messages", json=body,
                      headers={"x-api-key": token, "anthropic-version": "2023-06-01"}, timeout=30, trust_env=False)


def test_token_is_private_stable_and_rotatable(isolated_home: Path) -> None:
    first = run_switchover(["gateway", "token"])
    again = run_switchover(["gateway", "token"])
    where = run_switchover(["gateway", "token", "--path"]).stdout.strip()
    assert first.returncode == 0 and first.stdout == again.stdout and first.stdout.startswith("swo-gw-")
    assert stat.S_IMODE(Path(where).stat().st_mode) == 0o600
    rotated = run_switchover(["gateway", "token", "--rotate"]).stdout
    assert rotated != first.stdout and Path(where).read_text() == rotated.strip()
    Path(where).chmod(0o644)
    refused = run_switchover(["gateway", "token"])
    assert refused.returncode != 0 and "can be read by other users" in refused.stderr


def test_use_via_gateway_then_reroute_then_direct(world: tuple[StandinProvider, StandinProvider, int],
                                                  isolated_home: Path) -> None:
    alpha, bravo, port = world
    settings = claude_settings(isolated_home)
    via = run_switchover(["use", "alpha/model-a", "--tool", "claude-code", "--via-gateway", "--json"])
    assert via.returncode == 0, via.stderr + via.stdout
    report: dict[str, Any] = json.loads(via.stdout)
    assert report["mode"] == "via" and report["gateway"] == {"url": f"http://127.0.0.1:{port}", "running": False}
    config = json.loads(settings.read_text())
    assert config["env"]["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{port}/claude-code"
    assert config["env"]["ANTHROPIC_MODEL"] == "switchover-main"
    assert config["apiKeyHelper"].endswith("gateway token")
    assert KEY_A not in settings.read_text()  # the tool holds no provider key
    helper = subprocess.run(config["apiKeyHelper"], shell=True, capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": REPO_ROOT})
    token = helper.stdout.strip()
    assert helper.returncode == 0 and token.startswith("swo-gw-")

    with gateway_process():
        assert ask(port, token).json()["content"][0]["text"] == alpha.reply
        before = settings.read_bytes()
        reroute = run_switchover(["use", "bravo/model-b", "--tool", "claude-code"])
        assert reroute.returncode == 0, reroute.stderr
        assert "re-routed inside the gateway" in reroute.stdout
        assert settings.read_bytes() == before  # the tool's file is not touched
        assert ask(port, token).json()["content"][0]["text"] == bravo.reply  # the very next request moved
        status = run_switchover(["gateway", "status", "--json"])
        live = json.loads(status.stdout)
        assert live["running"] is True
        row = next(r for r in live["routes"] if r["tool"] == "claude-code")
        assert row["via_gateway"] and row["choice"] == "bravo/model-b" and row["serving"] == "bravo/model-b"
        assert row["last_request"]["provider"] == "bravo"
        second = run_switchover(["gateway"])
        assert second.returncode != 0 and "already running" in second.stderr
    log = json.loads(run_switchover(["gateway", "log", "--json"]).stdout)
    assert [(r["provider"], r["outcome"]) for r in log] == [("alpha", "ok"), ("bravo", "ok")]
    assert all(token not in json.dumps(r) and KEY_A not in json.dumps(r) for r in log)
    usage = json.loads(run_switchover(["gateway", "log", "--usage", "--json"]).stdout)
    assert {(r["provider"], r["requests"], r["output_tokens"]) for r in usage} == {("alpha", 1, 5), ("bravo", 1, 5)}

    direct = run_switchover(["use", "bravo/model-b", "--tool", "claude-code", "--direct"])
    assert direct.returncode == 0, direct.stderr
    config = json.loads(settings.read_text())
    assert config["env"]["ANTHROPIC_BASE_URL"] == bravo.url
    assert "gateway" not in config["apiKeyHelper"]
    assert not json.loads(run_switchover(["gateway", "status", "--json"]).stdout)["routes"][0]["via_gateway"]


def test_a_region_block_mid_session_is_served_by_the_fallback(world: tuple[StandinProvider, StandinProvider, int],
                                                              isolated_home: Path) -> None:
    alpha, bravo, port = world
    assert run_switchover(["use", "alpha/model-a", "--tool", "claude-code", "--via-gateway"]).returncode == 0
    token = run_switchover(["gateway", "token"]).stdout.strip()
    with gateway_process():
        assert ask(port, token).json()["content"][0]["text"] == alpha.reply
        alpha.state.fail = (403, {"error": {"type": "forbidden", "message": "Request not allowed"}})
        answers = [ask(port, token) for _ in range(3)]
    assert [a.json()["content"][0]["text"] for a in answers] == [bravo.reply] * 3
    assert len(alpha.model_requests()) == 2  # one failure, then the breaker skips alpha
    from switchover.core.health.history import HealthHistory

    statuses = [r.status.value for r in HealthHistory(paths.data_dir() / "health").results("alpha/anthropic")]
    assert "region_blocked" in statuses  # the request outcome is health evidence, in the same history


def test_status_when_not_running(world: tuple[StandinProvider, StandinProvider, int]) -> None:
    _, _, port = world
    status = run_switchover(["gateway", "status"])
    assert status.returncode == 0
    assert f"not running (it would listen on http://127.0.0.1:{port})" in status.stdout
    quiet = run_switchover(["gateway", "log"])
    assert "No requests through the gateway yet." in quiet.stdout
    started = time.monotonic()
    assert run_switchover(["gateway", "token"]).returncode == 0
    assert time.monotonic() - started < 30


def routes_now() -> dict[str, str | None]:
    status = json.loads(run_switchover(["gateway", "status", "--json"]).stdout)
    return {r["tool"]: r["choice"] for r in status["routes"] if r["tool"] in ("claude-code", "codex")}


def history() -> list[dict[str, Any]]:
    return list(json.loads(run_switchover(["history", "--json"]).stdout))


def test_undo_takes_back_gateway_reroutes_and_a_multi_tool_switch_is_one_entry(
        world: tuple[StandinProvider, StandinProvider, int], isolated_home: Path) -> None:
    settings = claude_settings(isolated_home)
    original = settings.read_bytes()
    via = run_switchover(["use", "alpha/model-a", "--tool", "claude-code", "--tool", "codex", "--via-gateway"])
    assert via.returncode == 0, via.stderr + via.stdout
    [entry] = history()
    assert entry["tools"] == ["claude-code", "codex"]
    assert {f["tool"] for f in entry["files"]} == {"claude-code", "codex"}
    assert [(r["tool"], r["before"], r["after"]["provider"]) for r in entry["routes"]] == [
        ("claude-code", None, "alpha"), ("codex", None, "alpha")]
    assert routes_now() == {"claude-code": "alpha/model-a", "codex": "alpha/model-a"}
    pointed = settings.read_bytes()

    rerouted = run_switchover(["use", "bravo/model-b", "--tool", "claude-code", "--tool", "codex"])
    assert rerouted.returncode == 0 and rerouted.stdout.count("re-routed inside the gateway") == 2, rerouted.stdout
    assert routes_now() == {"claude-code": "bravo/model-b", "codex": "bravo/model-b"}
    newest = history()[0]
    assert newest["files"] == [] and [r["tool"] for r in newest["routes"]] == ["claude-code", "codex"]

    undo = run_switchover(["undo"])
    assert undo.returncode == 0, undo.stderr
    assert "Gateway routes put back" in undo.stdout and "claude-code, codex" in undo.stdout
    assert routes_now() == {"claude-code": "alpha/model-a", "codex": "alpha/model-a"}
    assert settings.read_bytes() == pointed  # a re-route never touched the files; its undo does not either

    undo = run_switchover(["undo", "--json"])
    assert undo.returncode == 0, undo.stderr
    report = json.loads(undo.stdout)
    assert report["undid"] == entry["id"] and report["routes"] == ["claude-code", "codex"]
    assert report["routes_kept"] == []
    assert settings.read_bytes() == original  # one undo takes back both tools' files and both routes
    assert routes_now() == {"claude-code": None, "codex": None}


def test_undo_leaves_a_route_that_changed_again_since(world: tuple[StandinProvider, StandinProvider, int],
                                                      isolated_home: Path) -> None:
    assert run_switchover(["use", "alpha/model-a", "--tool", "claude-code", "--via-gateway"]).returncode == 0
    assert run_switchover(["use", "bravo/model-b", "--tool", "claude-code"]).returncode == 0
    from switchover.core.store import edit_store
    from switchover.gateway.routing import RouteChoice
    from switchover.services.gateway_routes import set_route_choice

    with edit_store() as store:  # e.g. the user's edit, or the app's failover without the journal
        set_route_choice(store, "claude-code", RouteChoice("alpha", "model-a"))
    undo = run_switchover(["undo", "--json"])
    assert undo.returncode == 0, undo.stderr
    assert json.loads(undo.stdout)["routes_kept"] == ["claude-code (its route was changed again since; left as it is)"]
    assert routes_now()["claude-code"] == "alpha/model-a"


def test_a_shell_openai_key_is_flagged_when_qwen_code_goes_through_the_gateway(
        world: tuple[StandinProvider, StandinProvider, int], isolated_home: Path) -> None:
    """Qwen Code's OPENAI_API_KEY shortcut wins over the gateway token Switchover writes for it: the tool would
    send the user's own key to the gateway and be refused. Both the switch to the route and a later re-route
    say so, and where the variable is set."""
    (isolated_home / ".qwen").mkdir()
    (isolated_home / ".bashrc").write_text("export OPENAI_API_KEY=sk-users-own-0000000000009999\n")
    env = {**os.environ, "OPENAI_API_KEY": "sk-users-own-0000000000009999"}
    via = run_switchover(["use", "alpha/model-a", "--tool", "qwen-code", "--via-gateway"], env=env)
    assert via.returncode == 0, via.stderr + via.stdout
    assert "Qwen Code: $OPENAI_API_KEY is set in" in via.stderr and "wins over what Switchover writes" in via.stderr
    assert "~/.bashrc line 1" in via.stderr and "sk-users-own" not in via.stderr + via.stdout
    rerouted = run_switchover(["use", "bravo/model-b", "--tool", "qwen-code"], env=env)
    assert rerouted.returncode == 0 and "re-routed inside the gateway" in rerouted.stdout, rerouted.stdout
    assert "$OPENAI_API_KEY is set in" in rerouted.stderr
    quiet = run_switchover(["use", "alpha/model-a", "--tool", "qwen-code"],
                           env={k: v for k, v in env.items() if k != "OPENAI_API_KEY"})
    assert quiet.returncode == 0 and "OPENAI_API_KEY" in quiet.stderr  # still in ~/.bashrc: still flagged
    (isolated_home / ".bashrc").write_text("# nothing exported\n")
    clean = run_switchover(["use", "bravo/model-b", "--tool", "qwen-code"],
                           env={k: v for k, v in env.items() if k != "OPENAI_API_KEY"})
    assert clean.returncode == 0 and "OPENAI_API_KEY" not in clean.stderr, clean.stderr


@pytest.mark.parametrize("value", ["²", "１２３４", "99999", "80", "-1", "80 80", "0x1f90", "\x1b]0;x\x07"])
def test_a_bad_port_variable_is_named_never_a_crash_nor_blamed_on_the_store(isolated_home: Path, value: str) -> None:
    """$SWITCHOVER_GATEWAY_PORT is input like any other: a value that is not a usable port is refused with the
    variable's name ('²' passed str.isdigit and crashed int(); a range error blamed switchover.toml)."""
    run = run_switchover(["gateway", "status"], env={**os.environ, "SWITCHOVER_GATEWAY_PORT": value})
    assert run.returncode != 0
    assert "$SWITCHOVER_GATEWAY_PORT" in run.stderr and "internal error" not in run.stderr
    assert "switchover.toml" not in run.stderr and "\x1b" not in run.stderr


def test_the_port_variable_is_used_when_the_store_names_none(isolated_home: Path) -> None:
    port = free_port()
    run = run_switchover(["gateway", "status", "--json"], env={**os.environ, "SWITCHOVER_GATEWAY_PORT": str(port)})
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["url"] == f"http://127.0.0.1:{port}"
