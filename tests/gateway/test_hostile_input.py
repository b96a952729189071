"""Every byte a client sends is hostile: the live gateway, fed random HTTP over a raw socket.

Hypothesis generates requests a hostile or broken local client could send: random and deeply nested bodies,
invalid UTF-8, odd content types, huge, many and duplicate headers, traversal-looking and percent-encoded
paths, foreign Host headers, HTTP/1.0, chunked bodies and several requests pipelined on one connection. For
every example the gateway must

* keep serving (a plain request afterwards still works; nothing was logged as a gateway bug),
* never answer 5xx (the upstream behind it always works, so any 5xx would be the gateway failing on a client's
  fault),
* answer every error in the client's own shape (Anthropic's for /messages, OpenAI's otherwise; an unreadable
  request gets a body both kinds of client read),
* forward nothing to an upstream unless the request carried the gateway token, and never forward the token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry
from switchover.gateway.routing import RouteTable, ToolRoute
from switchover.gateway.settings import GatewaySettings
from tests.gateway.helpers import TOKEN, Running, StaticRoutes, running_gateway

UPSTREAM_KEY = "sk-upstream-0000000000009999"

CHAT_ANSWER = {"id": "c1", "object": "chat.completion", "created": 0, "model": "m",
               "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
ANTHROPIC_ANSWER = {"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                    "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
                    "usage": {"input_tokens": 1, "output_tokens": 1}}
RESPONSES_ANSWER = {"id": "resp_1", "object": "response", "status": "completed", "model": "m",
                    "output": [{"type": "message", "role": "assistant", "id": "m1",
                                "content": [{"type": "output_text", "text": "ok"}]}],
                    "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}
CHAT_STREAM = (b'data: {"id":"c1","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,'
               b'"delta":{"role":"assistant","content":"ok"},"finish_reason":null}]}\n\n'
               b'data: {"id":"c1","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,'
               b'"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')


# ---------------------------------------------------------------- an upstream that always works, and records


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class Recorder:
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.seen)


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    recorder: Recorder

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        with self.recorder.lock:
            self.recorder.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        try:
            stream = json.loads(raw).get("stream") is True
        except (ValueError, AttributeError):
            stream = False
        if self.path.endswith("/chat/completions") and stream:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(CHAT_STREAM)))
            self.end_headers()
            self.wfile.write(CHAT_STREAM)
            return
        answer: Any = {"object": "list", "data": []}
        if self.path.endswith("/chat/completions"):
            answer = CHAT_ANSWER
        elif self.path.endswith("/count_tokens"):
            answer = {"input_tokens": 3}
        elif self.path.endswith("/messages"):
            answer = ANTHROPIC_ANSWER
        elif self.path.endswith("/responses"):
            answer = RESPONSES_ANSWER
        body = json.dumps(answer).encode()
        if stream:  # a passthrough stream: any well-formed SSE will do
            body = b"event: done\ndata: " + body + b"\n\n"
        self.send_response(200)
        self.send_header("content-type", "text/event-stream" if stream else "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serving(server: socketserver.ThreadingTCPServer) -> Iterator[str]:
    """`server` (bound to a free loopback port) answering on its own threads; its URL."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def upstream() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    handler = type("Handler", (_Upstream,), {"recorder": recorder})
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        yield url, recorder


def routes(url: str) -> StaticRoutes:
    """claude-code: an upstream with all three protocols (passthrough); codex: chat only (translation)."""
    endpoints = (Endpoint.make(Protocol.ANTHROPIC, url), Endpoint.make(Protocol.OPENAI_CHAT, url + "/v1"),
                 Endpoint.make(Protocol.OPENAI_RESPONSES, url + "/v1"))
    everything = Provider("full", endpoints, models=("m",), credential=Credential.env("FUZZ_UPSTREAM_KEY"))
    chat_only = Provider("chat", (Endpoint.make(Protocol.OPENAI_CHAT, url + "/v1"),), models=("m",),
                         credential=Credential.env("FUZZ_UPSTREAM_KEY"))
    return StaticRoutes(RouteTable(
        {"full": everything, "chat": chat_only},
        {"claude-code": ToolRoute("claude-code", "Claude Code", None, (ChainEntry("full", "m"),)),
         "codex": ToolRoute("codex", "Codex", None, (ChainEntry("chat", "m"),))},
    ))


# ---------------------------------------------------------------- what a hostile client sends


