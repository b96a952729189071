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


class ChatChunkReader:
    keep_reasoning: bool
    _closed: bool
    _stem: str
    _usage: Usage | None
    _finish: Any
    _saw_finish: bool

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
