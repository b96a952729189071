"""The gateway server for real: aiohttp on loopback, real stand-in upstreams (threaded HTTP servers), real
HTTP clients. Covers passthrough of the three protocols, the local token and origin checks, request-level
failover before the first byte, no retry after it, breakers, limits, the request log and health evidence."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from switchover.core.health.results import HealthStatus
from switchover.core.providers import Protocol
from switchover.gateway.breaker import BreakerSettings
from switchover.gateway.routing import RouteChoice
from switchover.gateway.settings import GatewaySettings
from tests.e2e.standin import StandinProvider
from tests.gateway.helpers import (
    ANTHROPIC_HEADERS,
    AUTH,
    REGION_BLOCK,
    TOKEN,
    FakeClock,
    StaticRoutes,
    provider_for,
    route_table,
    running_gateway,
)

MESSAGES = "/claude-code/v1/messages"
CHAT = "/claude-code/v1/chat/completions"
RESPONSES = "/claude-code/v1/responses"


def anthropic_body(stream: bool = False, model: str = "claude-sonnet-4-5") -> dict[str, object]:
    return {"model": model, "max_tokens": 64, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def alpha(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinProvider]:
    monkeypatch.setenv("KEY_ALPHA", "sk-alpha-0000000000001111")
    with StandinProvider("alpha", key="sk-alpha-0000000000001111", models=("model-a",)) as standin:
        yield standin


@pytest.fixture
def bravo(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandinProvider]:
    monkeypatch.setenv("KEY_BRAVO", "sk-bravo-0000000000002222")
    with StandinProvider("bravo", key="sk-bravo-0000000000002222", models=("model-b",)) as standin:
        yield standin


def two_routes(alpha: StandinProvider, bravo: StandinProvider) -> StaticRoutes:
    return StaticRoutes(route_table([provider_for(alpha), provider_for(bravo)]))


# ---------------------------------------------------------------- passthrough


def test_anthropic_passthrough_rewrites_model_adds_key_and_relays(alpha: StandinProvider) -> None:
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw:
        plain = gw.post(MESSAGES + "?beta=true", anthropic_body(), ANTHROPIC_HEADERS)
        chunks = gw.stream(MESSAGES, anthropic_body(stream=True), ANTHROPIC_HEADERS)
    assert plain.status_code == 200, plain.text
    assert plain.json()["content"][0]["text"] == alpha.reply
    assert plain.headers["x-switchover-upstream"] == "alpha/model-a"
    streamed = b"".join(chunks[1:]).decode()
    assert "event: message_stop" in streamed and alpha.reply in streamed
    sent = alpha.model_requests()
    assert [r.model for r in sent] == ["model-a", "model-a"]  # the route's model, not the tool's alias
    assert all(r.presented_keys == {"sk-alpha-0000000000001111"} for r in sent)  # the provider key, never the token
    assert sent[0].query == {"beta": ["true"]}
    assert all(TOKEN not in json.dumps(r.headers) for r in alpha.requests)
    records = list(gw.log.recent)
    assert [(r.outcome, r.upstream, r.stream) for r in records] == [
        ("ok", "alpha/anthropic", False), ("ok", "alpha/anthropic", True)]
    assert records[0].usage is not None and records[0].usage.output_tokens == 5
    assert gw.evidence.of("alpha")[0].status is HealthStatus.OK


@pytest.mark.parametrize("path", [CHAT, RESPONSES])
def test_openai_passthrough_streams_chunk_by_chunk(alpha: StandinProvider, path: str) -> None:
    body = {"model": "anything", "stream": True, "messages": [{"role": "user", "content": "hi"}], "input": "hi"}
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw:
        chunks = gw.stream(path, body)
    assert int.from_bytes(chunks[0], "big") == 200
    text = b"".join(chunks[1:]).decode()
    assert alpha.reply in text
    assert alpha.model_requests()[0].path == "/v1" + path.removeprefix("/claude-code/v1")


def test_each_event_is_relayed_as_it_arrives(alpha: StandinProvider) -> None:
    alpha.state.event_gap_s = 0.4
    arrivals: list[float] = []
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw, httpx.stream(
            "POST", gw.url + MESSAGES, json=anthropic_body(stream=True), headers=ANTHROPIC_HEADERS,
            trust_env=False, timeout=30) as response:
        for chunk in response.iter_raw():
            if chunk.strip():
                arrivals.append(time.monotonic())
    assert len(arrivals) >= 5  # six events, 0.4 s apart upstream: they arrive apart, not as one body
    assert arrivals[-1] - arrivals[0] > 1.5


def test_models_lists_what_the_route_serves(alpha: StandinProvider) -> None:
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw:
        listed = httpx.get(gw.url + "/claude-code/v1/models", headers=AUTH, trust_env=False)
        codex = httpx.get(gw.url + "/claude-code/v1/models?client_version=0.169.0", headers=AUTH, trust_env=False)
    ids = [m["id"] for m in listed.json()["data"]]
    assert ids[:2] == ["switchover-main", "switchover-small"] and "model-a" in ids
    assert listed.json()["data"][0]["display_name"] == "alpha/model-a"
    assert codex.json() == {"models": []}


# ---------------------------------------------------------------- who may talk to it


def test_token_is_required_and_compared(alpha: StandinProvider) -> None:
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw:
        missing = gw.post(MESSAGES, anthropic_body(), {"anthropic-version": "2023-06-01"})
        wrong = gw.post(MESSAGES, anthropic_body(), {"x-api-key": TOKEN[:-1] + "x"})
        wrong_chat = gw.post(CHAT, {"messages": []}, {"Authorization": "Bearer nope"})
        good = gw.post(MESSAGES, anthropic_body(), {"Authorization": f"Bearer {TOKEN}", "x-api-key": "stale"})
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "authentication_error"
    assert wrong.status_code == 401 and "Wrong gateway token" in wrong.json()["error"]["message"]
    assert wrong_chat.status_code == 401 and "error" in wrong_chat.json()  # OpenAI's shape for a chat route
    assert good.status_code == 200
    assert len(alpha.model_requests()) == 1  # refused requests never reached the upstream


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example:7345"},  # DNS rebinding: a hostile name resolving to 127.0.0.1
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
])
def test_browser_and_rebinding_requests_are_refused(alpha: StandinProvider, headers: dict[str, str]) -> None:
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw:
        refused = gw.post(MESSAGES, anthropic_body(), {**ANTHROPIC_HEADERS, **headers})
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_error"
    assert alpha.requests == []


def test_unknown_route_and_unserved_path(alpha: StandinProvider) -> None:
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw:
        unknown = gw.post("/nosuchtool/v1/messages", anthropic_body(), ANTHROPIC_HEADERS)
        unserved = gw.post("/claude-code/v1/embeddings", {}, AUTH)
    assert unknown.status_code == 404 and "no route 'nosuchtool'" in unknown.json()["error"]["message"]
    assert unserved.status_code == 404


# ---------------------------------------------------------------- failover before the first byte


@pytest.mark.parametrize(("fail", "status"), [
    (REGION_BLOCK, HealthStatus.REGION_BLOCKED),
    ((429, {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}), HealthStatus.RATE_LIMITED),
    ((529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
     HealthStatus.OVERLOADED),
    ((500, {"error": {"message": "boom"}}), HealthStatus.SERVER_ERROR),
    ((402, {"error": {"message": "Insufficient Balance"}}), HealthStatus.QUOTA_EXHAUSTED),
    ((401, {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}),
     HealthStatus.AUTH_FAILED),
])
def test_fails_over_to_the_next_chain_entry(alpha: StandinProvider, bravo: StandinProvider,
                                             fail: tuple[int, object], status: HealthStatus) -> None:
    alpha.state.fail = fail
    with running_gateway(two_routes(alpha, bravo)) as gw:
        answer = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"][0]["text"] == bravo.reply
    assert answer.headers["x-switchover-upstream"] == "bravo/model-b"
    assert bravo.model_requests()[0].model == "model-b"
    record = list(gw.log.recent)[-1]
    assert [(h.upstream, h.status) for h in record.hops] == [("alpha/anthropic", status.value),
                                                             ("bravo/anthropic", "ok")]
    assert record.provider == "bravo" and record.failovers == 1
    assert [r.status for r in gw.evidence.of("alpha")] == [status]
    assert "sk-alpha" not in json.dumps(record.to_json())


def test_unreachable_and_silent_upstreams_fail_over(bravo: StandinProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]  # closed when the block ends: connection refused
    monkeypatch.setenv("KEY_SLOW", "sk-slow-000000000000000033")
    with StandinProvider("slow", key="sk-slow-000000000000000033", models=("model-s",)) as slow:
        slow.state.first_byte_delay_s = 3.0
        dead = provider_for(slow, "dead")
        dead = replace(dead, endpoints=tuple(replace(e, base_url=e.base_url.replace(str(slow.port), str(dead_port)))
                                             for e in dead.endpoints))
        monkeypatch.setenv("KEY_DEAD", "x")
        routes = StaticRoutes(route_table([dead, provider_for(slow), provider_for(bravo)]))
        settings = GatewaySettings(stream_ttfb_s=1.0)
        with running_gateway(routes, settings=settings) as gw:
            started = time.monotonic()
            chunks = gw.stream(MESSAGES, anthropic_body(stream=True), ANTHROPIC_HEADERS)
            took = time.monotonic() - started
    assert bravo.reply in b"".join(chunks[1:]).decode()
    record = list(gw.log.recent)[-1]
    assert [h.status for h in record.hops] == ["unreachable", "timeout", "ok"]
    assert took < 2.9  # the silent upstream was abandoned after the 1 s first-byte limit, not awaited


def test_an_error_event_opening_a_stream_still_fails_over(alpha: StandinProvider, bravo: StandinProvider) -> None:
    alpha.state.stream_error_first = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    with running_gateway(two_routes(alpha, bravo)) as gw:
        chunks = gw.stream(MESSAGES, anthropic_body(stream=True), ANTHROPIC_HEADERS)
    text = b"".join(chunks[1:]).decode()
    assert bravo.reply in text and "overloaded_error" not in text
    assert [h.status for h in list(gw.log.recent)[-1].hops] == ["overloaded", "ok"]


def test_no_retry_once_bytes_were_sent_and_the_stream_ends_with_an_error_event(
        alpha: StandinProvider, bravo: StandinProvider) -> None:
    alpha.state.cut_after_events = 2  # message_start and content_block_start, then the connection dies
    with running_gateway(two_routes(alpha, bravo)) as gw:
        chunks = gw.stream(MESSAGES, anthropic_body(stream=True), ANTHROPIC_HEADERS)
    text = b"".join(chunks[1:]).decode()
    assert text.index("event: message_start") < text.index("event: error")
    error = json.loads(text.split("event: error\ndata: ", 1)[1].split("\n", 1)[0])
    assert error["type"] == "error" and "not retried" in error["error"]["message"]
    assert bravo.model_requests() == []  # the tool had bytes already: retrying would duplicate output
    assert list(gw.log.recent)[-1].outcome == "broken_stream"


def test_a_client_error_is_the_tools_to_see_not_a_failover(alpha: StandinProvider, bravo: StandinProvider) -> None:
    too_long = {"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: 250000"}}
    alpha.state.fail = (400, too_long)
    with running_gateway(two_routes(alpha, bravo)) as gw:
        answer = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
    assert answer.status_code == 400
    assert answer.json() == too_long  # verbatim: Claude Code compacts on exactly this message
    assert bravo.model_requests() == []
    assert gw.evidence.of("alpha") == []  # one bad request says nothing about the provider's health


def test_when_every_upstream_fails_the_tool_gets_its_own_error_shape(alpha: StandinProvider,
                                                                    bravo: StandinProvider) -> None:
    alpha.state.fail = REGION_BLOCK
    bravo.state.fail = REGION_BLOCK
    with running_gateway(two_routes(alpha, bravo)) as gw:
        anthropic = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
        chat = gw.post(CHAT, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert anthropic.status_code == 403
    assert anthropic.json()["type"] == "error"
    message = anthropic.json()["error"]["message"]
    assert "every upstream failed" in message and "alpha/model-a: region_blocked" in message
    assert "bravo/model-b: region_blocked" in message
    assert chat.status_code == 403 and chat.json()["error"]["code"] == "unsupported_country_region_territory"


# ---------------------------------------------------------------- breakers


def test_a_hard_failure_opens_the_breaker_then_a_half_open_probe_closes_it(
        alpha: StandinProvider, bravo: StandinProvider) -> None:
    alpha.state.fail = REGION_BLOCK
    clock = FakeClock()
    breaker = BreakerSettings(base_cooldown_s=30.0)
    with running_gateway(two_routes(alpha, bravo), clock=clock, breaker=breaker) as gw:
        for _ in range(3):
            assert gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS).status_code == 200
        assert len(alpha.model_requests()) == 1  # after the first 403, alpha was skipped: no cost per request
        status = gw.thread.status()
        assert status is not None and status["breakers"]["alpha/anthropic"]["state"] == "open"
        alpha.state.fail = None  # the region block is lifted
        clock.now += 31.0
        probe = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
        after = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
    assert probe.json()["content"][0]["text"] == alpha.reply
    assert after.headers["x-switchover-upstream"] == "alpha/model-a"
    assert len(alpha.model_requests()) == 3


def test_route_choice_comes_first_and_a_reroute_reaches_the_next_request(
        alpha: StandinProvider, bravo: StandinProvider) -> None:
    routes = two_routes(alpha, bravo)
    with running_gateway(routes) as gw:
        first = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
        routes.current = route_table([provider_for(alpha), provider_for(bravo)],
                                     choice=RouteChoice("bravo", "model-b"))
        second = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
    assert first.headers["x-switchover-upstream"] == "alpha/model-a"
    assert second.headers["x-switchover-upstream"] == "bravo/model-b"


# ---------------------------------------------------------------- hostile input


def test_body_size_and_json_are_checked(alpha: StandinProvider) -> None:
    settings = GatewaySettings(max_body_bytes=64 * 1024)
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)])), settings=settings) as gw:
        big = gw.post(MESSAGES, {"model": "m", "pad": "x" * 100_000}, ANTHROPIC_HEADERS)
        garbage = httpx.post(gw.url + MESSAGES, content=b"{not json", headers=ANTHROPIC_HEADERS, trust_env=False)
    assert big.status_code == 413 and big.json()["error"]["type"] == "request_too_large"
    assert garbage.status_code == 400
    assert alpha.requests == []


def test_a_chunked_body_has_the_same_size_bound(alpha: StandinProvider) -> None:
    """No Content-Length to check up front: small chunked bodies (read at once) and big ones are both bounded."""
    settings = GatewaySettings(max_body_bytes=64 * 1024)
    body = json.dumps({"model": "m", "pad": "x" * 100_000}).encode()
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)])), settings=settings) as gw:
        for pieces in ([body], [body[i:i + 8192] for i in range(0, len(body), 8192)]):
            answer = httpx.post(gw.url + MESSAGES, content=iter(pieces), headers=ANTHROPIC_HEADERS, trust_env=False)
            assert answer.status_code == 413 and answer.json()["error"]["type"] == "request_too_large"
    assert alpha.requests == []


def test_connections_beyond_the_limit_are_closed(alpha: StandinProvider) -> None:
    settings = GatewaySettings(max_connections=4, idle_timeout_s=30.0)
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)])), settings=settings) as gw:
        port = int(gw.url.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
        extra = socket.create_connection(("127.0.0.1", port))
        extra.settimeout(5)
        try:
            assert extra.recv(1) == b""  # closed by the gateway at once
        finally:
            extra.close()
            for sock in held:
                sock.close()
        assert gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS).status_code == 200


def test_a_client_that_never_finishes_its_headers_is_dropped(alpha: StandinProvider) -> None:
    settings = GatewaySettings(idle_timeout_s=1.0)
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)])), settings=settings) as gw:
        port = int(gw.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /claude-code/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and then nothing
            sock.settimeout(10)
            started = time.monotonic()
            assert sock.recv(1) == b""
            assert time.monotonic() - started < 5


def test_count_tokens_passthrough_and_estimate(alpha: StandinProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEY_CHATONLY", "sk-alpha-0000000000001111")
    chat_only = provider_for(alpha, "chatonly", protocols=(Protocol.OPENAI_CHAT,))
    with running_gateway(StaticRoutes(route_table([provider_for(alpha)]))) as gw:
        counted = gw.post(MESSAGES + "/count_tokens", anthropic_body(), ANTHROPIC_HEADERS)
    with running_gateway(StaticRoutes(route_table([chat_only]))) as gw:
        estimated = gw.post(MESSAGES + "/count_tokens", anthropic_body(), ANTHROPIC_HEADERS)
    assert counted.json() == {"input_tokens": 12}  # the stand-in's own count
    assert isinstance(estimated.json()["input_tokens"], int) and estimated.json()["input_tokens"] > 0


def test_a_rejected_key_is_read_again_so_a_newly_stored_one_is_used(
        alpha: StandinProvider, bravo: StandinProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEY_ALPHA", "sk-alpha-revoked-00000000000")
    clock = FakeClock()
    with running_gateway(two_routes(alpha, bravo), clock=clock) as gw:
        first = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
        monkeypatch.setenv("KEY_ALPHA", "sk-alpha-0000000000001111")  # the user stores the right key
        clock.now += 16.0  # the breaker's cool-down: the next request probes alpha again
        second = gw.post(MESSAGES, anthropic_body(), ANTHROPIC_HEADERS)
    assert first.headers["x-switchover-upstream"] == "bravo/model-b"
    assert second.headers["x-switchover-upstream"] == "alpha/model-a"
    assert [r.presented_keys for r in alpha.model_requests()] == [{"sk-alpha-revoked-00000000000"},
                                                                 {"sk-alpha-0000000000001111"}]