@dataclass
class Raw:
    method: str
    target: str
    version: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    chunked: bool = False
    well_formed: bool = True  # False: the HTTP itself is broken, so the path says nothing about the client

    def encode(self) -> bytes:
        head = f"{self.method} {self.target} {self.version}\r\n".encode("latin-1", "replace")
        lines = b"".join(name + b": " + value + b"\r\n" for name, value in self.headers)
        if self.chunked:
            body = (f"{len(self.body):x}\r\n".encode() + self.body + b"\r\n" if self.body else b"") + b"0\r\n\r\n"
            framing = b"Transfer-Encoding: chunked\r\n"
        else:
            body = self.body
            framing = f"Content-Length: {len(self.body)}\r\n".encode() if self.body or self.method == "POST" else b""
        return head + lines + framing + b"\r\n" + body

    @property
    def has_token(self) -> bool:
        return any(TOKEN.encode() in value for _, value in self.headers)


TOOL_IDS = ["claude-code", "codex", "unknown-tool", "..", ".", "%2e%2e", "claude-code%2F..", "a" * 41, "",
            "CLAUDE-CODE", "claude%2Dcode", "..%2F..%2Fetc", "%00", "%ff%fe", "%C3%BC", "claude-code;x", "~root",
            "codex%00", "claude-code%20"]
API_PATHS = ["/v1/messages", "/v1/chat/completions", "/v1/responses", "/v1/models", "/v1/messages/count_tokens",
             "", "/", "/v1/../v1/messages", "/v1/messages%2F..", "/v1//messages", "/%2e%2e/%2e%2e/etc/passwd",
             "/v1/messages?beta=true", "/v1/models?client_version=1", "/api/hello", "/v1/messages/../../codex",
             "/v1/chat/completions/", "/messages", "/responses?x=%ff"]
