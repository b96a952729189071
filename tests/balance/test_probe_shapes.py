"""Balance probes against real local servers answering each provider's documented JSON shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from switchover.core.balance.checks import check_providers, plan
from switchover.core.balance.history import BalanceHistory
from switchover.core.balance.results import NO_BALANCE_API, BalanceStatus
from switchover.core.balance.settings import settings_from_table
from switchover.core.catalog import default_catalog
from switchover.core.health.http import HttpLimits
from switchover.core.health.runner import CheckOptions
from switchover.core.providers import Credential
from switchover.core.store import Store
from tests.balance.shapes import (
    KEY,
    OPENROUTER_CREDITS,
    OPENROUTER_KEY_UNLIMITED,
    PATHS,
    serve,
    standin_provider,
)
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]
FAST = CheckOptions(limits=HttpLimits(connect_timeout_s=2, read_timeout_s=2, total_timeout_s=3), trust_env=False)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALANCE_TEST_KEY", KEY)


def _check(store: Store, *names: str, options: CheckOptions = FAST) -> list[Any]:
    providers = [store.providers[n] for n in names] if names else list(store.providers.values())
    return check_providers(providers, store, options=options, history=BalanceHistory())


def _store(*providers: Any, balance: dict[str, Any] | None = None) -> Store:
    store = Store()
    for provider in providers:
        store.add(provider)
    if balance is not None:
        store.sections["balance"] = balance
    return store


def test_deepseek_documented_answer(provider_server: Server) -> None:
    server = serve(provider_server(), "deepseek")
    [result] = _check(_store(standin_provider("deepseek", server)))
    assert result.status is BalanceStatus.OK
    assert (result.amount, result.currency) == (110.0, "CNY")
    assert dict(result.parts) == {"granted_balance": 10.0, "topped_up_balance": 100.0}
    assert result.api == "deepseek" and result.http_status == 200 and result.url == server.url + "/user/balance"
    [request] = server.requests_to("/user/balance")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in repr(result.to_json())


def test_deepseek_numbers_several_currencies_and_not_available(provider_server: Server) -> None:
    server = serve(provider_server(), "deepseek", {
        "is_available": True,
        "balance_infos": [{"currency": "CNY", "total_balance": 0, "granted_balance": 0, "topped_up_balance": 0},
                          {"currency": "USD", "total_balance": 12.5, "granted_balance": 0, "topped_up_balance": 12.5}],
    })
    store = _store(standin_provider("deepseek", server))
    [result] = _check(store)
    assert (result.status, result.amount, result.currency) == (BalanceStatus.OK, 12.5, "USD")
    server.on("GET", "/user/balance", Reply.json({"is_available": False, "balance_infos": [
        {"currency": "USD", "total_balance": "3.00", "granted_balance": "3.00", "topped_up_balance": "0.00"}]}))
    [result] = _check(store)
    assert result.status is BalanceStatus.EMPTY and result.amount == 3.0
    assert "cannot pay for API calls" in result.reason


def test_deepseek_zero_is_empty(provider_server: Server) -> None:
    server = serve(provider_server(), "deepseek", {"is_available": True, "balance_infos": [
        {"currency": "CNY", "total_balance": "0.00", "granted_balance": "0.00", "topped_up_balance": "0.00"}]})
    [result] = _check(_store(standin_provider("deepseek", server)))
    assert result.status is BalanceStatus.EMPTY and result.amount == 0.0 and "402" in result.reason


@pytest.mark.parametrize(("preset", "currency"), [("moonshot", "USD"), ("moonshot-cn", "CNY")])
def test_moonshot_intl_and_cn(provider_server: Server, preset: str, currency: str) -> None:
    server = serve(provider_server(), preset)
    provider = standin_provider(preset, server)
    # The stand-in is not api.moonshot.ai/.cn, so the currency the host implies is named in the store.
    store = _store(provider, balance={"providers": {preset: {"currency": currency}}})
    [result] = _check(store)
    assert (result.status, result.amount, result.currency) == (BalanceStatus.OK, 49.58894, currency)
    assert dict(result.parts) == {"voucher_balance": 46.58893, "cash_balance": 3.00001}
    assert server.requests_to("/v1/users/me/balance")[0].headers["authorization"] == f"Bearer {KEY}"


def test_moonshot_currency_follows_the_real_host() -> None:
    catalog = default_catalog()
    for preset, currency in (("moonshot", "USD"), ("moonshot-cn", "CNY"), ("siliconflow", "CNY"),
                             ("openrouter", "USD"), ("deepseek", None)):
        target = plan(catalog.get(preset).to_provider(preset), settings_from_table({}), catalog).target
        assert target is not None and target.currency == currency, preset
        assert target.url == catalog.get(preset).balance.url  # type: ignore[union-attr]


def test_moonshot_debt_and_empty(provider_server: Server) -> None:
    server = serve(provider_server(), "moonshot", {
        "code": 0, "scode": "0x0", "status": True,
        "data": {"available_balance": 0, "voucher_balance": 0, "cash_balance": -1.25}})
    [result] = _check(_store(standin_provider("moonshot", server)))
    assert result.status is BalanceStatus.EMPTY
    assert "owes money" in result.reason and "refused" in result.reason


def test_openrouter_key_limit_and_credits_need_management_key(provider_server: Server) -> None:
    server = serve(provider_server(), "openrouter")
    server.on("GET", "/api/v1/credits", Reply.json({"error": {"code": 403, "message": "Management key required"}},
                                                   status=403))
    [result] = _check(_store(standin_provider("openrouter", server)))
    assert (result.status, result.amount, result.currency) == (BalanceStatus.OK, 74.5, "USD")
    assert "left of the key's credit limit of 100.00" in result.reason and "resets monthly" in result.reason
    assert dict(result.parts)["limit"] == 100.0
    assert [r.path for r in server.requests] == ["/api/v1/key", "/api/v1/credits"]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in server.requests)


def test_openrouter_unlimited_key_uses_account_credits(provider_server: Server) -> None:
    server = serve(provider_server(), "openrouter", OPENROUTER_KEY_UNLIMITED)
    server.on("GET", "/api/v1/credits", Reply.json(OPENROUTER_CREDITS))
    [result] = _check(_store(standin_provider("openrouter", server)))
    assert result.status is BalanceStatus.OK and result.amount == pytest.approx(74.75)
    assert "of account credits left" in result.reason


def test_openrouter_unlimited_key_without_credits_is_unavailable(provider_server: Server) -> None:
    server = serve(provider_server(), "openrouter", OPENROUTER_KEY_UNLIMITED)
    server.on("GET", "/api/v1/credits", Reply.json({"error": {"message": "Unauthorized"}}, status=401))
    [result] = _check(_store(standin_provider("openrouter", server)))
    assert result.status is BalanceStatus.UNAVAILABLE and result.amount is None and result.supported
    assert "no credit limit" in result.reason and "management key" in result.reason


def test_openrouter_key_limit_used_up(provider_server: Server) -> None:
    used = {"data": {"limit": 5, "limit_remaining": 0, "limit_reset": None, "usage": 5, "is_free_tier": False}}
    server = serve(provider_server(), "openrouter", used)
    server.on("GET", "/api/v1/credits", Reply.json(OPENROUTER_CREDITS))
    [result] = _check(_store(standin_provider("openrouter", server)))
    assert result.status is BalanceStatus.EMPTY and result.amount == 0.0 and "402" in result.reason


def test_siliconflow_documented_answer(provider_server: Server) -> None:
    server = serve(provider_server(), "siliconflow")
    store = _store(standin_provider("siliconflow", server), balance={"providers": {"siliconflow": {"currency": "CNY"}}})
    [result] = _check(store)
    assert (result.status, result.amount, result.currency) == (BalanceStatus.OK, 88.88, "CNY")
    assert dict(result.parts) == {"balance": 0.88, "chargeBalance": 88.0}


def test_providers_without_a_balance_api_say_so(provider_server: Server) -> None:
    server = provider_server()
    zai = standin_provider("zai", server)
    local = default_catalog().get("ollama").to_provider("ollama", credential=Credential.none())
    results = _check(_store(zai, local))
    assert [(r.provider, r.status, r.supported) for r in results] == [
        ("zai", BalanceStatus.UNAVAILABLE, False), ("ollama", BalanceStatus.UNAVAILABLE, False)]
    assert results[0].reason == NO_BALANCE_API
    assert "local" in results[1].reason
    assert server.requests == []  # nothing was asked


def test_all_four_apis_concurrently_in_input_order(provider_server: Server) -> None:
    servers = {p: serve(provider_server(), p) for p in ("deepseek", "moonshot", "openrouter", "siliconflow")}
    servers["openrouter"].on("GET", "/api/v1/credits", Reply.json(OPENROUTER_CREDITS))
    store = _store(*(standin_provider(p, s) for p, s in servers.items()))
    results = _check(store)
    assert [(r.provider, r.status.value) for r in results] == [
        ("deepseek", "ok"), ("moonshot", "ok"), ("openrouter", "ok"), ("siliconflow", "ok")]
    for preset, server in servers.items():
        assert server.requests_to(PATHS[preset]), preset
