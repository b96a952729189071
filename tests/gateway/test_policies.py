"""The gateway's pure decisions: route resolution, model mapping, breakers, request checks, SSE framing."""

from __future__ import annotations

import pytest

from switchover.core.health.results import HealthStatus
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry
from switchover.gateway.breaker import Breakers, BreakerSettings, CircuitState, Permission
from switchover.gateway.routing import (
    MAIN_ALIAS,
    SMALL_ALIAS,
    ClientApi,
    RouteChoice,
    RouteTable,
    ToolRoute,
    parse_path,
    plan_attempts,
    route_base_urls,
    tool_of_url,
)
from switchover.gateway.security import allowed_hosts, check_origin, check_token
from switchover.gateway.sse import EventBoundary, EventTooLarge, early_error


def provider(name: str, *protocols: Protocol, models: tuple[str, ...] = ("m1", "m2"), small: str | None = None
             ) -> Provider:
    urls = {Protocol.ANTHROPIC: f"https://{name}.example", Protocol.OPENAI_CHAT: f"https://{name}.example/v1",
            Protocol.OPENAI_RESPONSES: f"https://{name}.example/v1"}
    return Provider(name, tuple(Endpoint.make(p, urls[p]) for p in protocols), models, small, Credential.none())


ANTH = provider("anth", Protocol.ANTHROPIC, small="m2")
CHAT = provider("chat", Protocol.OPENAI_CHAT, models=("c1",))
RESP = provider("resp", Protocol.OPENAI_RESPONSES, models=("r1",))
TABLE = RouteTable({p.name: p for p in (ANTH, CHAT, RESP)})


def route(choice: RouteChoice | None, *chain: str) -> ToolRoute:
    return ToolRoute("claude-code", "Claude Code", choice, tuple(ChainEntry.parse(c) for c in chain))


# ---------------------------------------------------------------- paths


@pytest.mark.parametrize(("path", "tool", "api"), [
    ("/claude-code/v1/messages", "claude-code", ClientApi.MESSAGES),
    ("/claude-code/v1/messages/count_tokens", "claude-code", ClientApi.COUNT_TOKENS),
    ("/codex/v1/responses", "codex", ClientApi.RESPONSES),
    ("/opencode/v1/chat/completions", "opencode", ClientApi.CHAT),
    ("/opencode/v1/models", "opencode", ClientApi.MODELS),
    ("/claude-code/api/hello", "claude-code", ClientApi.PROBE),
    ("/claude-code", "claude-code", ClientApi.PROBE),
    ("/claude-code/v1/embeddings", "claude-code", None),
])
def test_paths(path: str, tool: str, api: ClientApi | None) -> None:
    parsed = parse_path(path)
    assert parsed is not None and (parsed.tool, parsed.api) == (tool, api)


@pytest.mark.parametrize("path", ["/", "/_switchover/status", "/../etc", "/UPPER/v1/messages", "relative"])
def test_paths_that_name_no_route(path: str) -> None:
    assert parse_path(path) is None


def test_route_urls_round_trip() -> None:
    urls = route_base_urls("http://127.0.0.1:7345", "codex")
    assert urls[Protocol.ANTHROPIC] == "http://127.0.0.1:7345/codex"
    assert urls[Protocol.OPENAI_RESPONSES] == "http://127.0.0.1:7345/codex/v1"
    assert tool_of_url("http://127.0.0.1:7345", urls[Protocol.OPENAI_RESPONSES]) == "codex"
    assert tool_of_url("http://127.0.0.1:7345", "http://localhost:7345/codex") == "codex"
    assert tool_of_url("http://127.0.0.1:7345", "http://127.0.0.1:7346/codex") is None
    assert tool_of_url("http://127.0.0.1:7345", "https://api.deepseek.com") is None


# ---------------------------------------------------------------- plans


def test_choice_first_then_chain_without_duplicates() -> None:
    plan = plan_attempts(TABLE, route(RouteChoice("chat", "c1"), "anth/m1", "chat/c1"), Protocol.ANTHROPIC, None)
    assert [(a.provider.name, a.model, a.translate) for a in plan.attempts] == [("chat", "c1", True),
                                                                               ("anth", "m1", False)]


def test_no_choice_means_the_chain_head_serves() -> None:
    plan = plan_attempts(TABLE, route(None, "anth/m1", "chat"), Protocol.ANTHROPIC, None)
    assert [a.label for a in plan.attempts] == ["anth/m1", "chat/c1"]


