"""A stand-in model provider on 127.0.0.1 that the real coding CLIs can talk to.

Why: the end-to-end tests must prove that after ``switchover use`` a real tool sends its next request to
the provider Switchover chose, with that provider's model and key. This server speaks just enough of the
four wire protocols the tools use (Anthropic Messages, OpenAI chat completions, OpenAI Responses, Gemini
generateContent), answers every turn with a recognisable text (``STANDIN-REPLY-<name>``) and records every
request so a test can assert on path, model and auth headers.

For the gateway tests it can also serve only some APIs (``only``, e.g. a chat-only provider), fail every
completion with a given status and body (a region block, a 429), answer late, open a stream with an error
event, break a stream part-way, and answer a fresh user turn with a tool call (Anthropic and chat formats)
whose result, in the next request, it echoes back (``STANDIN-TOOL-RESULT:<text>``).

Run it by hand with ``python tests/e2e/standin.py --name a --key sk-a`` (prints its URL, logs requests).
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GEMINI_MODEL_PATH = re.compile(r"/models/(?P<model>[^/:]+):(?P<method>[A-Za-z]+)$")


@dataclass
class RecordedRequest:
    """One request as the stand-in saw it (header names lower-cased) and the status it got."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    model: str | None
    status: int | None = None

    @property
    def presented_keys(self) -> set[str]:
        """Every credential the client sent, whichever header or parameter carried it."""
        keys: set[str] = set()
        bearer = self.headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            keys.add(bearer[7:].strip())
        for header in ("x-api-key", "x-goog-api-key", "api-key"):
            if header in self.headers:
                keys.add(self.headers[header])
        keys.update(self.query.get("key", []))
        return keys


@dataclass
class StandinState:
    """What the handler threads share: the reply, the expected key and the request log."""

    name: str
    key: str | None
    models: tuple[str, ...] = ("standin-model",)  # what the model-list endpoints answer
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Failure modes and extras for the gateway tests (all off by default):
    only: frozenset[str] | None = None  # serve only these APIs: "anthropic", "chat", "responses", "gemini"
    fail: tuple[int, Any] | None = None  # answer every completion with (HTTP status, JSON body)
    first_byte_delay_s: float = 0.0  # wait this long before answering a completion
    stream_error_first: Any = None  # a 200 stream that opens with this error event instead of an answer
    cut_after_events: int | None = None  # streams break (connection closed) after this many events
    event_gap_s: float = 0.0  # pause between stream events (to see a relay pass each one on at once)
    tool_call: tuple[str, dict[str, Any]] | None = None  # answer a fresh user turn with this tool call
    after_reply: Callable[[RecordedRequest], None] | None = None  # called after each completion was answered
    usage: tuple[int, int, int] | None = None  # (input incl. cache reads, output, cache reads) of every answer

    def usage_numbers(self) -> tuple[int, int, int]:
        return self.usage or (12, 5, 0)

    @property
    def reply(self) -> str:
        return f"STANDIN-REPLY-{self.name}"


class StandinProvider:
    """A threaded HTTP server on an ephemeral loopback port; use as a context manager.

    ``key``: when set, requests that do not present it (Bearer, x-api-key, x-goog-api-key or ``?key=``)
    get the protocol's 401 error, so a tool holding the wrong key fails loudly instead of passing.
    """

    def __init__(
        self,
        name: str,
        key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        models: tuple[str, ...] = ("standin-model",),
    ) -> None:
        self.state = StandinState(name=name, key=key, models=models)
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.standin_state = self.state  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def reply(self) -> str:
        return self.state.reply

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Root URL without a path, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def model_requests(self) -> list[RecordedRequest]:
        """Only the requests that asked for a completion (not model lists or token counts)."""
        return [r for r in self.requests if _is_generation(r)]

    def clear(self) -> None:
        with self.state.lock:
            self.state.requests.clear()

    def start(self) -> StandinProvider:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StandinProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _is_generation(request: RecordedRequest) -> bool:
    path = request.path
    return request.method == "POST" and (
        path.endswith("/messages")
        or path.endswith("/chat/completions")
        or path.endswith("/responses")
        or path.endswith(":generateContent")
        or path.endswith(":streamGenerateContent")
    )


def _api_of(path: str, gemini: bool) -> str | None:
    if path.endswith("/messages") or path.endswith("/messages/count_tokens"):
        return "anthropic"
    if path.endswith("/chat/completions"):
        return "chat"
    if path.endswith("/responses"):
        return "responses"
    return "gemini" if gemini else None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text_of(part.get("text") or part.get("content") or part.get("output") or "")
                        for part in content if isinstance(part, dict))
    return ""


