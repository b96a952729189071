"""Public model lists (OpenRouter) prove nothing about the key: the auth tier also asks the key endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

import pytest

from switchover.core.catalog import default_catalog
from switchover.core.health.probes import Probe
from switchover.core.health.results import HealthStatus, Tier
from switchover.core.health.runner import check_one
from tests.health.helpers import KEY, MODEL, fast_options, target_for
from tests.support.provider_server import ERROR_REPLIES, ProviderServer, Reply

Server = Callable[..., ProviderServer]


def _key_info(remaining: float | None) -> Reply:
    return Reply.json({"data": {"label": "sk-or-v1-abc...123", "limit": 5, "usage": 1.0,
                                "limit_remaining": remaining, "is_free_tier": False}})


def _openrouter_like(server: ProviderServer, key_reply: Reply) -> Probe:
    server.play("openai-chat", "ok")
    server.on("GET", "/api/v1/key", key_reply)
    return replace(target_for(server, "openai-chat"), key_check_url=server.url + "/api/v1/key")


def test_catalog_openrouter_gets_its_key_check_from_data() -> None:
    provider = default_catalog().get("openrouter").to_provider("or")
    target = Probe.from_provider(provider, KEY)
    assert target.key_check_url == "https://openrouter.ai/api/v1/key"
    assert Probe.from_provider(default_catalog().get("deepseek").to_provider("ds"), KEY).key_check_url is None


@pytest.mark.parametrize(
    ("key_reply", "status"),
    [
        (_key_info(3.5), HealthStatus.OK),
        (_key_info(None), HealthStatus.OK),  # no limit set on the key
        (_key_info(0), HealthStatus.QUOTA_EXHAUSTED),
        (ERROR_REPLIES[("openai-chat", "auth_failed")], HealthStatus.AUTH_FAILED),
    ],
    ids=["credit-left", "no-limit", "limit-used-up", "bad-key"],
)
def test_key_endpoint_decides(provider_server: Server, key_reply: Reply, status: HealthStatus) -> None:
    server = provider_server()
    result = asyncio.run(check_one(_openrouter_like(server, key_reply), Tier.AUTH, fast_options()))
    assert result.status is status, result.reason
    assert [r.path for r in server.requests] == ["/v1/models", "/api/v1/key"]
    assert server.requests[1].headers["authorization"] == f"Bearer {KEY}"
    if status is HealthStatus.OK:
        assert "checked at 127.0.0.1" in result.reason and MODEL in result.models


def test_key_endpoint_not_asked_when_the_list_already_failed(provider_server: Server) -> None:
    server = provider_server()
    target = _openrouter_like(server, _key_info(1))
    server.on("GET", "/v1/models", Reply.html())
    result = asyncio.run(check_one(target, Tier.AUTH, fast_options()))
    assert result.status is HealthStatus.BAD_RESPONSE
    assert [r.path for r in server.requests] == ["/v1/models"]
