"""Token usage of a response in any of the three protocols, non-streamed and streamed.

One normalised shape for spend counting: ``input_tokens`` counts every input token the provider processed
(cache reads and cache writes included, unlike Anthropic's own ``input_tokens``), ``cached_input_tokens`` and
``cache_write_input_tokens`` say which part of it was read from or written to the prompt cache,
``output_tokens`` includes ``reasoning_tokens``.

Providers spell cached tokens differently: OpenAI ``prompt_tokens_details.cached_tokens``, DeepSeek
``prompt_cache_hit_tokens``, Moonshot a top-level ``cached_tokens``; all three are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchover.core import safejson
from switchover.gateway.translate.errors import ClientProtocol
from switchover.gateway.translate.sse import SseDecoder, SseEvent


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def chat_usage(usage: object) -> Usage | None:
    """A Chat Completions ``usage`` object, normalised."""
    if not isinstance(usage, dict):
        return None
    cached = (
        _int(_dict(usage.get("prompt_tokens_details")).get("cached_tokens"))
        or _int(usage.get("prompt_cache_hit_tokens"))
        or _int(usage.get("cached_tokens"))
    )
    return Usage(
        input_tokens=_int(usage.get("prompt_tokens")),
        output_tokens=_int(usage.get("completion_tokens")),
        cached_input_tokens=cached,
        reasoning_tokens=_int(_dict(usage.get("completion_tokens_details")).get("reasoning_tokens")),
    )


def anthropic_usage(usage: object) -> Usage | None:
    """An Anthropic ``usage`` object, normalised (its ``input_tokens`` excludes cache reads and writes)."""
    if not isinstance(usage, dict):
        return None
    read = _int(usage.get("cache_read_input_tokens"))
    write = _int(usage.get("cache_creation_input_tokens"))
    return Usage(
        input_tokens=_int(usage.get("input_tokens")) + read + write,
        output_tokens=_int(usage.get("output_tokens")),
        cached_input_tokens=read,
        cache_write_input_tokens=write,
    )


def responses_usage(usage: object) -> Usage | None:
    """A Responses ``usage`` object, normalised."""
    if not isinstance(usage, dict):
        return None
    return Usage(
        input_tokens=_int(usage.get("input_tokens")),
        output_tokens=_int(usage.get("output_tokens")),
        cached_input_tokens=_int(_dict(usage.get("input_tokens_details")).get("cached_tokens")),
        reasoning_tokens=_int(_dict(usage.get("output_tokens_details")).get("reasoning_tokens")),
    )


def usage_of(protocol: ClientProtocol, response: dict[str, Any]) -> Usage | None:
    """The usage a non-streamed response of ``protocol`` reports (None when it reports none)."""
    if not isinstance(response, dict):
        return None
    usage = response.get("usage")
    if protocol is ClientProtocol.ANTHROPIC:
        return anthropic_usage(usage)
    if protocol is ClientProtocol.RESPONSES:
        return responses_usage(usage)
    return chat_usage(usage)


# The only Anthropic / Responses events that carry usage: everything else is skipped without parsing JSON,
# so watching a passthrough stream costs next to nothing per chunk.
_ANTHROPIC_USAGE_EVENTS = frozenset({"message_start", "message_delta"})
_RESPONSES_USAGE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


class UsageTap:
    """Watches a passthrough stream of ``protocol`` and reports its usage at the end.

    Feed it the raw body chunks (``feed_bytes``) or already decoded events (``feed_event``); ``usage`` is the
    best figure seen so far and final once the stream ended (None if the upstream reported none).
    Anthropic reports input tokens in ``message_start`` and the output count in ``message_delta``; Chat
    Completions in the chunk that carries ``usage`` (requires ``stream_options.include_usage``); Responses in
    its final ``response.*`` event.
    """

    def __init__(self, protocol: ClientProtocol) -> None:
        self.protocol = protocol
        self._decoder = SseDecoder()
        self._usage: Usage | None = None

    def feed_bytes(self, chunk: bytes) -> None:
        for event in self._decoder.feed(chunk):
            self.feed_event(event)

    def close(self) -> None:
        """End of body: an event the upstream left without its closing blank line still counts."""
        for event in self._decoder.close():
            self.feed_event(event)

    def feed_event(self, event: SseEvent) -> None:
        data = event.data
        if self.protocol is ClientProtocol.CHAT:
            if '"usage"' not in data:
                return
            payload = _loads(data)
            found = chat_usage(payload.get("usage"))
            if found is not None:
                self._usage = found
            return
        name = event.event
        if self.protocol is ClientProtocol.ANTHROPIC:
            if name is not None and name not in _ANTHROPIC_USAGE_EVENTS:
                return
            payload = _loads(data)
            kind = payload.get("type")
            if kind == "message_start":
                self._usage = anthropic_usage(_dict(payload.get("message")).get("usage"))
            elif kind == "message_delta":
                self._merge_anthropic_delta(_dict(payload.get("usage")))
            return
        if name is not None and name not in _RESPONSES_USAGE_EVENTS:
            return
        payload = _loads(data)
        if payload.get("type") in _RESPONSES_USAGE_EVENTS:
            found = responses_usage(_dict(payload.get("response")).get("usage"))
            if found is not None:
                self._usage = found

    def _merge_anthropic_delta(self, delta: dict[str, Any]) -> None:
        """``message_delta.usage`` holds cumulative counts; any field it has replaces the start's."""
        start = self._usage or Usage()
        uncached = start.input_tokens - start.cached_input_tokens - start.cache_write_input_tokens
        read = _int(delta["cache_read_input_tokens"]) if "cache_read_input_tokens" in delta else (
            start.cached_input_tokens)
        write = _int(delta["cache_creation_input_tokens"]) if "cache_creation_input_tokens" in delta else (
            start.cache_write_input_tokens)
        if "input_tokens" in delta and delta["input_tokens"] is not None:
            uncached = _int(delta["input_tokens"])
        output = _int(delta["output_tokens"]) if "output_tokens" in delta else start.output_tokens
        self._usage = Usage(input_tokens=uncached + read + write, output_tokens=output, cached_input_tokens=read,
                            cache_write_input_tokens=write)

    @property
    def usage(self) -> Usage | None:
        return self._usage


def _loads(data: str) -> dict[str, Any]:
    try:
        value = safejson.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