def test_upstreams_that_cannot_serve_the_protocol_are_skipped_with_a_note() -> None:
    plan = plan_attempts(TABLE, route(None, "resp/r1", "chat/c1", "gone/x"), Protocol.ANTHROPIC, None)
    assert [a.label for a in plan.attempts] == ["chat/c1"]
    assert any("resp" in n and "cannot serve anthropic" in n for n in plan.notes)
    assert any("no provider named 'gone'" in n for n in plan.notes)
    chat_client = plan_attempts(TABLE, route(None, "anth/m1", "chat/c1"), Protocol.OPENAI_CHAT, None)
    assert [a.label for a in chat_client.attempts] == ["chat/c1"]  # chat clients are never translated for
    responses = plan_attempts(TABLE, route(None, "resp/r1", "chat/c1"), Protocol.OPENAI_RESPONSES, None)
    assert [(a.label, a.translate) for a in responses.attempts] == [("resp/r1", False), ("chat/c1", True)]


@pytest.mark.parametrize(("asked", "served"), [
    (MAIN_ALIAS, "m1"),
    (SMALL_ALIAS, "m2"),
    ("claude-haiku-4-5-20251001", "m2"),  # Claude Code's background model
    ("claude-opus-4-6", "m1"),
    ("m2", "m2"),  # a model this provider lists: the tool's explicit pick
    (None, "m1"),
])
def test_model_mapping(asked: str | None, served: str) -> None:
    plan = plan_attempts(TABLE, route(RouteChoice("anth", "m1"), "anth/m1"), Protocol.ANTHROPIC, asked)
    assert plan.attempts[0].model == served


def test_route_small_model_wins_over_the_providers() -> None:
    plan = plan_attempts(TABLE, route(RouteChoice("anth", "m1", "tiny")), Protocol.ANTHROPIC, SMALL_ALIAS)
    assert plan.attempts[0].model == "tiny"


def test_breaker_held_upstreams_go_last() -> None:
    plan = plan_attempts(TABLE, route(None, "anth/m1", "chat/c1"), Protocol.ANTHROPIC, None,
                         lambda key: key != "anth/anthropic")
    assert [(a.label, a.held_open) for a in plan.attempts] == [("chat/c1", False), ("anth/m1", True)]


# ---------------------------------------------------------------- breakers


def test_hard_failure_opens_at_once_and_backs_off() -> None:
    breakers = Breakers(BreakerSettings(base_cooldown_s=10, max_cooldown_s=25))
    breakers.failure("a", HealthStatus.REGION_BLOCKED, 0)
    assert breakers.permit("a", 5) is Permission.DENY
    assert breakers.permit("a", 10) is Permission.PROBE
    assert breakers.permit("a", 10.1) is Permission.DENY  # one probe at a time
    breakers.failure("a", HealthStatus.REGION_BLOCKED, 11)
    assert not breakers.would_allow("a", 30) and breakers.would_allow("a", 31)  # cooldown doubled: 20 s
    assert breakers.permit("a", 31) is Permission.PROBE
    breakers.failure("a", HealthStatus.REGION_BLOCKED, 31)
    assert breakers.circuit("a").cooldown_s == 25  # capped
    breakers.success("a", 60)
    assert breakers.circuit("a").state is CircuitState.CLOSED and breakers.permit("a", 60) is Permission.ALLOW


def test_soft_failures_open_after_the_threshold_and_success_resets() -> None:
    breakers = Breakers(BreakerSettings(soft_threshold=3))
    for at in (0, 1):
        breakers.failure("a", HealthStatus.OVERLOADED, at)
    assert breakers.permit("a", 2) is Permission.ALLOW
    breakers.success("a", 2)
    for at in (3, 4):
        breakers.failure("a", HealthStatus.SERVER_ERROR, at)
    assert breakers.permit("a", 5) is Permission.ALLOW
    breakers.failure("a", HealthStatus.SERVER_ERROR, 5)
    assert breakers.permit("a", 6) is Permission.DENY


def test_retry_after_holds_the_circuit_open_that_long() -> None:
    breakers = Breakers(BreakerSettings(base_cooldown_s=5))
    breakers.failure("a", HealthStatus.RATE_LIMITED, 0, retry_after_s=120)
    assert not breakers.would_allow("a", 100) and breakers.would_allow("a", 120)


def test_a_probe_without_verdict_frees_the_slot() -> None:
    breakers = Breakers(BreakerSettings(base_cooldown_s=1))
    breakers.failure("a", HealthStatus.TIMEOUT, 0)
    assert breakers.permit("a", 2) is Permission.PROBE
    breakers.release("a")
    assert breakers.permit("a", 2.1) is Permission.PROBE


# ---------------------------------------------------------------- request checks