def _tool_result(payload: dict[str, Any]) -> str | None:
    """The tool output the client sends back in this request's last turn, if it is one."""
    messages = payload.get("messages") or payload.get("input")
    if not isinstance(messages, list) or not messages:
        return None
    last = messages[-1]
    if not isinstance(last, dict):
        return None
    if last.get("role") == "tool" or last.get("type") == "function_call_output":  # chat, responses
        return _text_of(last.get("content") if "content" in last else last.get("output"))
    content = last.get("content")
    if last.get("role") == "user" and isinstance(content, list):  # anthropic
        results = [part for part in content if isinstance(part, dict) and part.get("type") == "tool_result"]
        if results:
            return _text_of(results[-1].get("content"))
    return None


def _offered_tools(payload: dict[str, Any]) -> set[str]:
    names = set()
    for tool in payload.get("tools") or ():
        if isinstance(tool, dict):
            function = tool.get("function")
            names.add(str(function.get("name") if isinstance(function, dict) else tool.get("name")))
    return names


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections end by themselves
    server_version = "SwitchoverStandin/1"

    @property
    def state(self) -> StandinState:
        return self.server.standin_state  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is the record."""

    # -- dispatch ---------------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query)
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not length and self.headers.get("transfer-encoding", "").lower() == "chunked":
            raw = self._read_chunked()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        gemini = GEMINI_MODEL_PATH.search(path)
        model = body.get("model") if isinstance(body, dict) else None
        if model is None and gemini:
            model = gemini.group("model")
        record = RecordedRequest(
            method=self.command,
            path=path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            model=model if isinstance(model, str) else None,
        )
        with self.state.lock:
            self.state.requests.append(record)
        self._record = record

        if self.command == "HEAD":
            self._send_json(200, {})
            return
        if self.state.key is not None and self.state.key not in record.presented_keys and path != "/":
            self._send_auth_error(path)
            return
        payload = body if isinstance(body, dict) else {}
        stream = bool(payload.get("stream"))
        api = _api_of(path, gemini is not None)
        if api is not None and self.command == "POST" and not path.endswith("count_tokens"):
            if self.state.only is not None and api not in self.state.only:
                self._send_json(404, {"error": {"message": f"stand-in serves no {api} API", "code": 404}})
                return
            if self.state.first_byte_delay_s:
                time.sleep(self.state.first_byte_delay_s)
            if self.state.fail is not None:
                status, error_body = self.state.fail
                self._send_json(status, error_body)
                self._after_reply(record)
                return
            if stream and self.state.stream_error_first is not None:
                self._send_sse(iter([("error", self.state.stream_error_first)]))
                self._after_reply(record)
                return
        self._payload = payload
        if self.command == "GET":
            self._models(path, query)
        elif path.endswith("/messages/count_tokens"):
            self._send_json(200, {"input_tokens": 12})
        elif path.endswith("/messages"):
            self._anthropic(record.model or "standin-model", stream)
        elif path.endswith("/chat/completions"):
            self._chat(record.model or "standin-model", stream)
        elif path.endswith("/responses"):
            self._responses(record.model or "standin-model", stream)
        elif gemini and gemini.group("method") == "countTokens":
            self._send_json(200, {"totalTokens": 12})
        elif gemini and gemini.group("method") in ("generateContent", "streamGenerateContent"):
            self._gemini(gemini.group("model"), gemini.group("method") == "streamGenerateContent", query)
        else:
            self._send_json(404, {"error": {"message": f"stand-in has no route {path}", "code": 404}})
            return
        if api is not None and self.command == "POST":
            self._after_reply(record)

    def _after_reply(self, record: RecordedRequest) -> None:
        hook = self.state.after_reply
        if hook is not None:
            hook(record)

    def _read_chunked(self) -> bytes:
        data = b""
        while True:
            size = int(self.rfile.readline().strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    # -- responses --------------------------------------------------------------------------------
    def send_response(self, code: int, message: str | None = None) -> None:
        record: RecordedRequest | None = getattr(self, "_record", None)
        if record is not None:
            record.status = code
            self._record = None
        super().send_response(code, message)

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status >= 400:
            self.send_header("x-should-retry", "false")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _send_sse(self, events: Iterator[tuple[str | None, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for count, (event, data) in enumerate(events):
            if self.state.cut_after_events is not None and count >= self.state.cut_after_events:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)  # break the stream mid-way, as a dying upstream does
                return
            if count and self.state.event_gap_s:
                time.sleep(self.state.event_gap_s)
            text = "" if event is None else f"event: {event}\n"
            text += f"data: {data if isinstance(data, str) else json.dumps(data)}\n\n"
            chunk = text.encode()
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send_auth_error(self, path: str) -> None:
        if path.endswith("/messages") or path.endswith("/count_tokens"):
            payload: Any = {
                "type": "error",
                "error": {"type": "authentication_error", "message": "invalid x-api-key"},
            }
        elif "/v1beta/" in path:
            payload = {"error": {"code": 400, "message": "API key not valid.", "status": "INVALID_ARGUMENT"}}
        else:
            payload = {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}
        self._send_json(401, payload)

    def _models(self, path: str, query: dict[str, list[str]]) -> None:
        if "client_version" in query:  # Codex asks for its own catalogue shape; an empty one is valid
            self._send_json(200, {"models": []})
        elif "/v1beta/" in path:
            listed = [{"name": f"models/{m}", "displayName": m} for m in self.state.models]
            self._send_json(200, {"models": listed})
        else:
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "standin"} for m in self.state.models
                    ],
                    "has_more": False,
                },
            )

    def _turn(self) -> tuple[str, tuple[str, dict[str, Any]] | None]:
        """(reply text, tool call or None) for this request."""
        payload: dict[str, Any] = getattr(self, "_payload", {})
        result = _tool_result(payload)
        if result is not None:
            return f"{self.state.reply} STANDIN-TOOL-RESULT:{result.strip()[:200]}", None
        call = self.state.tool_call
        if call is not None and call[0] in _offered_tools(payload):
            return "", call
        return self.state.reply, None

    def _anthropic(self, model: str, stream: bool) -> None:
        msg_id = f"msg_{uuid.uuid4().hex[:20]}"
        text, call = self._turn()
        if call is not None:
            self._anthropic_tool(msg_id, model, stream, call)
            return
        total_in, out, cached = self.state.usage_numbers()
        usage = {"input_tokens": total_in - cached, "output_tokens": out, "cache_read_input_tokens": cached}
        if not stream:
            self._send_json(
                200,
                {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": text}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": usage,
                },
            )
            return

        def events() -> Iterator[tuple[str | None, Any]]:
            yield "message_start", {
                "type": "message_start",
                "message": {
                    "id": msg_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": {**usage, "output_tokens": 1},
                },
            }
            yield "content_block_start", {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            }
            yield "content_block_delta", {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "text_delta", "text": text},
            }
            yield "content_block_stop", {"type": "content_block_stop", "index": 0}
            yield "message_delta", {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": out},
            }
            yield "message_stop", {"type": "message_stop"}

        self._send_sse(events())

    def _anthropic_tool(self, msg_id: str, model: str, stream: bool, call: tuple[str, dict[str, Any]]) -> None:
        tool_id = f"toolu_{uuid.uuid4().hex[:20]}"
        name, args = call
        usage = {"input_tokens": 12, "output_tokens": 9}
        message = {"id": msg_id, "type": "message", "role": "assistant", "model": model, "stop_sequence": None}
        if not stream:
            self._send_json(200, {**message, "content": [{"type": "tool_use", "id": tool_id, "name": name,
                                                          "input": args}], "stop_reason": "tool_use",
                                  "usage": usage})
            return
        self._send_sse(iter([
            ("message_start", {"type": "message_start", "message": {
                **message, "content": [], "stop_reason": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "tool_use", "id": tool_id, "name": name, "input": {}}}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                     "delta": {"type": "input_json_delta", "partial_json": json.dumps(args)}}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                               "usage": {"output_tokens": 9}}),
            ("message_stop", {"type": "message_stop"}),
        ]))

    def _chat(self, model: str, stream: bool) -> None:
        chat_id = f"chatcmpl-{uuid.uuid4().hex[:20]}"
        created = int(time.time())
        text, call = self._turn()
        total_in, out, cached = self.state.usage_numbers()
        usage = {"prompt_tokens": total_in, "completion_tokens": out, "total_tokens": total_in + out,
                 "prompt_tokens_details": {"cached_tokens": cached}}
        tool_calls = None
        if call is not None:
            tool_calls = [{"id": f"call_{uuid.uuid4().hex[:20]}", "type": "function",
                           "function": {"name": call[0], "arguments": json.dumps(call[1])}}]
        if not stream and tool_calls is not None:
            self._send_json(200, {
                "id": chat_id, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "finish_reason": "tool_calls",
                             "message": {"role": "assistant", "content": None, "tool_calls": tool_calls}}],
                "usage": usage,
            })
            return
        if not stream:
            self._send_json(
                200,
                {
                    "id": chat_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                },
            )
            return

        def chunk(delta: dict[str, Any], finish: str | None, with_usage: bool = False) -> dict[str, Any]:
            out: dict[str, Any] = {
                "id": chat_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if with_usage:
                out["usage"] = usage
            return out

        def events() -> Iterator[tuple[str | None, Any]]:
            if tool_calls is not None:
                first = {**tool_calls[0], "index": 0, "function": {"name": call[0] if call else "", "arguments": ""}}
                yield None, chunk({"role": "assistant", "content": None, "tool_calls": [first]}, None)
                yield None, chunk({"tool_calls": [{"index": 0, "function": {"arguments":
                                                                             tool_calls[0]["function"]["arguments"]}}]},
                                  None)
                yield None, chunk({}, "tool_calls", with_usage=True)
                yield None, "[DONE]"
                return
            yield None, chunk({"role": "assistant", "content": ""}, None)
            yield None, chunk({"content": text}, None)
            yield None, chunk({}, "stop", with_usage=True)
            yield None, "[DONE]"

        self._send_sse(events())

    def _responses(self, model: str, stream: bool) -> None:
        resp_id = f"resp_{uuid.uuid4().hex[:20]}"
        item_id = f"msg_{uuid.uuid4().hex[:20]}"
        created = int(time.time())
        text = self.state.reply
        part = {"type": "output_text", "text": text, "annotations": []}
        item = {"type": "message", "id": item_id, "status": "completed", "role": "assistant", "content": [part]}
        total_in, out, cached = self.state.usage_numbers()
        usage = {
            "input_tokens": total_in,
            "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": out,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": total_in + out,
        }

        def response(status: str, output: list[Any]) -> dict[str, Any]:
            return {
                "id": resp_id,
                "object": "response",
                "created_at": created,
                "status": status,
                "model": model,
                "output": output,
                "usage": usage if status == "completed" else None,
            }

        if not stream:
            self._send_json(200, {**response("completed", [item]), "output_text": text})
            return

        def events() -> Iterator[tuple[str | None, Any]]:
            seq = iter(range(1000))
            common = {"item_id": item_id, "output_index": 0, "content_index": 0}
            for kind, extra in (
                ("response.created", {"response": response("in_progress", [])}),
                ("response.in_progress", {"response": response("in_progress", [])}),
                (
                    "response.output_item.added",
                    {"output_index": 0, "item": {**item, "status": "in_progress", "content": []}},
                ),
                ("response.content_part.added", {**common, "part": {**part, "text": ""}}),
                ("response.output_text.delta", {**common, "delta": text}),
                ("response.output_text.done", {**common, "text": text}),
                ("response.content_part.done", {**common, "part": part}),
                ("response.output_item.done", {"output_index": 0, "item": item}),
                ("response.completed", {"response": response("completed", [item])}),
            ):
                yield kind, {"type": kind, "sequence_number": next(seq), **extra}

        self._send_sse(events())

    def _gemini(self, model: str, stream: bool, query: dict[str, list[str]]) -> None:
        payload = {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": self.state.reply}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 5, "totalTokenCount": 17},
            "modelVersion": model,
            "responseId": uuid.uuid4().hex[:20],
        }
        if not stream:
            self._send_json(200, payload)
        elif query.get("alt") == ["sse"]:
            self._send_sse(iter([(None, payload)]))
        else:
            self._send_json(200, [payload])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--name", default="manual", help="reply text is STANDIN-REPLY-<name>")
    parser.add_argument("--key", default=None, help="reject requests that do not present this key")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with StandinProvider(args.name, key=args.key, port=args.port) as standin:
        print(f"stand-in {standin.name!r} listening on {standin.url}", flush=True)
        seen = 0
        try:
            while True:
                time.sleep(0.2)
                for request in standin.requests[seen:]:
                    print(
                        f"{request.method} {request.path} query={request.query} model={request.model} "
                        f"keys={sorted(request.presented_keys)} ua={request.headers.get('user-agent', '')}",
                        flush=True,
                    )
                    seen += 1
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
