"""`switchover balance`, run for real in subprocesses against local stand-ins of each balance API."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from switchover.core.catalog import default_catalog
from switchover.core.providers import Credential
from switchover.core.store import edit_store, load_store
from tests.balance.shapes import KEY, OPENROUTER_CREDITS, add_to_store, serve, standin_provider
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]


@pytest.fixture
def standins(provider_server: Server, monkeypatch: pytest.MonkeyPatch) -> dict[str, ProviderServer]:
    monkeypatch.setenv("BALANCE_TEST_KEY", KEY)
    servers = {p: serve(provider_server(), p) for p in ("deepseek", "moonshot", "openrouter", "siliconflow")}
    servers["openrouter"].on("GET", "/api/v1/credits", Reply.json(OPENROUTER_CREDITS))
    add_to_store(*(standin_provider(p, s) for p, s in servers.items()),
                 standin_provider("zai", provider_server()),
                 default_catalog().get("ollama").to_provider("ollama", credential=Credential.none()))
    with edit_store() as store:
        store.sections["balance"] = {"providers": {"moonshot": {"currency": "USD"}, "siliconflow": {"currency": "CNY"}}}
    return servers


def test_balance_json(cli: Any, standins: dict[str, ProviderServer]) -> None:
    run = cli(["balance", "--json"])
    assert run.returncode == 0, run.stderr
    rows = {r["provider"]: r for r in json.loads(run.stdout)}
    assert {name: (r["status"], r["amount"], r["currency"]) for name, r in rows.items()} == {
        "deepseek": ("ok", 110.0, "CNY"),
        "moonshot": ("ok", 49.58894, "USD"),
        "openrouter": ("ok", 74.5, "USD"),
        "siliconflow": ("ok", 88.88, "CNY"),
        "zai": ("unavailable", None, None),
        "ollama": ("unavailable", None, None),
    }
    assert rows["zai"]["reason"] == "no balance API; spend counted from requests" and not rows["zai"]["supported"]
    assert rows["openrouter"]["parts"]["credits_remaining"] == pytest.approx(74.75)
    assert rows["deepseek"]["label"] == "DeepSeek" and rows["deepseek"]["forecast"] is None
    assert KEY not in run.stdout + run.stderr


def test_balance_table_and_threshold(cli: Any, standins: dict[str, ProviderServer]) -> None:
    set_low = cli(["balance", "deepseek", "--low-below", "150"])
    assert set_low.returncode == 0, set_low.stderr
    assert "below 150" in set_low.stdout
    assert load_store().sections["balance"]["providers"]["deepseek"]["low_below"] == 150.0
    run = cli(["balance", "deepseek", "zai"])
    assert run.returncode == 1  # a low balance is worth a non-zero exit for scripts
    header, deepseek, zai = run.stdout.splitlines()
    assert header.split() == ["PROVIDER", "STATUS", "BALANCE", "LOW", "BELOW", "WHY"]
    assert deepseek.split()[:4] == ["deepseek", "low", "¥110.00", "¥150.00"]
    assert zai.split()[:3] == ["zai", "unavailable", "-"] and "no balance API" in zai
    assert cli(["balance", "deepseek", "--low-below", "off"]).returncode == 0
    assert cli(["balance", "deepseek"]).returncode == 0


def test_balance_failure_exit_code_and_unknown_provider(cli: Any, standins: dict[str, ProviderServer]) -> None:
    standins["deepseek"].on("GET", "/user/balance", Reply.json({"error": {"message": "bad key"}}, status=401))
    run = cli(["balance", "deepseek", "--json"])
    assert run.returncode == 1
    assert json.loads(run.stdout)[0]["status"] == "auth_failed"
    unknown = cli(["balance", "nobody"])
    assert unknown.returncode == 1 and "No provider named 'nobody'" in unknown.stderr
    bad = cli(["balance", "deepseek", "--low-below", "lots"])
    assert bad.returncode == 2 and "amount" in bad.stderr
