"""What every translation returns, and small helpers shared by both directions."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from switchover.core import safejson
from switchover.gateway.translate.errors import Untranslatable
from switchover.gateway.translate.sse import SseEvent


@dataclass(frozen=True, slots=True)
class Translated:
    """A translated request: ``body`` is the Chat Completions request (the model id unchanged: aliasing is
    the gateway's job), ``notes`` say what was deliberately left out (e.g. ``cache_control``) so the gateway
    can log it. Anything that would change the meaning of the request raises ``Untranslatable`` instead."""

    body: dict[str, Any]
    notes: tuple[str, ...] = field(default=())


class Notes:
    """Collects notes once each, in the order they first occurred."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}

    def add(self, note: str) -> None:
        self._seen.setdefault(note, None)

    def result(self) -> tuple[str, ...]:
        return tuple(self._seen)


def dumps(value: Any) -> str:
    """Compact JSON with non-ASCII kept as is (what providers send, and cheaper than escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse(event: str | None, payload: dict[str, Any]) -> SseEvent:
    return SseEvent(event, dumps(payload))


_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def safe_id(raw: object, prefix: str, fallback: str) -> str:
    """An id made of ``[A-Za-z0-9_-]`` only (Anthropic rejects others when a session later goes back to it).

    Chat providers hand out ids like ``functions.Read:0`` (Kimi) or none at all; ``fallback`` is used when
    nothing usable is left, so the result is deterministic for a given upstream response.
    """
    text = _ID_UNSAFE.sub("_", raw) if isinstance(raw, str) else ""
    if not text.strip("_"):
        return f"{prefix}{fallback}"
    return text


def base_id(raw: object) -> str:
    """A short id stem from an upstream id (``chatcmpl-abc`` → ``abc``), random when there is none."""
    text = _NOT_ALNUM.sub("", raw) if isinstance(raw, str) else ""
    for stem in ("chatcmpl", "resp", "msg"):
        if text.startswith(stem) and len(text) > len(stem):
            text = text[len(stem):]
            break
    return text[:48] if text else uuid.uuid4().hex[:24]


TOKEN_LIMIT_FIELDS = ("max_tokens", "max_completion_tokens")


def set_token_limit(chat: dict[str, Any], value: object, field: str, cap: int | None, notes: Notes) -> None:
    """Put the client's output-token limit into ``chat`` under ``field``, lowered to ``cap`` if it is higher.

    Why the options: OpenAI's reasoning models accept only ``max_completion_tokens`` and several providers
    reject a limit above their model's maximum (DeepSeek's chat models: 8K) where Anthropic clients ask for
    32K; the gateway knows the upstream and passes both.
    """
    if field not in TOKEN_LIMIT_FIELDS:
        raise ValueError(f"unknown token limit field {field!r}")
    if value is None:
        return
    if cap is not None and isinstance(value, int) and value > cap:
        notes.add(f"output token limit {value} lowered to the upstream's maximum {cap}")
        value = cap
    chat[field] = value


def obj(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one (upstream JSON is never trusted to be well formed)."""
    return value if isinstance(value, dict) else {}


def arr(value: object) -> list[Any]:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def parse_arguments(arguments: object) -> dict[str, Any] | None:
    """Tool-call arguments (a JSON string in Chat Completions) as an object; ``{}`` for an empty string,
    None when they are not a JSON object."""
    if isinstance(arguments, dict):
        return arguments
    if not isinstance(arguments, str):
        return None
    if not arguments.strip():
        return {}
    try:
        value = safejson.loads(arguments)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class ChatHistory:
    """Builds the chat messages, keeping every tool message directly after its assistant message."""

    def __init__(self, notes: Notes) -> None:
        self.notes = notes
        self.messages: list[dict[str, Any]] = []
        self.call_owner: dict[str, dict[str, Any]] = {}  # call id → the assistant message that made the call
        self.answered: set[str] = set()
        self.assistant_open = False  # the last message is an assistant message calls may still join
        self.pending_reasoning: list[str] = []  # reasoning waiting for the assistant message it belongs to

    def add(self, message: dict[str, Any]) -> None:
        if message["role"] == "assistant" and self.pending_reasoning:
            message["reasoning_content"] = "\n\n".join(self.pending_reasoning)
        self.pending_reasoning = []
        self.messages.append(message)
        self.assistant_open = message["role"] == "assistant"

    def reasoning(self, text: str) -> None:
        """Reasoning of the next assistant message (or of the open one, when calls are still joining it)."""
        if text:
            self.pending_reasoning.append(text)

    def assistant_text(self, text: str) -> None:
        self.add({"role": "assistant", "content": text})

    def assistant_calls(self, text: str, calls: list[tuple[str, str, str]]) -> None:
        """One whole assistant turn: its text and its (id, name, arguments) calls."""
        self.add({"role": "assistant", "content": text or None})
        for call in calls:
            self.call(*call)

    def call(self, call_id: str, name: str, arguments: str) -> None:
        if call_id in self.call_owner:
            raise Untranslatable(f"Two tool calls share the id '{call_id}'.")
        if self.assistant_open:
            message = self.messages[-1]
            if self.pending_reasoning:
                earlier = message.get("reasoning_content")
                message["reasoning_content"] = "\n\n".join([earlier, *self.pending_reasoning] if earlier else
                                                            self.pending_reasoning)
                self.pending_reasoning = []
        else:
            message = {"role": "assistant", "content": None}
            self.add(message)
        if message.get("content") == "":
            message["content"] = None
        message.setdefault("tool_calls", []).append(
            {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}})
        self.call_owner[call_id] = message

    def result(self, call_id: str, text: str, images: list[dict[str, Any]]) -> None:
        owner = self.call_owner.get(call_id)
        if owner is None or call_id in self.answered:
            self.notes.add("a tool output without a matching call was sent as a user message")
            self.add({"role": "user", "content": f"Output of tool call {call_id}:\n{text}"})
            return
        self.answered.add(call_id)
        position = next(i for i, m in enumerate(self.messages) if m is owner) + 1
        while position < len(self.messages) and self.messages[position]["role"] == "tool":
            position += 1
        self.messages.insert(position, {"role": "tool", "tool_call_id": call_id, "content": text})
        if position == len(self.messages) - 1:
            self.assistant_open = False
        if images:
            self.notes.add("images returned by a tool were sent in a user message after the tool results")
            self.messages.insert(position + 1, {"role": "user", "content": [
                {"type": "text", "text": f"Images returned by tool call {call_id}:"}, *images]})

    def finish(self) -> list[dict[str, Any]]:
        for call_id in list(self.call_owner):
            if call_id not in self.answered:
                self.notes.add("a tool call without a result got a placeholder result")
                self.result(call_id, "(no result: the call was not completed)", [])
        return self.messages
