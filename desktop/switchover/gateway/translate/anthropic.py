"""Anthropic Messages ⇄ OpenAI Chat Completions (Claude Code in front of a Chat Completions provider).

Request mapping (``anthropic_to_chat``):
- ``system`` (string or text blocks) and any ``role: system`` messages inside ``messages`` (Claude Code
  sends its environment block that way) → one leading system message; many chat templates (Qwen's, for
  one) reject a system message anywhere else. Text blocks are joined with a blank line.
- user text/image blocks → content (a plain string when it is text only, else text/image_url parts;
  base64 images become data URLs); ``tool_result`` blocks → ``tool`` messages placed directly after the
  assistant message that made the calls (images inside a tool result follow in a user message, because
  chat tool messages carry text only); assistant ``tool_use`` → ``tool_calls`` (arguments = JSON text).
- ``tools`` → function tools (``input_schema`` → ``parameters``; ``defer_loading`` tools are offered up
  front); Anthropic's hosted tools (web search/fetch, code execution) are dropped with a note, client-side
  built-ins without a schema (bash, text_editor, computer, memory) are refused.
- ``tool_choice`` auto/any/tool/none → auto/required/function/none, ``disable_parallel_tool_use`` →
  ``parallel_tool_calls: false``; ``stop_sequences`` → ``stop``; ``max_tokens``, ``temperature``, ``top_p``
  unchanged; ``output_config.format`` (JSON schema) → ``response_format``.
- Dropped with a note: ``cache_control``, ``thinking`` config and thinking blocks, ``top_k``, ``metadata``
  (Claude Code's holds a device id), ``context_management``, ``output_config.effort``, ``service_tier``,
  unknown top-level fields. Refused (``Untranslatable``): documents, server-tool history blocks, any other
  unknown content block, ``mcp_servers``, ``container``.

Response mapping: ``finish_reason`` stop → ``end_turn``, length → ``max_tokens``, tool_calls →
``tool_use``, content_filter → ``refusal``; usage ``prompt_tokens`` minus cached → ``input_tokens``, cached →
``cache_read_input_tokens``; tool call ids are reduced to Anthropic's ``[A-Za-z0-9_-]`` (Kimi's
``functions.Read:0`` becomes ``functions_Read_0``) or made up when the provider sends none. Chat does not say
which stop sequence ended a completion, so ``stop_sequence`` is never reported (``end_turn`` instead).
A tool result's ``is_error`` becomes an ``Error:`` prefix (chat tool messages have no error flag).
``reasoning_content`` is dropped by default. With ``keep_reasoning=True`` it becomes a ``thinking`` block
signed with ``GATEWAY_SIGNATURE`` (streamed as ``thinking_delta`` + ``signature_delta``): Claude Code sends
it back with the history, and ``anthropic_to_chat`` turns such blocks into the assistant message's
``reasoning_content`` again, which providers like DeepSeek require after tool calls in thinking mode (they
answer 400 without it). Real Anthropic would reject that signature, so before a request that holds such
blocks goes to Anthropic itself, ``strip_gateway_reasoning`` removes them.
"""

from __future__ import annotations

from typing import Any

from switchover.gateway.translate.chatstream import ChatChunkReader
from switchover.gateway.translate.common import (
    ChatHistory,
    Notes,
    Translated,
    arr,
    base_id,
    dumps,
    obj,
    parse_arguments,
    safe_id,
    set_token_limit,
    sse,
)
from switchover.gateway.translate.errors import BadUpstreamResponse, Untranslatable, error_type
from switchover.gateway.translate.errors import ClientProtocol as _Protocol
from switchover.gateway.translate.reasoning import GATEWAY_SIGNATURE, reasoning_text
from switchover.gateway.translate.sse import SseEvent
from switchover.gateway.translate.usage import Usage, chat_usage

