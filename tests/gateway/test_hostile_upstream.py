"""Every byte an upstream sends is hostile too: the live gateway in front of an upstream that answers garbage.

Hypothesis draws what a broken or hostile upstream answers: wrong statuses, garbage and deeply nested JSON,
SSE streams with undecodable, endless or too-deep events, truncated bodies (a Content-Length it does not keep,
cut chunked framing, a broken status line) and stalls. Whatever comes back, the tool gets a complete HTTP
answer that is never the gateway's own 500; a translated answer is a JSON object or well-formed SSE whose events
all carry JSON; an error the gateway makes is in the client's own shape; and the gateway keeps serving with
nothing logged as its own bug.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry
from switchover.gateway.breaker import Breakers
from switchover.gateway.routing import RouteTable, ToolRoute
from switchover.gateway.settings import GatewaySettings
from tests.gateway.helpers import AUTH, Running, StaticRoutes, running_gateway
from tests.gateway.test_hostile_input import (
    ANTHROPIC_ANSWER,
    CHAT_ANSWER,
    RESPONSES_ANSWER,
    UPSTREAM_KEY,
    Answer,
    BugLog,
    Raw,
    error_shape_problem,
    serving,
)

SMALL_EVENT_CAP = 64 * 1024  # the gateway's bound on one unfinished SSE event, lowered so the fuzzer reaches it


@dataclass
class Script:
    """The bytes the hostile upstream answers the next request with (then it closes the connection)."""

    answer: bytes = b""
    stall_s: float = 0.0  # after writing `answer`, wait this long before closing (a stalled stream)


class _HostileUpstream(socketserver.BaseRequestHandler):
    script: Script

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5.0)
        data = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in data:
                more = sock.recv(65536)
                if not more:
                    return
                data += more
            head, _, body = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                more = sock.recv(65536)
                if not more:
                    break
                body += more
            sock.sendall(self.script.answer)
            if self.script.stall_s:
                threading.Event().wait(self.script.stall_s)


@contextlib.contextmanager
def hostile_upstream() -> Iterator[tuple[str, Script]]:
    script = Script()
    handler = type("Handler", (_HostileUpstream,), {"script": script})
    with serving(socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)) as url:
        yield url, script


def hostile_routes(url: str) -> StaticRoutes:
    """claude-code and codex: passthrough (Anthropic, Responses); claude-chat and codex-chat: translated from
    a chat-only upstream. One upstream each, so what it answers is what the client gets (or an error)."""
    full = Provider("full", (Endpoint.make(Protocol.ANTHROPIC, url), Endpoint.make(Protocol.OPENAI_CHAT, url + "/v1"),
                             Endpoint.make(Protocol.OPENAI_RESPONSES, url + "/v1")),
                    models=("m",), credential=Credential.env("FUZZ_UPSTREAM_KEY"))
    chat = Provider("chat", (Endpoint.make(Protocol.OPENAI_CHAT, url + "/v1"),), models=("m",),
                    credential=Credential.env("FUZZ_UPSTREAM_KEY"))
    return StaticRoutes(RouteTable(
        {"full": full, "chat": chat},
        {tool: ToolRoute(tool, tool, None, (ChainEntry(provider, "m"),))
         for tool, provider in (("claude-code", "full"), ("codex", "full"), ("claude-chat", "chat"),
                                ("codex-chat", "chat"))},
    ))


CLIENTS = [  # (tool, path, translated)
    ("claude-code", "/v1/messages", False), ("codex", "/v1/responses", False),
    ("codex", "/v1/chat/completions", False), ("claude-chat", "/v1/messages", True),
    ("codex-chat", "/v1/responses", True),
]


def _chat_chunks(draw: st.DrawFn) -> list[bytes]:
    chunks = [{"id": "c", "object": "chat.completion.chunk", "model": "m",
               "choices": [{"index": 0, "delta": {"role": "assistant", "content": draw(st.text(max_size=10))}}]}]
    if draw(st.booleans()):
        chunks.append({"id": "c", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": {
            "tool_calls": [{"index": draw(st.sampled_from([0, 0, 5, -1])), "id": "t", "type": "function",
                            "function": {"name": "f", "arguments": draw(st.sampled_from(
                                ['{"a":1}', '{"a":', "[" * 5000 + "]" * 5000, "null", ""]))}}]}}]})
    chunks.append({"id": "c", "object": "chat.completion.chunk", "model": "m",
                   "choices": [{"index": 0, "delta": {}, "finish_reason": draw(st.sampled_from(
                       ["stop", "tool_calls", "length", "weird", None]))}],
                   "usage": draw(st.sampled_from([None, {"prompt_tokens": 1, "completion_tokens": 2},
                                                  {"prompt_tokens": "x"}, [[[]]]]))})
    events = [b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks]
    extras = draw(st.lists(st.sampled_from([
        b"data: " + b"[" * 100_000 + b"\n\n",  # deeper than any recursion limit
        b"data: " + b"[" * 70 + b"]" * 70 + b"\n\n",
        b"data: {not json\n\n", b": comment\n\n", b"event: error\ndata: {\"error\": {\"message\": \"x\"}}\n\n",
        b"data: \xff\xfe\n\n", b"data: [DONE]\n\n", b"data: " + b"a" * (SMALL_EVENT_CAP + 10),  # never ends
    ]), max_size=2))
    for extra in extras:
        events.insert(draw(st.integers(0, len(events))), extra)
    return events


@st.composite
def upstream_answers(draw: st.DrawFn) -> Script:
    status = draw(st.sampled_from([200, 200, 200, 200, 400, 401, 403, 404, 413, 429, 500, 503, 529]))
    kind = draw(st.sampled_from(["json", "sse", "deep", "garbage", "empty", "error-json"]))
    content_type = b"application/json"
    if kind == "json":
        body = json.dumps(draw(st.sampled_from([CHAT_ANSWER, ANTHROPIC_ANSWER, RESPONSES_ANSWER,
                                                {"choices": [{"message": {"tool_calls": [{"function": {
                                                    "name": "f", "arguments": "[" * 3000}}]}}]},
                                                {"choices": "x"}, {"usage": {"input_tokens": [1]}}, []]))).encode()
    elif kind == "sse":
        body = b"".join(_chat_chunks(draw))
        content_type = b"text/event-stream"
    elif kind == "deep":
        depth = draw(st.sampled_from([65, 3000, 200_000]))
        body = b'{"error":' * depth if draw(st.booleans()) else b"[" * depth + b"]" * depth
    elif kind == "garbage":
        body = draw(st.binary(max_size=300))
        content_type = draw(st.sampled_from([b"application/json", b"text/event-stream", b"text/html"]))
    elif kind == "error-json":
        body = json.dumps({"error": {"message": draw(st.text(max_size=30)), "type": "x",
                                     "code": draw(st.sampled_from(["unsupported_country_region_territory",
                                                                   "insufficient_quota", None]))}}).encode()
    else:
        body = b""
    framing = draw(st.sampled_from(["length", "length", "short", "close", "chunked", "chunked-cut", "bad-status"]))
    head = f"HTTP/1.1 {status} X\r\n".encode() if framing != "bad-status" else b"HTTP/9 what\r\n"
    head += b"Content-Type: " + content_type + b"\r\n"
    if framing == "length":
        head += f"Content-Length: {len(body)}\r\n".encode()
    elif framing == "short":  # promises more than it sends, then closes
        head += f"Content-Length: {len(body) + 100}\r\n".encode()
    elif framing.startswith("chunked"):
        head += b"Transfer-Encoding: chunked\r\n"
        cut = len(body) // 2
        pieces = [body[:cut], body[cut:]] if body else []
        body = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces if p)
        body = body[: len(body) // 2] if framing == "chunked-cut" else body + b"0\r\n\r\n"
    head += b"Connection: close\r\n\r\n"
    stall = 1.5 if draw(st.integers(0, 19)) == 0 else 0.0  # longer than the gateway's idle bound below
    return Script(head + body, stall)


def _sse_problem(body: bytes) -> str | None:
    """Why a streamed answer is not well-formed SSE whose events carry JSON (or [DONE]), or None."""
    text = body.decode("utf-8", "strict")
    if not text.endswith("\n\n"):
        return f"does not end with a complete event: {text[-120:]!r}"
    for block in text.strip("\n").split("\n\n"):
        data = "\n".join(line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:"))
        if data and data != "[DONE]":
            json.loads(data)
    return None


@pytest.fixture(scope="module")
def hostile() -> Iterator[tuple[Running, Script, BugLog]]:
    bugs = BugLog()
    watched = [logging.getLogger(name) for name in ("switchover", "aiohttp")]
    for logger in watched:
        logger.addHandler(bugs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUZZ_UPSTREAM_KEY", UPSTREAM_KEY)
        patch.setattr("switchover.gateway.sse.MAX_EVENT_BYTES", SMALL_EVENT_CAP)
        with hostile_upstream() as (url, script), running_gateway(hostile_routes(url), settings=GatewaySettings(
                ttfb_s=1.0, stream_ttfb_s=1.0, stream_idle_s=1.0)) as gw:
            yield gw, script, bugs
    for logger in watched:
        logger.removeHandler(bugs)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_upstream_answers_reach_the_tool_as_well_formed_answers(
        hostile: tuple[Running, Script, BugLog], data: st.DataObject) -> None:
    gw, script, bugs = hostile
    tool, path, translated = data.draw(st.sampled_from(CLIENTS), label="client")
    stream = data.draw(st.booleans(), label="stream")
    answer = data.draw(upstream_answers(), label="upstream answer")
    script.answer, script.stall_s = answer.answer, answer.stall_s
    gw.gateway.breakers = Breakers()  # each example starts with a closed circuit
    body = {"model": "m", "stream": stream, "max_tokens": 10}
    body.update({"input": "hi"} if path.endswith("/responses") else {"messages": [{"role": "user", "content": "hi"}]})

    got = httpx.post(gw.url + "/" + tool + path, json=body, headers=AUTH, timeout=20.0, trust_env=False)

    assert got.status_code != 500, got.text  # 500 would be the gateway failing, not the upstream
    if got.status_code >= 400 and (translated or got.headers.get("x-switchover-upstream") is None):
        problem = error_shape_problem(Raw("POST", "/" + tool + path, "HTTP/1.1", [], b""), Answer(got.status_code,
                                                                                                    got.content))
        assert problem is None, (tool, path, got.status_code, problem)
    if translated and got.status_code == 200:
        if stream:
            assert got.headers["content-type"].startswith("text/event-stream")
            assert _sse_problem(got.content) is None
        else:
            assert isinstance(got.json(), dict)
    alive = httpx.get(gw.url + "/codex/v1/models", headers=AUTH, timeout=10.0, trust_env=False)
    assert alive.status_code == 200 and alive.json()["data"], alive.text
    assert [r.getMessage() for r in bugs.records] == []


def test_an_endless_upstream_event_is_cut_with_an_error_event(hostile: tuple[Running, Script, BugLog]) -> None:
    """A stream whose event never ends is not buffered without bound: the tool gets an error event."""
    gw, script, bugs = hostile
    endless = b"data: " + b"a" * (SMALL_EVENT_CAP * 4)
    script.answer = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                     b'event: message_start\ndata: {"type":"message_start"}\n\n' + endless)
    script.stall_s = 0.0
    for tool, path in (("claude-code", "/v1/messages"), ("claude-chat", "/v1/messages")):
        gw.gateway.breakers = Breakers()
        got = httpx.post(gw.url + "/" + tool + path, headers=AUTH, timeout=20.0, trust_env=False,
                         json={"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
        assert got.status_code == 200
        assert b"aaaa" not in got.content
        assert b"event: error" in got.content and b"without ending an event" in got.content, got.content[-300:]
    assert [r.getMessage() for r in bugs.records] == []