def test_host_and_origin_checks() -> None:
    hosts = allowed_hosts(7345)
    assert check_origin({"Host": "127.0.0.1:7345"}, hosts) is None
    assert check_origin({"Host": "localhost:7345"}, hosts) is None
    for bad in ({"Host": "127.0.0.1.nip.io:7345"}, {"Host": "127.0.0.1:7346"}, {},
                {"Host": "127.0.0.1:7345", "Origin": "null"},
                {"Host": "127.0.0.1:7345", "Sec-Fetch-Site": "same-site"}):
        refusal = check_origin(bad, hosts)
        assert refusal is not None and refusal.status == 403, bad
    assert check_origin({"Host": "127.0.0.1:7345", "Sec-Fetch-Site": "none"}, hosts) is None


def test_token_checks() -> None:
    assert check_token({"Authorization": "Bearer tok-123"}, "tok-123") is None
    assert check_token({"Authorization": "bearer tok-123"}, "tok-123") is None
    assert check_token({"x-api-key": "tok-123"}, "tok-123") is None
    assert check_token({"Authorization": "Bearer old-provider-key", "x-api-key": "tok-123"}, "tok-123") is None
    refused = check_token({"Authorization": "Bearer tok-124"}, "tok-123")
    assert refused is not None and refused.status == 401
    assert check_token({}, "tok-123") is not None


# ---------------------------------------------------------------- SSE framing


def test_event_boundary_holds_partial_events() -> None:
    boundary = EventBoundary()
    assert boundary.feed(b"event: a\ndata: 1\n\nevent: b\nda") == b"event: a\ndata: 1\n\n"
    assert boundary.pending
    assert boundary.feed(b"ta: 2\n\n") == b"event: b\ndata: 2\n\n"
    assert boundary.feed(b"data: x\r\n\r\ndata: y") == b"data: x\r\n\r\n"
    assert boundary.flush() == b"data: y"


def test_event_boundary_finds_a_blank_line_split_across_chunks() -> None:
    boundary = EventBoundary()
    assert boundary.feed(b"data: 1\n") == b""
    assert boundary.feed(b"\ndata: 2") == b"data: 1\n\n"
    assert boundary.feed(b"\r\n\r") == b""
    assert boundary.feed(b"\n") == b"data: 2\r\n\r\n"
    assert not boundary.pending


def test_an_event_that_never_ends_is_refused_not_buffered() -> None:
    boundary = EventBoundary(max_event=1000)
    assert boundary.feed(b"data: ok\n\n" + b"data: " + b"a" * 500) == b"data: ok\n\n"
    with pytest.raises(EventTooLarge, match="without ending an event"):
        for _ in range(10):
            boundary.feed(b"a" * 100)
    assert not boundary.pending  # what it held is let go
    assert boundary.feed(b"data: next\n\n") == b"data: next\n\n"


def test_early_error_events() -> None:
    anthropic = b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
    found = early_error(anthropic)
    assert found is not None and found[0] == 529
    chat = b'data: {"error":{"message":"Rate limit","code":"rate_limit_exceeded","type":"requests"}}\n\n'
    assert early_error(chat) is not None
    normal = b'data: {"choices":[{"delta":{"content":"an error was made"}}]}\n\n'
    assert early_error(normal) is None
    assert early_error(b'event: message_start\ndata: {"type":"message_start"}\n\n') is None


def test_catalog_limits_send_other_models_through_translation() -> None:
    both = provider("ds", Protocol.OPENAI_CHAT, Protocol.OPENAI_RESPONSES, models=("flash", "pro"))
    table = RouteTable({"ds": both}, limits={"ds": {Protocol.OPENAI_RESPONSES: ("flash",)}})
    flash = plan_attempts(table, route(RouteChoice("ds", "flash")), Protocol.OPENAI_RESPONSES, None)
    pro = plan_attempts(table, route(RouteChoice("ds", "pro")), Protocol.OPENAI_RESPONSES, None)
    assert (flash.attempts[0].endpoint.protocol, flash.attempts[0].translate) == (Protocol.OPENAI_RESPONSES, False)
    assert (pro.attempts[0].endpoint.protocol, pro.attempts[0].translate) == (Protocol.OPENAI_CHAT, True)


def test_deepseek_responses_facts_in_the_catalog() -> None:
    from switchover.core.catalog import load_catalog, serves

    deepseek = load_catalog().get("deepseek")
    endpoint = next(e for e in deepseek.endpoints if e.protocol is Protocol.OPENAI_RESPONSES)
    assert endpoint.base_url == "https://api.deepseek.com"
    provider_ = deepseek.to_provider("deepseek")
    assert serves(provider_, Protocol.OPENAI_RESPONSES, "deepseek-v4-flash")
    assert not serves(provider_, Protocol.OPENAI_RESPONSES, "deepseek-v4-pro")
    assert serves(provider_, Protocol.OPENAI_CHAT, "deepseek-v4-pro")
    assert Protocol.OPENAI_RESPONSES not in load_catalog().get("modelstudio").protocols  # ignores instructions