# Anthropic tools that run on Anthropic's servers: a Chat Completions provider cannot run them, and leaving
# them out only means the model cannot call them.
_HOSTED_TOOL_PREFIXES = ("web_search_", "web_fetch_", "code_execution_", "tool_search_tool_")
# Client-side tools whose schema is built into Anthropic's models: there is no schema to offer another model.
_BUILTIN_TOOL_PREFIXES = ("bash_", "text_editor_", "computer_", "memory_")

_KNOWN_FIELDS = frozenset({
    "model", "messages", "system", "max_tokens", "tools", "tool_choice", "stop_sequences", "temperature",
    "top_p", "top_k", "stream", "metadata", "thinking", "context_management", "output_config", "service_tier",
    "mcp_servers", "container",
})


def anthropic_to_chat(body: dict[str, Any], *, limit_field: str = "max_tokens",
                      limit_cap: int | None = None) -> Translated:
    """An Anthropic Messages request as a Chat Completions request (see the module docstring).

    ``limit_field`` names the chat field for ``max_tokens`` (``max_completion_tokens`` for OpenAI's reasoning
    models); ``limit_cap`` lowers a larger limit to the upstream model's maximum (noted).
    """
    if not isinstance(body, dict):
        raise Untranslatable("The request body must be a JSON object.")
    notes = Notes()
    for key in ("mcp_servers", "container"):
        if body.get(key):
            raise Untranslatable(f"'{key}' needs Anthropic's own servers; the provider serving this route "
                                 "speaks Chat Completions and cannot provide it.")
    system_parts = _system_texts(body.get("system"), notes)
    messages = _messages(body.get("messages"), system_parts, notes)
    chat: dict[str, Any] = {"model": body.get("model")}
    system = "\n\n".join(part for part in system_parts if part)
    chat["messages"] = ([{"role": "system", "content": system}] if system else []) + messages

    tools = _tools(body.get("tools"), notes)
    if tools:
        chat["tools"] = tools
    _tool_choice(body.get("tool_choice"), tools, chat)
    set_token_limit(chat, body.get("max_tokens"), limit_field, limit_cap, notes)
    for key in ("temperature", "top_p"):
        if body.get(key) is not None:
            chat[key] = body[key]
    stops = body.get("stop_sequences")
    if stops:
        chat["stop"] = list(stops)
    if body.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}
    _output_config(body.get("output_config"), chat, notes)

    if body.get("top_k") is not None:
        notes.add("top_k dropped (Chat Completions has no top_k)")
    if body.get("thinking"):
        notes.add("thinking config dropped (Chat Completions has no thinking budget)")
    if body.get("metadata"):
        notes.add("metadata dropped (Claude Code's user_id holds a device id; not forwarded)")
    if body.get("context_management"):
        notes.add("context_management dropped (Anthropic-side context editing)")
    if body.get("service_tier"):
        notes.add("service_tier dropped")
    for key in sorted(set(body) - _KNOWN_FIELDS):
        notes.add(f"unknown request field '{key}' dropped")
    return Translated(chat, notes.result())


def _system_texts(system: object, notes: Notes) -> list[str]:
    if system is None:
        return []
    if isinstance(system, str):
        return [system]
    if not isinstance(system, list):
        raise Untranslatable("'system' must be a string or a list of text blocks.")
    texts = []
    for block in system:
        if not isinstance(block, dict) or block.get("type") != "text":
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            raise Untranslatable(f"A system block of type '{kind}' cannot be sent to a Chat Completions provider.")
        _note_cache_control(block, notes)
        texts.append(str(block.get("text", "")))
    return ["\n\n".join(texts)] if texts else []


def _note_cache_control(block: dict[str, Any], notes: Notes) -> None:
    if "cache_control" in block:
        notes.add("cache_control dropped (prompt caching hints are Anthropic-only)")


def _messages(raw: object, system_parts: list[str], notes: Notes) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise Untranslatable("'messages' must be a list.")
    history = ChatHistory(notes)
    for message in raw:
        if not isinstance(message, dict):
            raise Untranslatable("Each message must be a JSON object.")
        role = message.get("role")
        content = message.get("content")
        if role == "system":
            system_parts.extend(_system_texts(content, notes))
            notes.add("mid-conversation system message moved into the system prompt")
        elif role == "assistant":
            _assistant(content, history, notes)
        elif role == "user":
            _user(content, history, notes)
        else:
            raise Untranslatable(f"Unknown message role '{role}'.")
    return history.finish()


