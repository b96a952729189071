"""Every status of the vocabulary, from the providers' real error bodies, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from switchover.core.health.results import HealthStatus, Tier
from switchover.core.health.runner import CheckOptions, check_one
from tests.health.helpers import KEY, MODEL, fast_options, target_for
from tests.support.provider_server import ERROR_REPLIES, PROTOCOLS, ProviderServer, Reply, protocol_paths

Server = Callable[..., ProviderServer]
# Variants served on an endpoint of this protocol.
_VARIANT_PROTOCOL = {"deepseek": "openai-chat", "bedrock": "anthropic"}


def _check(target, tier: Tier, options: CheckOptions | None = None):  # type: ignore[no-untyped-def]
    return asyncio.run(check_one(target, tier, options or fast_options()))


@pytest.mark.parametrize(("source", "behaviour"), sorted(ERROR_REPLIES), ids=str)
@pytest.mark.parametrize("tier", [Tier.AUTH, Tier.DEEP])
def test_provider_error_bodies_are_classified(provider_server: Server, source: str, behaviour: str,
                                              tier: Tier) -> None:
    protocol = _VARIANT_PROTOCOL.get(source, source)
    server = provider_server()
    reply = ERROR_REPLIES[(source, behaviour)]
    list_path, call_path = protocol_paths(protocol, MODEL)
    server.on("GET", list_path, reply).on("POST", call_path, reply)

    result = _check(target_for(server, protocol), tier)

    assert result.status == HealthStatus(behaviour), result.reason
    assert result.http_status == reply.status
    assert not result.healthy
    assert len(result.reason) > 40 and result.reason.endswith(("”", ".", ")"))
    assert KEY not in json.dumps(result.to_json())
    assert "***" not in result.reason  # masked key echoes are scrubbed too
    assert len(server.requests) == 1
    assert server.requests[0].path == (list_path if tier is Tier.AUTH else call_path)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_ok_for_each_protocol_and_tier(provider_server: Server, protocol: str) -> None:
    server = provider_server().play(protocol, "ok", models=(MODEL, "other-model"))
    auth = _check(target_for(server, protocol), Tier.AUTH)
    assert auth.status is HealthStatus.OK, auth.reason
    assert auth.http_status == 200 and auth.latency_ms is not None and auth.latency_ms > 0
    assert {m.removesuffix(":latest") for m in auth.models} == {MODEL, "other-model"}
    deep = _check(target_for(server, protocol), Tier.DEEP)
    assert deep.status is HealthStatus.OK, deep.reason
    assert "1-token" in deep.reason
    reach = _check(target_for(server, protocol), Tier.REACH)
    assert reach.status is HealthStatus.OK and reach.http_status == 404  # any HTTP answer proves the path


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_configured_model_missing_from_list(provider_server: Server, protocol: str) -> None:
    server = provider_server().play(protocol, "ok", models=("someone-else",))
    result = _check(target_for(server, protocol, models=(MODEL, "someone-else")), Tier.AUTH)
    assert result.status is HealthStatus.MODEL_MISSING
    assert MODEL in result.reason and "someone-else" in result.reason  # names the missing one, lists options
    assert result.models and result.http_status == 200


def test_auth_headers_per_style_and_reach_sends_no_key(provider_server: Server) -> None:
    server = provider_server()
    for protocol in PROTOCOLS:
        server.play(protocol, "ok")
    _check(target_for(server, "anthropic"), Tier.AUTH)
    _check(target_for(server, "openai-chat"), Tier.AUTH)
    _check(target_for(server, "gemini"), Tier.AUTH)
    anthropic, openai, gemini = server.requests
    assert anthropic.headers["x-api-key"] == KEY and anthropic.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in anthropic.headers
    assert openai.headers["authorization"] == f"Bearer {KEY}"
    assert gemini.headers["x-goog-api-key"] == KEY and "key=" not in gemini.query
    server.requests.clear()
    for protocol in PROTOCOLS:
        _check(target_for(server, protocol), Tier.REACH)
    assert len(server.requests) == len(PROTOCOLS)
    for request in server.requests:
        assert not {"authorization", "x-api-key", "x-goog-api-key"} & request.headers.keys()


def test_deep_requests_ask_for_one_token(provider_server: Server) -> None:
    server = provider_server()
    for protocol in PROTOCOLS:
        server.play(protocol, "ok")
        assert _check(target_for(server, protocol), Tier.DEEP).status is HealthStatus.OK
    bodies = {r.path: r.json() for r in server.requests}
    assert bodies["/v1/messages"]["max_tokens"] == 1 and bodies["/v1/messages"]["model"] == MODEL
    assert bodies["/v1/chat/completions"]["max_tokens"] == 1
    assert bodies["/v1/responses"]["max_output_tokens"] == 16
    assert bodies[f"/v1beta/models/{MODEL}:generateContent"]["generationConfig"]["maxOutputTokens"] == 1
    assert bodies["/api/chat"]["options"]["num_predict"] == 1 and bodies["/api/chat"]["stream"] is False


def test_deep_retries_with_max_completion_tokens_when_asked(provider_server: Server) -> None:
    server = provider_server()
    rejection = Reply.json({"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this "
                                      "model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error",
                                      "param": "max_tokens", "code": "unsupported_parameter"}}, 400)
    server.on("POST", "/v1/chat/completions", rejection)
    first = _check(target_for(server, "openai-chat"), Tier.DEEP)
    calls = [r.json() for r in server.requests]
    assert len(calls) == 2 and "max_completion_tokens" in calls[1] and "max_tokens" not in calls[1]
    assert first.status is HealthStatus.BAD_RESPONSE and first.http_status == 400


def test_retry_after_and_spend_cap(provider_server: Server) -> None:
    server = provider_server().play("anthropic", "rate_limited")
    limited = _check(target_for(server, "anthropic"), Tier.DEEP)
    assert limited.status is HealthStatus.RATE_LIMITED and limited.retry_after_s == 30.0
    assert "Retry after 30 s" in limited.reason and limited.status.is_transient
    capped = Reply.json({"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}}, 429)
    server.on("POST", "/v1/messages", capped)
    spend_cap = _check(target_for(server, "anthropic"), Tier.DEEP)
    assert spend_cap.status is HealthStatus.QUOTA_EXHAUSTED and spend_cap.retry_after_s is None
    assert not spend_cap.status.is_transient


def test_slow_answer_is_healthy_but_flagged(provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/v1/models", Reply.json({"data": [{"id": MODEL}]}, delay_s=0.3))
    options = CheckOptions(slow_ms=100, trust_env=False)
    result = _check(target_for(server, "openai-chat"), Tier.AUTH, options)
    assert result.status is HealthStatus.SLOW and result.healthy
    assert result.latency_ms is not None and result.latency_ms >= 300
    assert "slow above 100 ms" in result.reason


def test_missing_key_is_reported_without_a_request(provider_server: Server) -> None:
    server = provider_server().play("openai-chat", "ok")
    result = _check(target_for(server, "openai-chat", key=None), Tier.AUTH)
    assert result.status is HealthStatus.AUTH_FAILED and "No key" in result.reason
    assert server.requests == []


def test_provider_message_echoing_the_key_is_scrubbed(provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/v1/models", Reply.json({"error": {"message": f"key {KEY} is revoked",
                                                         "code": "invalid_api_key"}}, 401))
    result = _check(target_for(server, "openai-chat"), Tier.AUTH)
    assert result.status is HealthStatus.AUTH_FAILED
    assert KEY not in result.reason and KEY[:10] not in result.reason and "revoked" in result.reason


def test_results_never_keep_a_query_string() -> None:
    from switchover.core.health.runner import public_url

    assert public_url("https://x.example/v1/models?key=AIzaSECRET#frag") == "https://x.example/v1/models"


def test_signature_file_loads_and_every_rule_names_a_known_status() -> None:
    from switchover.core.health.signatures import load_signatures

    book = load_signatures()
    assert len(book.rules) >= 15
    assert {rule.status for rule in book.rules} >= {
        HealthStatus.REGION_BLOCKED, HealthStatus.QUOTA_EXHAUSTED, HealthStatus.AUTH_FAILED,
        HealthStatus.RATE_LIMITED, HealthStatus.OVERLOADED, HealthStatus.MODEL_MISSING, HealthStatus.FORBIDDEN,
        HealthStatus.SERVER_ERROR, HealthStatus.BAD_RESPONSE,
    }
    assert all(not rule.status.is_healthy for rule in book.rules)


def test_broken_signature_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from switchover.core.errors import ConfigFileError
    from switchover.core.health.signatures import load_signatures

    bad = tmp_path / "sigs.toml"
    bad.write_text('schema_version = 1\n[[rule]]\nstatus = "no_such_status"\nreason = "x"\n')
    with pytest.raises(ConfigFileError, match="rule #1"):
        load_signatures(bad)
