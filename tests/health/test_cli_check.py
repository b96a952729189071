"""`switchover check` and `switchover discover`, run for real in subprocesses against local servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from switchover.core.health.history import HealthHistory
from switchover.core.providers import AuthStyle, Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
from tests.health.helpers import KEY, MODEL
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]
JSON_FIELDS = {"provider", "protocol", "url", "status", "reason", "latency_ms", "http_status", "models", "tier",
               "error_code", "retry_after_s", "checked_at"}


def _add(name: str, protocol: Protocol, url: str, credential: Credential, models: tuple[str, ...] = (MODEL,)) -> None:
    auth = AuthStyle.NONE if credential.kind == "none" else None
    with edit_store() as store:
        store.add(Provider(name, (Endpoint.make(protocol, url, auth),), models=models, credential=credential))


@pytest.fixture
def two_providers(provider_server: Server, monkeypatch: pytest.MonkeyPatch) -> tuple[ProviderServer, ProviderServer]:
    good = provider_server().play("openai-chat", "ok")
    blocked = provider_server().play("anthropic", "region_blocked")
    monkeypatch.setenv("BLOCKED_KEY", KEY)
    _add("good", Protocol.OPENAI_CHAT, good.base_url("openai-chat"), Credential.none())
    _add("blocked", Protocol.ANTHROPIC, blocked.url, Credential.env("BLOCKED_KEY"))
    return good, blocked


def test_check_json_all_providers(cli: Any, two_providers: tuple[ProviderServer, ProviderServer]) -> None:
    _, blocked = two_providers
    run = cli(["check", "--json"])
    assert run.returncode == 1, run.stderr
    rows = json.loads(run.stdout)
    assert [r["provider"] for r in rows] == ["good", "blocked"]
    assert all(row.keys() >= JSON_FIELDS for row in rows)
    good, bad = rows
    assert good["status"] == "ok" and good["http_status"] == 200 and good["models"] == [MODEL]
    assert good["tier"] == "auth" and good["latency_ms"] > 0 and good["url"].endswith("/v1/models")
    assert bad["status"] == "region_blocked" and bad["http_status"] == 403 and bad["protocol"] == "anthropic"
    assert "region" in bad["reason"]
    assert blocked.requests[0].headers["x-api-key"] == KEY  # the env key was used...
    assert KEY not in run.stdout + run.stderr  # ...and never printed


def test_check_named_healthy_provider_exits_zero(cli: Any, two_providers: Any) -> None:
    run = cli(["check", "good", "--json"])
    assert run.returncode == 0, run.stderr
    assert [r["status"] for r in json.loads(run.stdout)] == ["ok"]


def test_check_records_history(cli: Any, two_providers: Any) -> None:
    assert cli(["check", "--json"]).returncode == 1
    assert cli(["check", "good", "--tier", "reach", "--json"]).returncode == 0
    history = HealthHistory()
    assert [r.tier.value for r in history.results("good/openai-chat")] == ["auth", "reach"]
    assert [r.status.value for r in history.results("blocked/anthropic")] == ["region_blocked"]
    assert history.summary("good/openai-chat").uptime_pct == 100.0


def test_check_table_output(cli: Any, two_providers: Any) -> None:
    run = cli(["check"])
    assert run.returncode == 1
    header, *lines = run.stdout.splitlines()
    assert header.split()[:5] == ["PROVIDER", "PROTOCOL", "STATUS", "LATENCY", "HTTP"]
    # People read the vocabulary's labels; `--json` keeps the codes (test above).
    assert lines[0].split()[:3] == ["good", "openai-chat", "Works"]
    assert lines[1].split()[:5] == ["blocked", "anthropic", "Blocked", "in", "your"]


def test_check_timeout_flag_bounds_a_stalled_endpoint(cli: Any, provider_server: Server) -> None:
    stalled = provider_server().on_any(Reply.stalled())
    _add("stuck", Protocol.OPENAI_CHAT, stalled.base_url("openai-chat"), Credential.none())
    run = cli(["check", "--json", "--timeout", "1"], timeout=20)
    assert run.returncode == 1
    row = json.loads(run.stdout)[0]
    assert row["status"] == "timeout" and row["http_status"] is None


def test_check_missing_key_and_unknown_name(cli: Any, provider_server: Server) -> None:
    server = provider_server().play("openai-chat", "ok")
    _add("nokey", Protocol.OPENAI_CHAT, server.base_url("openai-chat"), Credential.env("UNSET_KEY_VAR"))
    run = cli(["check", "--json"])
    assert run.returncode == 1
    row = json.loads(run.stdout)[0]
    assert row["status"] == "auth_failed" and "UNSET_KEY_VAR" in row["reason"]
    assert server.requests == []
    unknown = cli(["check", "nosuch"])
    assert unknown.returncode == 1 and "nosuch" in unknown.stderr


def test_check_without_providers(cli: Any) -> None:
    run = cli(["check"])
    assert run.returncode == 1 and "No providers configured" in run.stderr


def test_discover_json_finds_a_server_on_an_extra_port(cli: Any, provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/api/version", Reply.json({"version": "0.12.6"}))
    server.on("GET", "/api/tags", Reply.json({"models": [{"name": "llama3:latest"}]}))
    run = cli(["discover", "--json", "--port", str(server.port)])
    assert run.returncode == 0, run.stderr
    mine = [s for s in json.loads(run.stdout) if s["port"] == server.port]
    assert mine == [{"kind": "ollama", "label": "Ollama (local)", "url": f"http://127.0.0.1:{server.port}",
                     "port": server.port, "version": "0.12.6", "models": ["llama3:latest"], "notes": [],
                     "preset": "ollama"}]
    text = cli(["discover", "--port", str(server.port)])
    assert "Ollama (local)" in text.stdout and f"--ollama-url http://127.0.0.1:{server.port}" in text.stdout


def test_check_max_parallel_is_bounded_and_used(cli: Any, two_providers: Any) -> None:
    run = cli(["check", "--json", "--max-parallel", "1"])
    assert sorted(r["status"] for r in json.loads(run.stdout)) == ["ok", "region_blocked"]
    for bad in ("0", "1001", "many"):
        refused = cli(["check", "--max-parallel", bad])
        assert refused.returncode == 2 and "must be a whole number from 1 to 1000" in refused.stderr
