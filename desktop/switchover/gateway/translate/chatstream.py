"""Reading a Chat Completions chunk stream: the part that is the same whatever the client's protocol.

`ChatToAnthropicStream` and `ChatToResponsesStream` both take the upstream's chunks one by one: an error object
in the stream ends it, the first chunk id names the answer, usage may come in any chunk, and choice 0's delta
carries reasoning, text and tool-call fragments, then a finish reason. `ChatChunkReader.feed` does that once;
each stream says what its client gets through the hooks (`_start`, `_reasoning_events`, `_text_events`,
`_tool`, `fail`, and `_chunk_seen` for anything else it keeps from a chunk).
"""

from __future__ import annotations

from typing import Any

from switchover.gateway.translate.common import arr, base_id, obj
from switchover.gateway.translate.reasoning import reasoning_text
from switchover.gateway.translate.sse import SseEvent
from switchover.gateway.translate.usage import Usage, chat_usage

INTERLEAVED = ("The upstream interleaved the arguments of parallel tool calls; this gateway cannot reorder them "
               "mid-stream.")


ToolKey = tuple[int, str]  # (the call's index in the chunk, its id or a made-up one)


class ChatChunkReader:
    keep_reasoning: bool
    _closed: bool
    _stem: str
    _usage: Usage | None
    _finish: Any
    _saw_finish: bool
    _tool_key: ToolKey | None  # the tool call being streamed
    _seen_tools: set[ToolKey]
    _tool_count: int

    def feed(self, chunk: dict[str, Any]) -> list[SseEvent]:
        """The client's events for one upstream chunk."""
        if self._closed or not isinstance(chunk, dict):
            return []
        if isinstance(chunk.get("error"), dict):
            return self.fail("api_error", str(chunk["error"].get("message") or "The upstream reported an error."))
        if not self._stem and chunk.get("id"):
            self._stem = base_id(chunk.get("id"))
        self._chunk_seen(chunk)
        events = self._start()
        usage = chat_usage(chunk.get("usage"))
        if usage is not None:
            self._usage = usage
        for choice in arr(chunk.get("choices")):
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = obj(choice.get("delta"))
            thought = reasoning_text(delta)
            if thought and self.keep_reasoning:
                events.extend(self._reasoning_events(thought))
            text = delta.get("content")
            if isinstance(text, str) and text:
                events.extend(self._text_events(text))
            for call in arr(delta.get("tool_calls")):
                if isinstance(call, dict):
                    fragment = self._tool(call)
                    if fragment is None:
                        return events + self.fail("api_error", INTERLEAVED)
                    events.extend(fragment)
            if choice.get("finish_reason"):
                self._finish = choice["finish_reason"]
                self._saw_finish = True
        return events

    def _tool_call_part(self, call: dict[str, Any]) -> tuple[ToolKey | None, str | None, dict[str, Any], str] | None:
        """Where a tool-call fragment belongs: (the key of the call it opens, None when it continues the open
        one; its id; its function; its argument text), or None for a fragment of a call already closed."""
        position = call.get("index", 0)
        position = position if isinstance(position, int) else 0
        call_id = call.get("id") if isinstance(call.get("id"), str) and call.get("id") else None
        function = obj(call.get("function"))
        arguments = function.get("arguments")
        current = self._tool_key
        key: ToolKey | None = None
        if not (current is not None and current[0] == position and (call_id is None or call_id == current[1])):
            key = (position, call_id or f"{self._stem}_{self._tool_count}")
            if key in self._seen_tools or (call_id is None and any(k[0] == position for k in self._seen_tools)):
                return None
        return key, call_id, function, arguments if isinstance(arguments, str) else ""

    # -- what each client's stream provides
    def fail(self, kind: str, message: str) -> list[SseEvent]:
        raise NotImplementedError

    def _chunk_seen(self, chunk: dict[str, Any]) -> None:
        """Anything else the stream keeps from a chunk (e.g. its creation time)."""

    def _start(self) -> list[SseEvent]:
        raise NotImplementedError

    def _reasoning_events(self, text: str) -> list[SseEvent]:
        raise NotImplementedError

    def _text_events(self, text: str) -> list[SseEvent]:
        raise NotImplementedError

    def _tool(self, call: dict[str, Any]) -> list[SseEvent] | None:
        """The events of one tool-call fragment; None when it cannot be placed (interleaved arguments)."""
        raise NotImplementedError