CONTENT_TYPES = [b"application/json", b"text/plain", b"application/x-www-form-urlencoded",
                 b"multipart/form-data; boundary=x", b"application/json; charset=latin-1", b"", b"*/*",
                 b"application/json; charset=utf-16", b"text/event-stream"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
FIELDS = ["model", "stream", "messages", "input", "max_tokens", "tools", "system", "tool_choice", "instructions",
          "content", "role", "metadata", "stream_options", "n", "thinking"]


@st.composite
def api_like(draw: st.DrawFn) -> bytes:
    """A JSON object with the fields the APIs use, holding anything."""
    payload = draw(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
    if draw(st.booleans()):
        role = draw(st.sampled_from(["user", "assistant", "system", "tool", "developer", 7]))
        payload["messages"] = [{"role": role, "content": draw(json_values)}]
        payload.setdefault("model", draw(st.sampled_from(["switchover-main", "m", "claude-3-haiku", "", 5])))
    if draw(st.booleans()):
        payload["input"] = draw(st.sampled_from(["hi", [], [{"type": "message", "role": "user", "content": "hi"}],
                                                 [{"type": "function_call_output", "call_id": 3}]]))
    return json.dumps(payload, ensure_ascii=draw(st.booleans())).encode()


bodies = st.one_of(
    st.binary(max_size=400),
    api_like(),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(65, 3000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(65, 3000).map(lambda n: b'{"messages":' + b"[" * n + b"]" * n + b"}"),
    st.integers(100_000, 300_000).map(lambda n: b'{"model":' + b"[" * n),  # far deeper than any recursion limit
    st.sampled_from([b'{"model": "\xff\xfe"}', b"\xef\xbb\xbf{}", b'{"stream": true, "model": "m"}',
                     b'{"model":"m","messages":[{"role":"user","content":"\xed\xa0\x80"}]}', b"{}", b"null",
                     b'{"model":"switchover-main","messages":[{"role":"user","content":"\xed\xa0\x80"}]}',
                     b'{"model":"switchover-main","input":"\\ud83d","messages":[{"role":"user","content":"\\udc00"}]}',
                     b'{"a": 1e999999}', b'{"model": "m", "model": 1}', b"\x00" * 64,
                     '{"model":"m","messages":[{"role":"user","content":"ü"}]}'.encode("utf-16")]),
)


@st.composite
def requests(draw: st.DrawFn, port: int) -> Raw:
    tool = draw(st.sampled_from(TOOL_IDS) | st.text(max_size=12).map(lambda t: quote(t, safe="")))
    rest = draw(st.sampled_from(API_PATHS))
    method = draw(st.sampled_from(["POST", "POST", "POST", "GET", "HEAD", "PUT", "OPTIONS", "DELETE"]))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"]))
    well_formed = True
    host = draw(st.sampled_from([f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1", "evil.example",
                                 f"127.0.0.1:{port + 1}", ""]))
    headers: list[tuple[bytes, bytes]] = [(b"Host", host.encode())] if host else []
    auth = draw(st.sampled_from(["bearer", "x-api-key", "api-key", "none", "wrong", "both", "wrong-first",
                                 "lowercase-bearer", "spaces"]))
    token = TOKEN.encode()
    headers += {
        "bearer": [(b"Authorization", b"Bearer " + token)],
        "x-api-key": [(b"x-api-key", token)],
        "api-key": [(b"api-key", token)],
        "none": [],
        "wrong": [(b"Authorization", b"Bearer " + token[:-1] + b"X")],
        "both": [(b"Authorization", b"Bearer nope"), (b"x-api-key", token)],
        "wrong-first": [(b"Authorization", b"Bearer nope"), (b"Authorization", b"Bearer " + token)],
        "lowercase-bearer": [(b"authorization", b"bearer " + token)],
        "spaces": [(b"Authorization", b"Bearer   " + token + b"  ")],
    }[auth]
    headers.append((b"Content-Type", draw(st.sampled_from(CONTENT_TYPES))))
    extras = draw(st.lists(st.sampled_from(["huge", "many", "dup-host", "origin", "fetch-site", "bad-bytes",
                                            "anthropic", "long-model", "dup-length"]), max_size=3, unique=True))
    for extra in extras:
        if extra == "huge":
            headers.append((b"X-Huge", b"a" * draw(st.sampled_from([9000, 70_000]))))
            well_formed = False
        elif extra == "many":
            headers += [(f"X-Many-{i}".encode(), b"1") for i in range(200)]
            well_formed = False
        elif extra == "dup-host":
            headers.append((b"Host", b"evil.example"))
        elif extra == "origin":
            headers.append((b"Origin", b"https://evil.example"))
        elif extra == "fetch-site":
            headers.append((b"Sec-Fetch-Site", b"cross-site"))
        elif extra == "bad-bytes":
            headers.append((b"X-Bad", b"\x01\x7f\xff"))
            well_formed = False
        elif extra == "anthropic":
            headers += [(b"anthropic-version", b"2023-06-01"), (b"anthropic-beta", b"\xc3\xbc" * 10)]
        elif extra == "long-model":
            headers.append((b"x-app", b"cli" * 500))
        elif extra == "dup-length":
            headers.append((b"Content-Length", b"99999"))
            well_formed = False
    target = "/" + tool + rest
    if draw(st.integers(0, 9)) == 0:  # raw bytes in the request line: unreadable HTTP
        target += "\x7f\x00"
        well_formed = False
    body = draw(bodies) if method in ("POST", "PUT") or draw(st.integers(0, 4)) == 0 else b""
    chunked = version == "HTTP/1.1" and draw(st.integers(0, 4)) == 0
    return Raw(method, target, version, headers, body, chunked, well_formed)


# ---------------------------------------------------------------- talking to the gateway over a raw socket


@dataclass
class Answer:
    status: int
    body: bytes


def send(port: int, batch: list[Raw], timeout: float = 20.0) -> list[Answer]:
    """Send the requests pipelined in one write; read the answers until the gateway closes or all came."""
    answers: list[Answer] = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(ConnectionError):
            sock.sendall(b"".join(r.encode() for r in batch))
        client = h11.Connection(h11.CLIENT, max_incomplete_event_size=1 << 20)
        for request in batch:
            # h11 parses answers only to requests it sent: describe ours to it (method matters for HEAD)
            client.send(h11.Request(method="HEAD" if request.method == "HEAD" else "GET", target="/",
                                    headers=[("Host", "x")]))
            client.send(h11.EndOfMessage())
            status, body = None, b""
            while True:
                try:
                    event = client.next_event()
                except h11.RemoteProtocolError:  # closed before answering: no more answers on this connection
                    break
                if event is h11.NEED_DATA:
                    try:
                        data = sock.recv(65536)
                    except ConnectionError:
                        data = b""
                    client.receive_data(data)
                    continue
                if isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            if status is None:
                break
            answers.append(Answer(status, body))
            if client.our_state is h11.MUST_CLOSE or client.their_state is h11.MUST_CLOSE:
                break
            client.start_next_cycle()
    return answers


def error_shape_problem(request: Raw, answer: Answer) -> str | None:
    """Why the error body is not in the shape the client reads, or None when it is."""
    if request.method == "HEAD":
        return None
    try:
        body = json.loads(answer.body)
    except ValueError:
        return f"not JSON: {answer.body[:120]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("message"), str) or not error["message"]:
        return f"no error.message: {body!r:.200}"
    anthropic = request.well_formed and "/messages" in request.target.split("?")[0]
    if anthropic and (body.get("type") != "error" or not isinstance(error.get("type"), str)):
        return f"not Anthropic's error shape: {body!r:.200}"
    return None


class BugLog(logging.Handler):
    """Errors the gateway logs as its own failures (a bug, never a client's doing)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("switchover") or (record.exc_info and not _is_parse_error(record)):
            self.records.append(record)


def _is_parse_error(record: logging.LogRecord) -> bool:
    from aiohttp.http_exceptions import HttpProcessingError

    return record.exc_info is not None and isinstance(record.exc_info[1], HttpProcessingError)


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Running, Recorder, BugLog]]:
    bugs = BugLog()
    watched = [logging.getLogger(name) for name in ("switchover", "aiohttp")]
    for logger in watched:
        logger.addHandler(bugs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUZZ_UPSTREAM_KEY", UPSTREAM_KEY)
        with upstream() as (url, recorder), running_gateway(routes(url), settings=GatewaySettings(
                max_body_bytes=256 * 1024, body_timeout_s=1.0, idle_timeout_s=1.0)) as gw:
            yield gw, recorder, bugs
    for logger in watched:
        logger.removeHandler(bugs)


def _port(gw: Running) -> int:
    return int(gw.url.rsplit(":", 1)[1])


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_hostile_requests_never_break_the_gateway(live: tuple[Running, Recorder, BugLog], data: st.DataObject) -> None:
    gw, recorder, bugs = live
    port = _port(gw)
    batch = data.draw(st.lists(requests(port), min_size=1, max_size=3), label="pipelined requests")
    before = recorder.count()
    answers = send(port, batch)

    assert answers, "the gateway answered nothing"
    for request, answer in zip(batch, answers, strict=False):
        assert answer.status < 500, (request.method, request.target, answer.status, answer.body[:300])
        if answer.status >= 400:
            problem = error_shape_problem(request, answer)
            assert problem is None, (request.method, request.target, answer.status, problem)
    with recorder.lock:
        forwarded = recorder.seen[before:]
    if not any(r.has_token for r in batch):
        assert forwarded == [], "a request without the gateway token reached the upstream"
    for seen in forwarded:
        assert TOKEN not in json.dumps(seen.headers), "the gateway token was forwarded upstream"
        assert UPSTREAM_KEY in json.dumps(seen.headers)

    alive = gw.post("/claude-code/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert alive.status_code == 200, alive.text
    assert [r.getMessage() for r in bugs.records] == []


def test_the_fuzzer_reaches_the_upstream_and_the_error_paths(live: tuple[Running, Recorder, BugLog]) -> None:
    """The generator is not all noise: well-formed requests with the token are served, others refused in shape."""
    gw, recorder, _ = live
    port = _port(gw)
    good = Raw("POST", "/codex/v1/responses", "HTTP/1.1",
               [(b"Host", f"127.0.0.1:{port}".encode()), (b"Authorization", b"Bearer " + TOKEN.encode())],
               json.dumps({"model": "m", "input": "hi"}).encode())
    deep = Raw("POST", "/claude-code/v1/messages", "HTTP/1.1", good.headers, b"[" * 100_000 + b"]" * 100_000)
    before = recorder.count()
    answers = send(port, [good, deep])
    assert [a.status for a in answers] == [200, 400]
    assert json.loads(answers[0].body)["object"] == "response"  # translated from the chat-only upstream
    assert error_shape_problem(deep, answers[1]) is None
    assert "JSON" in json.loads(answers[1].body)["error"]["message"]
    assert recorder.count() == before + 1
    # half an emoji (a lone surrogate), escaped or as raw bytes, in a request whose model the gateway replaces
    for body in (b'{"model":"switchover-main","messages":[{"role":"user","content":"a\\ud83d"}]}',
                 b'{"model":"switchover-main","messages":[{"role":"user","content":"a\xed\xa0\xbd"}]}'):
        half = Raw("POST", "/claude-code/v1/chat/completions", "HTTP/1.1", good.headers, body)
        [answer] = send(port, [half])
        assert answer.status == 200, answer.body
    unreadable = Raw("GET", "/claude-code/v1/messages\x00", "HTTP/1.1", good.headers, b"", well_formed=False)
    [broken] = send(port, [unreadable])
    assert broken.status == 400
    body = json.loads(broken.body)
    assert body["type"] == "error" and body["error"]["message"] and body["error"]["type"] == "invalid_request_error"