def _assistant(content: object, history: ChatHistory, notes: Notes) -> None:
    if isinstance(content, str):
        history.assistant_text(content)
        return
    if not isinstance(content, list):
        raise Untranslatable("Message content must be a string or a list of blocks.")
    texts: list[str] = []
    calls: list[tuple[str, str, str]] = []
    for block in content:
        if not isinstance(block, dict):
            raise Untranslatable("Each content block must be a JSON object.")
        _note_cache_control(block, notes)
        kind = block.get("type")
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "tool_use":
            calls.append((str(block.get("id", "")), str(block.get("name", "")), dumps(block.get("input", {}))))
        elif kind == "thinking" and block.get("signature") == GATEWAY_SIGNATURE:
            history.reasoning(str(block.get("thinking", "")))
        elif kind in ("thinking", "redacted_thinking"):
            notes.add("thinking blocks dropped from the history (only Anthropic can read them)")
        else:
            raise Untranslatable(_block_refusal(kind, "an assistant message"))
    text = "\n\n".join(t for t in texts if t)
    if calls:
        history.assistant_calls(text, calls)
    elif text or texts:
        history.assistant_text(text)


def _block_refusal(kind: object, where: str) -> str:
    if kind == "document":
        return "Documents (PDF/text attachments) cannot be sent to a Chat Completions provider."
    if kind in ("server_tool_use", "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
                "mcp_tool_use", "mcp_tool_result", "container_upload", "search_result"):
        return (f"This conversation holds a '{kind}' block produced by Anthropic's own servers; a Chat "
                "Completions provider cannot continue it. Start a new session.")
    return f"A content block of type '{kind}' in {where} cannot be translated to Chat Completions."


def _image_part(block: dict[str, Any]) -> dict[str, Any]:
    source = block.get("source")
    if not isinstance(source, dict):
        raise Untranslatable("An image block needs a 'source'.")
    if source.get("type") == "base64":
        url = f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    elif source.get("type") == "url":
        url = str(source.get("url", ""))
    else:
        raise Untranslatable(f"Image source type '{source.get('type')}' cannot be sent to a Chat Completions "
                             "provider (only base64 and url images can).")
    return {"type": "image_url", "image_url": {"url": url}}


def _user(content: object, history: ChatHistory, notes: Notes) -> None:
    if isinstance(content, str):
        history.add({"role": "user", "content": content})
        return
    if not isinstance(content, list):
        raise Untranslatable("Message content must be a string or a list of blocks.")
    parts: list[dict[str, Any]] = []
    for block in content:
        if not isinstance(block, dict):
            raise Untranslatable("Each content block must be a JSON object.")
        _note_cache_control(block, notes)
        kind = block.get("type")
        if kind == "text":
            parts.append({"type": "text", "text": str(block.get("text", ""))})
        elif kind == "image":
            parts.append(_image_part(block))
        elif kind == "tool_result":
            text, images = _tool_result(block, notes)
            history.result(str(block.get("tool_use_id", "")), text, images)
        elif kind in ("thinking", "redacted_thinking"):
            notes.add("thinking blocks dropped from the history (only Anthropic can read them)")
        else:
            raise Untranslatable(_block_refusal(kind, "a user message"))
    if parts:
        history.add({"role": "user", "content": _collapse(parts)})


