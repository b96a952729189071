"""The real pinned Claude Code and Codex accept what the translation produces (marker `realtools`).

Why here and not only in the gateway's end-to-end tests: these prove the translation itself against the
real clients, independent of the server. A test-only relay (stdlib http.server, one request at a time
translated with this library, upstream SSE decoded incrementally and re-encoded chunk by chunk) sits
between the real CLI and a loopback provider that speaks Chat Completions only. The provider answers the
first turn with parallel tool calls and the next one with what it read in the tool results, so a passing
run proves: request translation (history with tool calls and results), the streamed event sequence the
client needs to run tools, and the tool-type mappings (Codex namespace calls dispatch, freeform apply_patch
edits a file). The failure tests pin how each client treats the in-stream errors ``fail`` produces:
Claude Code retries after ``overloaded_error`` and falls back to a non-streamed request after any other
error event; Codex retries a ``response.failed`` unless its code says the quota or the context window is
exhausted.
"""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.conftest import run_tool as _run_tool
from tests.e2e.conftest import tools_installed

from switchover.gateway.translate import (
    ChatToAnthropicStream,
    ChatToResponsesStream,
    SseDecoder,
    SseEvent,
    anthropic_to_chat,
    chat_to_anthropic,
    chat_to_responses,
    estimate_input_tokens,
    responses_to_chat,
)

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]

Script = Callable[[dict[str, Any]], list[dict[str, Any]]]


