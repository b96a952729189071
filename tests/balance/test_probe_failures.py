"""Balance probes when the answer is malformed, huge, slow, an error, a redirect, or nothing at all."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from switchover.core.balance.checks import check_providers
from switchover.core.balance.history import BalanceHistory
from switchover.core.balance.results import BalanceStatus
from switchover.core.health.http import HttpLimits
from switchover.core.health.runner import CheckOptions
from switchover.core.providers import Credential
from switchover.core.store import Store
from tests.balance.shapes import DEEPSEEK_OK, KEY, serve, standin_provider
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]
FAST = CheckOptions(limits=HttpLimits(connect_timeout_s=1, read_timeout_s=1, total_timeout_s=1.5), trust_env=False)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALANCE_TEST_KEY", KEY)


def _one(server: ProviderServer, reply: Reply | None = None, preset: str = "deepseek",
         balance: dict[str, Any] | None = None, credential: Credential | None = None) -> Any:
    if reply is not None:
        server.on("GET", "/user/balance", reply)
    store = Store()
    store.add(standin_provider(preset, server, credential=credential))
    if balance:
        store.sections["balance"] = balance
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=BalanceHistory())
    assert KEY not in repr(result.to_json())
    return result


@pytest.mark.parametrize(("reply", "status", "words"), [
    (Reply.text("{not json"), BalanceStatus.BAD_RESPONSE, "not valid JSON"),
    (Reply.json({"balance_infos": "lots"}), BalanceStatus.BAD_RESPONSE, "documented shape"),
    (Reply.json({"is_available": True, "balance_infos": [{"currency": "CNY", "total_balance": "a lot"}]}),
     BalanceStatus.BAD_RESPONSE, "not a number"),
    (Reply.json({"is_available": True, "balance_infos": [{"currency": "CNY", "total_balance": "NaN"}]}),
     BalanceStatus.BAD_RESPONSE, "finite"),
    (Reply.json([1, 2, 3]), BalanceStatus.BAD_RESPONSE, "not a JSON object"),
    # 100 000 levels: json.loads raises RecursionError (not ValueError); it must read as garbage, not crash
    (Reply.text("[" * 100_000 + "]" * 100_000), BalanceStatus.BAD_RESPONSE, "not valid JSON"),
    (Reply.html(), BalanceStatus.BAD_RESPONSE, "HTML page"),
    (Reply.huge(50 * 1024 * 1024), BalanceStatus.BAD_RESPONSE, "larger than"),
    (Reply.truncated(DEEPSEEK_OK, keep=20), BalanceStatus.BAD_RESPONSE, "cut off"),
    (Reply.json({"error": {"message": "Authentication Fails, Your api key is invalid", "type": "authentication_error"}},
                status=401), BalanceStatus.AUTH_FAILED, "rejected the API key"),
    (Reply.json({"error": {"message": "Insufficient Balance"}}, status=402), BalanceStatus.EMPTY, "out of credit"),
    (Reply.json({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "30"}),
     BalanceStatus.RATE_LIMITED, "rate-limiting"),
    (Reply.json({"error": {"message": "oops"}}, status=500), BalanceStatus.SERVER_ERROR, "HTTP 500"),
    (Reply.json({"error": {"message": "Server overloaded"}}, status=503), BalanceStatus.OVERLOADED, "overloaded"),
    (Reply.json({"error": {"message": "no route"}}, status=404), BalanceStatus.UNAVAILABLE, "does not serve"),
    (Reply.connection_reset(), BalanceStatus.UNREACHABLE, "reset"),
])
def test_failure_variants(provider_server: Server, reply: Reply, status: BalanceStatus, words: str) -> None:
    result = _one(provider_server(), reply)
    assert result.status is status, result.reason
    assert words in result.reason
    assert result.amount is None or status is BalanceStatus.EMPTY


def test_a_stalled_server_times_out_within_the_bound(provider_server: Server) -> None:
    started = time.monotonic()
    result = _one(provider_server(), Reply.stalled())
    assert result.status is BalanceStatus.TIMEOUT
    assert time.monotonic() - started < 5


def test_a_dripping_body_times_out(provider_server: Server) -> None:
    result = _one(provider_server(), Reply.drip(per_s=5, total=10_000))
    assert result.status is BalanceStatus.TIMEOUT


def test_a_slow_but_bounded_answer_is_read(provider_server: Server) -> None:
    result = _one(provider_server(), Reply.json(DEEPSEEK_OK, delay_s=0.4))
    assert result.status is BalanceStatus.OK and result.latency_ms is not None and result.latency_ms >= 400


def test_redirect_to_another_host_is_not_followed(provider_server: Server) -> None:
    elsewhere = serve(provider_server(), "deepseek")
    moved = elsewhere.url.replace("127.0.0.1", "localhost") + "/user/balance"
    result = _one(provider_server(), Reply.redirect(moved))
    assert result.status is BalanceStatus.BAD_RESPONSE and "never sends your key" in result.reason
    assert elsewhere.requests == []  # the key never reached the other host


def test_same_host_redirect_is_followed(provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/v2/balance", Reply.json(DEEPSEEK_OK))
    result = _one(server, Reply.redirect(server.url + "/v2/balance"))
    assert result.status is BalanceStatus.OK and result.amount == 110.0


def test_unreachable_provider(provider_server: Server) -> None:
    server = provider_server()
    store = Store()
    store.add(standin_provider("deepseek", server))
    server.close()
    [result] = check_providers(list(store.providers.values()), store, options=FAST, history=BalanceHistory())
    assert result.status is BalanceStatus.UNREACHABLE and "refused" in result.reason


def test_missing_key_is_named_without_asking(provider_server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server = provider_server()
    result = _one(server, credential=Credential.env("NOT_SET_ANYWHERE"))
    assert result.status is BalanceStatus.AUTH_FAILED and "No key" in result.reason
    assert server.requests == []


def test_override_to_another_host_is_refused(provider_server: Server) -> None:
    server, other = provider_server(), serve(provider_server(), "deepseek")
    result = _one(server, balance={"providers": {"deepseek": {"api": "deepseek", "url": other.url + "/user/balance"}}})
    assert result.status is BalanceStatus.UNAVAILABLE and "does not send the key to another host" in result.reason
    assert other.requests == [] and server.requests == []


def test_override_on_the_providers_own_host_is_used(provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/billing/balance", Reply.json(DEEPSEEK_OK))
    override = {"api": "deepseek", "url": server.url + "/billing/balance"}
    result = _one(server, balance={"providers": {"deepseek": override}})
    assert result.status is BalanceStatus.OK and result.url == server.url + "/billing/balance"


def test_probe_turned_off(provider_server: Server) -> None:
    server = provider_server()
    result = _one(server, balance={"providers": {"deepseek": {"api": "none"}}})
    assert result.status is BalanceStatus.UNAVAILABLE and not result.supported and "turned off" in result.reason
    assert server.requests == []


def test_a_preset_provider_moved_to_an_unrelated_path_is_not_probed(provider_server: Server) -> None:
    from dataclasses import replace

    from switchover.core.providers import Endpoint, Protocol

    server = provider_server()
    provider = standin_provider("deepseek", server)
    provider = replace(provider, endpoints=(Endpoint.make(Protocol.OPENAI_CHAT, server.url + "/proxy/deepseek/v1"),),
                       models_url=None)
    store = Store()
    store.add(provider)
    [result] = check_providers([provider], store, options=FAST, history=BalanceHistory())
    assert result.status is BalanceStatus.UNAVAILABLE and "api.deepseek.com" in result.reason
    assert server.requests == []