def _collapse(parts: list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Text-only content as one string: every chat provider accepts that, not all accept part lists."""
    if all(part["type"] == "text" for part in parts):
        return "\n\n".join(part["text"] for part in parts)
    return parts


def _tool_result(block: dict[str, Any], notes: Notes) -> tuple[str, list[dict[str, Any]]]:
    content = block.get("content")
    texts: list[str] = []
    images: list[dict[str, Any]] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for item in content:
            if not isinstance(item, dict):
                raise Untranslatable("Each tool result block must be a JSON object.")
            _note_cache_control(item, notes)
            kind = item.get("type")
            if kind == "text":
                texts.append(str(item.get("text", "")))
            elif kind == "image":
                images.append(_image_part(item))
            elif kind == "tool_reference":
                texts.append(f"(tool {item.get('tool_name', '')} is available)")
                notes.add("deferred tools are offered up front; tool_reference results became text")
            else:
                raise Untranslatable(_block_refusal(kind, "a tool result"))
    elif content is not None:
        raise Untranslatable("A tool result's content must be a string or a list of blocks.")
    text = "\n\n".join(texts)
    if block.get("is_error"):
        text = f"Error: {text}" if text else "Error"
    return text, images


def _tools(raw: object, notes: Notes) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Untranslatable("'tools' must be a list.")
    tools = []
    for tool in raw:
        if not isinstance(tool, dict):
            raise Untranslatable("Each tool must be a JSON object.")
        kind = tool.get("type")
        name = str(tool.get("name", ""))
        if kind not in (None, "custom"):
            if str(kind).startswith(_HOSTED_TOOL_PREFIXES):
                notes.add(f"hosted tool '{name or kind}' dropped (it runs on Anthropic's servers only)")
                continue
            if str(kind).startswith(_BUILTIN_TOOL_PREFIXES):
                raise Untranslatable(f"The built-in tool '{kind}' has no schema another model could use; "
                                     "it works only with Anthropic's models.")
            raise Untranslatable(f"The tool type '{kind}' cannot be offered to a Chat Completions provider.")
        _note_cache_control(tool, notes)
        if tool.get("defer_loading"):
            notes.add("deferred tools are offered up front; tool_reference results became text")
        function: dict[str, Any] = {"name": name}
        if tool.get("description"):
            function["description"] = tool["description"]
        function["parameters"] = tool.get("input_schema") or {"type": "object", "properties": {}}
        tools.append({"type": "function", "function": function})
    return tools


def _tool_choice(raw: object, tools: list[dict[str, Any]], chat: dict[str, Any]) -> None:
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise Untranslatable("'tool_choice' must be an object.")
    kind = raw.get("type")
    if raw.get("disable_parallel_tool_use") and tools:
        chat["parallel_tool_calls"] = False
    if kind == "auto":
        if tools:
            chat["tool_choice"] = "auto"
    elif kind == "none":
        if tools:
            chat["tool_choice"] = "none"
    elif kind == "any":
        if not tools:
            raise Untranslatable("tool_choice 'any' needs at least one tool the provider can run.")
        chat["tool_choice"] = "required"
    elif kind == "tool":
        name = raw.get("name")
        if not any(t["function"]["name"] == name for t in tools):
            raise Untranslatable(f"tool_choice names the tool '{name}', which this provider cannot run.")
        chat["tool_choice"] = {"type": "function", "function": {"name": name}}
    else:
        raise Untranslatable(f"Unknown tool_choice type '{kind}'.")


def _output_config(raw: object, chat: dict[str, Any], notes: Notes) -> None:
    if not isinstance(raw, dict):
        return
    if raw.get("effort") is not None:
        notes.add("output_config.effort dropped (no portable equivalent in Chat Completions)")
    fmt = raw.get("format")
    if isinstance(fmt, dict):
        if fmt.get("type") != "json_schema":
            raise Untranslatable(f"Output format '{fmt.get('type')}' cannot be translated to Chat Completions.")
        chat["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "output", "schema": fmt.get("schema", {}), "strict": True},
        }
    for key in sorted(set(raw) - {"effort", "format"}):
        notes.add(f"unknown output_config field '{key}' dropped")


# -- responses --------------------------------------------------------------------------------------------------

_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "function_call": "tool_use",
                 "content_filter": "refusal"}


def _stop_reason(finish_reason: object, has_tool_calls: bool) -> str:
    if has_tool_calls and finish_reason in (None, "stop", "tool_calls", "function_call"):
        return "tool_use"  # some providers say "stop" after tool calls; Claude Code needs tool_use to run them
    return _STOP_REASONS.get(str(finish_reason), "end_turn")


def _anthropic_usage(usage: Usage | None) -> dict[str, int]:
    usage = usage or Usage()
    return {
        "input_tokens": max(usage.input_tokens - usage.cached_input_tokens - usage.cache_write_input_tokens, 0),
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_write_input_tokens,
        "cache_read_input_tokens": usage.cached_input_tokens,
    }


def _tool_input(arguments: object, name: str) -> dict[str, Any]:
    parsed = parse_arguments(arguments)
    if parsed is None:
        raise BadUpstreamResponse(f"The upstream model returned malformed arguments for the tool '{name}'.")
    return parsed


def chat_to_anthropic(resp: dict[str, Any], model: str, *, keep_reasoning: bool = False) -> dict[str, Any]:
    """A non-streamed Chat Completions response as an Anthropic Messages response for ``model``
    (``keep_reasoning``: see the module docstring)."""
    choices = resp.get("choices") if isinstance(resp, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise BadUpstreamResponse("The upstream answered without a completion choice.")
    choice = choices[0]
    message = obj(choice.get("message"))
    stem = base_id(resp.get("id"))
    content: list[dict[str, Any]] = []
    thought = reasoning_text(message)
    if keep_reasoning and thought:
        content.append({"type": "thinking", "thinking": thought, "signature": GATEWAY_SIGNATURE})
    text = message.get("content")
    if isinstance(text, list):  # a few providers answer with parts
        text = "".join(str(p.get("text", "")) for p in text if isinstance(p, dict))
    if isinstance(text, str) and text:
        content.append({"type": "text", "text": text})
    calls = arr(message.get("tool_calls"))
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise BadUpstreamResponse("The upstream returned a tool call without a function.")
        name = str(function.get("name", ""))
        content.append({
            "type": "tool_use",
            "id": safe_id(call.get("id"), "toolu_", f"{stem}_{index}"),
            "name": name,
            "input": _tool_input(function.get("arguments"), name),
        })
    if not content:
        content.append({"type": "text", "text": ""})
    return {
        "id": f"msg_{stem}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _stop_reason(choice.get("finish_reason"), bool(calls)),
        "stop_sequence": None,
        "usage": _anthropic_usage(chat_usage(resp.get("usage"))),
    }


class ChatToAnthropicStream(ChatChunkReader):
    """Turns a Chat Completions chunk stream into Anthropic's event sequence for ``model``.

    ``message_start`` comes before anything else (with zero input tokens: chat reports usage only at the
    end; the real figures follow in ``message_delta.usage``, which Anthropic's clients merge). Text deltas
    go into a text block; each streamed tool call (keyed by its ``index``, or a new ``id`` at the same index,
    which some providers send) becomes its own ``tool_use`` block fed by ``input_json_delta``. Blocks never
    overlap: a block is stopped before the next starts. Should an upstream interleave fragments of two tool
    calls, the stream fails with an error event rather than invent a result.
    """

    def __init__(self, model: str, *, keep_reasoning: bool = False) -> None:
        self.model = model
        self.keep_reasoning = keep_reasoning
        self._started = False
        self._closed = False
        self._stem = ""
        self._index = -1  # index of the open content block, -1 when none is open
        self._open: str | None = None  # "text", "thinking" or "tool"
        self._tool_key: tuple[int, str] | None = None  # (upstream index, id) of the open tool call
        self._tool_args_sent = False
        self._seen_tools: set[tuple[int, str]] = set()
        self._tool_count = 0
        self._finish: object = None
        self._saw_finish = False
        self._usage: Usage | None = None

    # -- public -----------------------------------------------------------------------------------------------
    def ping(self) -> list[SseEvent]:
        """A keep-alive ``ping`` (after ``message_start``, which it sends first if nothing was sent yet)."""
        if self._closed:
            return []
        return [*self._start(), sse("ping", {"type": "ping"})]

    def finish(self) -> list[SseEvent]:
        if self._closed:
            return []
        events = [*self._start(), *self._stop_block()]
        self._closed = True
        usage = _anthropic_usage(self._usage)
        events.append(sse("message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": _stop_reason(self._finish, self._tool_count > 0), "stop_sequence": None},
            "usage": usage,
        }))
        events.append(sse("message_stop", {"type": "message_stop"}))
        return events

    def fail(self, kind: str, message: str) -> list[SseEvent]:
        """An Anthropic ``error`` event ending the stream (Claude Code shows it and may retry the turn)."""
        if self._closed:
            return []
        self._closed = True
        return [sse("error", {"type": "error",
                              "error": {"type": error_type(_Protocol.ANTHROPIC, kind), "message": message}})]

    @property
    def usage(self) -> Usage | None:
        return self._usage

    @property
    def saw_finish_reason(self) -> bool:
        """Whether the upstream sent a ``finish_reason`` (a stream that ends without one was cut short)."""
        return self._saw_finish

    # -- internals --------------------------------------------------------------------------------------------
    def _start(self) -> list[SseEvent]:
        if self._started:
            return []
        self._started = True
        if not self._stem:
            self._stem = base_id(None)
        return [sse("message_start", {"type": "message_start", "message": {
            "id": f"msg_{self._stem}", "type": "message", "role": "assistant", "model": self.model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": _anthropic_usage(None)}})]

    def _stop_block(self) -> list[SseEvent]:
        if self._open is None:
            return []
        events = []
        if self._open == "tool" and not self._tool_args_sent:
            events.append(self._json_delta("{}"))
        if self._open == "thinking":
            events.append(sse("content_block_delta", {"type": "content_block_delta", "index": self._index,
                                                      "delta": {"type": "signature_delta",
                                                                "signature": GATEWAY_SIGNATURE}}))
        events.append(sse("content_block_stop", {"type": "content_block_stop", "index": self._index}))
        self._open = None
        self._tool_key = None
        return events

    def _text_events(self, text: str) -> list[SseEvent]:
        return self._block_delta("text", {"type": "text", "text": ""}, {"type": "text_delta", "text": text})

    def _reasoning_events(self, text: str) -> list[SseEvent]:
        return self._block_delta("thinking", {"type": "thinking", "thinking": "", "signature": ""},
                                 {"type": "thinking_delta", "thinking": text})

    def _block_delta(self, kind: str, block: dict[str, Any], delta: dict[str, Any]) -> list[SseEvent]:
        """A delta of a `kind` block, opening one first (and closing the open block) unless it is open."""
        events: list[SseEvent] = []
        if self._open != kind:
            events.extend(self._stop_block())
            self._index += 1
            self._open = kind
            events.append(sse("content_block_start", {"type": "content_block_start", "index": self._index,
                                                      "content_block": block}))
        events.append(sse("content_block_delta", {"type": "content_block_delta", "index": self._index,
                                                  "delta": delta}))
        return events

    def _json_delta(self, partial: str) -> SseEvent:
        self._tool_args_sent = True
        return sse("content_block_delta", {"type": "content_block_delta", "index": self._index,
                                           "delta": {"type": "input_json_delta", "partial_json": partial}})

    def _tool(self, call: dict[str, Any]) -> list[SseEvent] | None:
        part = self._tool_call_part(call)
        if part is None:
            return None  # a fragment for a tool call whose block is already closed
        key, call_id, function, arguments = part
        events: list[SseEvent] = []
        if key is not None:
            events.extend(self._stop_block())
            self._seen_tools.add(key)
            self._index += 1
            self._open = "tool"
            self._tool_key = key
            self._tool_args_sent = False
            tool_id = safe_id(call_id, "toolu_", f"{self._stem}_{self._tool_count}")
            self._tool_count += 1
            events.append(sse("content_block_start", {"type": "content_block_start", "index": self._index,
                                                      "content_block": {"type": "tool_use", "id": tool_id,
                                                                        "name": str(function.get("name", "")),
                                                                        "input": {}}}))
        if arguments:
            events.append(self._json_delta(arguments))
        return events