class ChatOnlyProvider(ThreadingHTTPServer):
    """Answers POST /v1/chat/completions (streamed) with the chunks ``script`` returns; records requests."""

    def __init__(self, script: Script) -> None:
        super().__init__(("127.0.0.1", 0), _ProviderHandler)
        self.daemon_threads = True
        self.script = script
        self.requests: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProviderHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ChatOnlyProvider

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.requests.append(body)
        if self.path != "/v1/chat/completions":
            self.send_error(404)
            return
        chunks = self.server.script(body)
        if not body.get("stream"):
            self._complete(chunks)
            return
        assert body.get("stream_options") == {"include_usage": True}
        wire = b"".join(SseEvent(None, json.dumps(c)).encode() for c in chunks)
        wire += b"data: [DONE]\n\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(wire)))
        self.end_headers()
        for start in range(0, len(wire), 37):  # odd-sized pieces: lines split across reads on purpose
            self.wfile.write(wire[start:start + 37])
            self.wfile.flush()


    def _complete(self, chunks: list[dict[str, Any]]) -> None:
        """The same answer, non-streamed: the chunks folded into one chat.completion."""
        text, calls, finish, usage = "", {}, None, None
        for item in chunks:
            usage = item.get("usage") or usage
            for choice in item["choices"]:
                text += choice["delta"].get("content") or ""
                finish = choice.get("finish_reason") or finish
                for call in choice["delta"].get("tool_calls", []):
                    entry = calls.setdefault(call["index"], {"id": call.get("id"), "type": "function",
                                                             "function": {"name": "", "arguments": ""}})
                    entry["function"]["name"] += call["function"].get("name", "")
                    entry["function"]["arguments"] += call["function"].get("arguments", "")
        message: dict[str, Any] = {"role": "assistant", "content": text or None}
        if calls:
            message["tool_calls"] = [calls[i] for i in sorted(calls)]
        data = json.dumps({"id": "chatcmpl-real", "object": "chat.completion", "created": 1, "model": "up",
                           "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                           "usage": usage}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Relay(ThreadingHTTPServer):
    """Anthropic Messages and Responses in front, Chat Completions behind, through the translation."""

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _RelayHandler)
        self.daemon_threads = True
        self.upstream = upstream
        self.notes: list[str] = []
        self.client_events: list[list[SseEvent]] = []
        self.fail_first: str | None = None  # an error kind: the first stream breaks after its first events
        self.non_streamed = 0
        self.keep_reasoning = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _RelayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Relay

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        path = self.path.split("?")[0]
        if path.endswith("/messages/count_tokens"):
            self._json({"input_tokens": estimate_input_tokens(body)})
            return
        if path.endswith("/messages"):
            translated = anthropic_to_chat(body)
            stream: ChatToAnthropicStream | ChatToResponsesStream = ChatToAnthropicStream(
                body["model"], keep_reasoning=self.server.keep_reasoning)
        elif path.endswith("/responses"):
            translated = responses_to_chat(body)
            stream = ChatToResponsesStream(body["model"], body, keep_reasoning=self.server.keep_reasoning)
        else:
            self.send_error(404)
            return
        self.server.notes.extend(translated.notes)
        if not body.get("stream"):
            self._non_streamed(body, translated.body)
            return
        request = urllib.request.Request(f"{self.server.upstream}/v1/chat/completions",
                                         data=json.dumps(translated.body).encode(),
                                         headers={"Content-Type": "application/json"})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        sent: list[SseEvent] = []
        decoder = SseDecoder()
        fail, self.server.fail_first = self.server.fail_first, None
        with urllib.request.urlopen(request, timeout=30) as upstream:
            while piece := upstream.read1(4096):
                for event in decoder.feed(piece):
                    if event.data != "[DONE]":
                        sent += self._send(stream.feed(json.loads(event.data)))
                    if fail and sent:
                        break
                if fail and sent:
                    break
        sent += self._send(stream.fail(fail, "upstream connection lost mid-stream") if fail else stream.finish())
        self.wfile.write(b"0\r\n\r\n")
        self.server.client_events.append(sent)

    def _non_streamed(self, body: dict[str, Any], chat: dict[str, Any]) -> None:
        request = urllib.request.Request(f"{self.server.upstream}/v1/chat/completions", data=json.dumps(chat).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as upstream:
            answer = json.loads(upstream.read())
        self.server.non_streamed += 1
        if "input" in body:
            self._json(chat_to_responses(answer, body["model"], body))
        else:
            self._json(chat_to_anthropic(answer, body["model"]))

    def _send(self, events: list[SseEvent]) -> list[SseEvent]:
        data = b"".join(e.encode() for e in events)
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        return events

    def _json(self, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None,
          usage: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "chatcmpl-real", "object": "chat.completion.chunk", "created": 1, "model": "up",
                           "choices": [] if usage else [{"index": 0, "delta": delta or {}, "finish_reason": finish}]}
    if usage:
        out["usage"] = usage
    return out


USAGE = {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}


def tool_turn(calls: list[tuple[str, dict[str, Any]]], reasoning: str = "") -> list[dict[str, Any]]:
    """Streamed parallel tool calls, arguments split in two fragments each (after reasoning, if any)."""
    chunks = [chunk({"role": "assistant", "reasoning_content": part}) for part in (reasoning[:6], reasoning[6:])
              if part]
    chunks.append(chunk({"role": "assistant", "content": "Looking."}))
    for index, (name, arguments) in enumerate(calls):
        text = json.dumps(arguments)
        chunks.append(chunk({"tool_calls": [{"index": index, "id": f"call_{index}", "type": "function",
                                             "function": {"name": name, "arguments": text[:5]}}]}))
        chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": text[5:]}}]}))
    return [*chunks, chunk(finish="tool_calls"), chunk(usage=USAGE)]


def text_turn(text: str) -> list[dict[str, Any]]:
    return [chunk({"role": "assistant", "content": ""}), chunk({"content": text[:4]}), chunk({"content": text[4:]}),
            chunk(finish="stop"), chunk(usage=USAGE)]


def tool_results(body: dict[str, Any]) -> list[str]:
    """The contents of the tool messages after the last assistant message that called tools."""
    messages = body["messages"]
    last_call = max((i for i, m in enumerate(messages) if m.get("tool_calls")), default=-1)
    return [m["content"] for m in messages[last_call + 1:] if m["role"] == "tool"]


@pytest.fixture
def project(isolated_home: Path) -> Path:
    workdir = isolated_home / "project"
    workdir.mkdir()
    (workdir / "notes.txt").write_text("The secret word is PAPAYA.\n")
    (workdir / "other.txt").write_text("Nothing else here.\n")
    return workdir


def answer_after_error(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert body["messages"][-1]["role"] == "user"
    return text_turn("RELAYED-AFTER-ERROR")


def run_pair(script: Script, tool: str, configure: Callable[[Relay], dict[str, str]],
             cwd: Path) -> tuple[Any, ChatOnlyProvider, Relay]:
    provider = ChatOnlyProvider(script)
    relay = Relay(provider.url)
    with serving(provider), serving(relay):
        run = _run_tool(tool, cwd, configure(relay))
    return run, provider, relay


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- Claude Code ----------------------------------------------------------------------------------------------

def claude_settings(home: Path, relay: Relay) -> dict[str, str]:
    write(home / ".claude" / "settings.json", json.dumps({"env": {
        "ANTHROPIC_BASE_URL": relay.url, "ANTHROPIC_AUTH_TOKEN": "sk-local", "ANTHROPIC_MODEL": "model-a",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}}))
    return {}


def test_claude_code_runs_parallel_tools_and_answers_through_the_translation(isolated_home: Path,
                                                                             project: Path) -> None:
    def script(body: dict[str, Any]) -> list[dict[str, Any]]:
        results = tool_results(body)
        if not results and body.get("tools"):
            return tool_turn([("Read", {"file_path": str(project / "notes.txt")}),
                              ("Read", {"file_path": str(project / "other.txt")})])
        seen = "PAPAYA" if any("PAPAYA" in r for r in results) else "NOTHING"
        both = "BOTH" if len(results) == 2 and any("Nothing else" in r for r in results) else "ONE"
        return text_turn(f"RELAYED-{seen}-{both}")

    run, provider, relay = run_pair(script, "claude-code", lambda r: claude_settings(isolated_home, r), project)
    assert run.returncode == 0, run.explain()
    assert "RELAYED-PAPAYA-BOTH" in run.stdout, run.explain()
    assert len(provider.requests) >= 2
    second = provider.requests[-1]["messages"]
    assert [m["role"] for m in second[-3:]] == ["assistant", "tool", "tool"]
    assert "cache_control dropped (prompt caching hints are Anthropic-only)" in relay.notes


# -- Codex -------------------------------------------------------------------------------------------------------

def codex_config(home: Path, relay: Relay, model: str, sandbox: str = "read-only") -> dict[str, str]:
    write(home / ".codex" / "config.toml",
          f'model = "{model}"\nmodel_provider = "relay"\nsandbox_mode = "{sandbox}"\n\n'
          '[model_providers.relay]\nname = "Relay"\n'
          f'base_url = "{relay.url}/v1"\nenv_key = "RELAY_KEY"\nwire_api = "responses"\n')
    return {"RELAY_KEY": "sk-local"}


def test_codex_runs_a_function_and_a_namespaced_call_through_the_translation(isolated_home: Path,
                                                                            project: Path) -> None:
    def script(body: dict[str, Any]) -> list[dict[str, Any]]:
        names = {t["function"]["name"] for t in body.get("tools", [])}
        results = tool_results(body)
        if not results:
            assert {"exec_command", "multi_agent_v1__wait_agent"} <= names, names
            return tool_turn([("exec_command", {"cmd": "cat notes.txt"}),
                              ("multi_agent_v1__wait_agent", {"targets": ["no-such-agent"]})])
        seen = "PAPAYA" if any("PAPAYA" in r for r in results) else "NOTHING"
        # Codex answers "unsupported call" for a call it could not route; anything else means it dispatched.
        routed = "ROUTED" if len(results) == 2 and not any("unsupported call" in r for r in results) else "LOST"
        return text_turn(f"RELAYED-{seen}-{routed}")

    run, provider, _ = run_pair(script, "codex", lambda relay: codex_config(isolated_home, relay, "model-a"),
                                project)
    assert run.returncode == 0, run.explain()
    assert "RELAYED-PAPAYA-ROUTED" in run.stdout, run.explain() + json.dumps(provider.requests[-1]["messages"][-3:])


def test_codex_applies_a_freeform_patch_through_the_translation(isolated_home: Path, project: Path) -> None:
    patch = "*** Begin Patch\n*** Add File: made-by-patch.txt\n+written through the relay\n*** End Patch\n"

    def script(body: dict[str, Any]) -> list[dict[str, Any]]:
        names = {t["function"]["name"] for t in body.get("tools", [])}
        results = tool_results(body)
        if not results:
            assert "apply_patch" in names, names
            return tool_turn([("apply_patch", {"input": patch})])
        return text_turn("RELAYED-PATCHED" if "made-by-patch.txt" in results[0] else f"RELAYED-FAILED {results}")

    run, _, relay = run_pair(script, "codex", lambda r: codex_config(isolated_home, r, "gpt-5.5", "danger-full-access"),
                             project)
    assert run.returncode == 0, run.explain()
    assert "RELAYED-PATCHED" in run.stdout, run.explain()
    assert (project / "made-by-patch.txt").read_text() == "written through the relay\n"
    assert "hosted tool 'web_search' dropped (it runs on OpenAI's servers only)" in relay.notes



# -- failures after the first byte -----------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "non_streamed"), [("overloaded", 0), ("api_error", 1)])
def test_claude_code_recovers_from_an_error_event_mid_stream(isolated_home: Path, project: Path, kind: str,
                                                             non_streamed: int) -> None:
    """overloaded_error: Claude Code retries the streamed request; any other error event: it falls back to
    one non-streamed request (so a gateway must serve both)."""
    def configure(relay: Relay) -> dict[str, str]:
        relay.fail_first = kind
        return claude_settings(isolated_home, relay)

    run, provider, relay = run_pair(answer_after_error, "claude-code", configure, project)
    assert run.returncode == 0, run.explain()
    assert "RELAYED-AFTER-ERROR" in run.stdout, run.explain()
    assert len(provider.requests) == 2
    assert relay.non_streamed == non_streamed


@pytest.mark.parametrize(("kind", "recovers", "says"), [
    ("api_error", True, "RELAYED-AFTER-ERROR"),
    ("overloaded", True, "RELAYED-AFTER-ERROR"),
    ("quota", False, "quota"),
    ("context_length", False, "context window"),
])
def test_codex_retries_a_failed_response_unless_quota_or_context_is_exhausted(
    isolated_home: Path, project: Path, kind: str, recovers: bool, says: str
) -> None:
    def configure(relay: Relay) -> dict[str, str]:
        relay.fail_first = kind
        return codex_config(isolated_home, relay, "model-a")

    run, provider, _ = run_pair(answer_after_error, "codex", configure, project)
    assert (run.returncode == 0) is recovers, run.explain()
    assert says in (run.stdout if recovers else (run.stdout + run.stderr).lower()), run.explain()
    assert len(provider.requests) == (2 if recovers else 1)


# -- reasoning round trip (keep_reasoning) ------------------------------------------------------------------

THOUGHT = "The user wants the secret; read notes.txt first."


def reasoning_kept(body: dict[str, Any]) -> str:
    """What a DeepSeek-like provider checks: the tool-calling assistant turn carries its reasoning back."""
    turns = [m for m in body["messages"] if m.get("tool_calls")]
    return "KEPT" if turns and turns[-1].get("reasoning_content") == THOUGHT else "LOST"


def test_claude_code_carries_the_reasoning_of_a_tool_turn_back(isolated_home: Path, project: Path) -> None:
    def script(body: dict[str, Any]) -> list[dict[str, Any]]:
        if not tool_results(body) and body.get("tools"):
            return tool_turn([("Read", {"file_path": str(project / "notes.txt")})], reasoning=THOUGHT)
        return text_turn(f"RELAYED-REASONING-{reasoning_kept(body)}")

    def configure(relay: Relay) -> dict[str, str]:
        relay.keep_reasoning = True
        return claude_settings(isolated_home, relay)

    run, _, _ = run_pair(script, "claude-code", configure, project)
    assert run.returncode == 0, run.explain()
    assert "RELAYED-REASONING-KEPT" in run.stdout, run.explain()


def test_codex_carries_the_reasoning_of_a_tool_turn_back(isolated_home: Path, project: Path) -> None:
    def script(body: dict[str, Any]) -> list[dict[str, Any]]:
        if not tool_results(body):
            return tool_turn([("exec_command", {"cmd": "cat notes.txt"})], reasoning=THOUGHT)
        return text_turn(f"RELAYED-REASONING-{reasoning_kept(body)}")

    def configure(relay: Relay) -> dict[str, str]:
        relay.keep_reasoning = True
        return codex_config(isolated_home, relay, "model-a")

    run, _, _ = run_pair(script, "codex", configure, project)
    assert run.returncode == 0, run.explain()
    assert "RELAYED-REASONING-KEPT" in run.stdout, run.explain()
