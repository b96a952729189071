"""The server's `Translation`, made of `switchover.gateway.translate` (pure) plus the byte-level plumbing:
SSE decoding of the upstream's chat stream, encoding of the client's events, usage readers for passthrough.
"""

from __future__ import annotations

from typing import Any

from switchover.core import safejson
from switchover.core.providers import Protocol
from switchover.gateway import translate
from switchover.gateway.errors import client_of
from switchover.gateway.interfaces import StreamTranslator, TranslationRefused, UsageReader
from switchover.gateway.translate.usage import Usage


class _ChatStream:
    """Chat Completions SSE bytes in, the client's SSE bytes out."""

    def __init__(self, inner: translate.ChatToAnthropicStream | translate.ChatToResponsesStream):
        self._inner = inner
        self._decoder = translate.SseDecoder()

    def _events(self, events: list[translate.SseEvent]) -> bytes:
        out: list[translate.SseEvent] = []
        for event in events:
            if event.data.strip() == "[DONE]":
                continue
            try:
                chunk = safejson.loads(event.data)
            except ValueError:
                continue
            if isinstance(chunk, dict):
                out.extend(self._inner.feed(chunk))
        return b"".join(e.encode() for e in out)

    def feed(self, chunk: bytes) -> bytes:
        return self._events(self._decoder.feed(chunk))

    def finish(self) -> bytes:
        tail = self._events(self._decoder.close())
        return tail + b"".join(e.encode() for e in self._inner.finish())

    def fail(self, kind: str, message: str) -> bytes:
        return b"".join(e.encode() for e in self._inner.fail(kind, message))

    @property
    def usage(self) -> Usage | None:
        return self._inner.usage


class _JsonUsage:
    """Usage of a non-streamed answer relayed unchanged (the body is kept only up to the server's cap)."""

    def __init__(self, protocol: Protocol):
        self._protocol = protocol
        self._chunks: list[bytes] = []

    def feed_bytes(self, chunk: bytes) -> None:
        self._chunks.append(chunk)

    @property
    def usage(self) -> Usage | None:
        try:
            data = safejson.loads(b"".join(self._chunks))
        except ValueError:
            return None
        return translate.usage_of(client_of(self._protocol), data) if isinstance(data, dict) else None


class LibraryTranslation:
    def request(self, client: Protocol, payload: dict[str, Any], model: str) -> dict[str, Any]:
        try:
            if client is Protocol.ANTHROPIC:
                translated = translate.anthropic_to_chat(payload)
            elif client is Protocol.OPENAI_RESPONSES:
                translated = translate.responses_to_chat(payload)
            else:
                raise TranslationRefused(f"the gateway does not translate {client.value} requests")
        except translate.Untranslatable as exc:
            raise TranslationRefused(exc.message) from None
        return {**translated.body, "model": model}

    def response(self, client: Protocol, data: dict[str, Any], model: str, payload: dict[str, Any]) -> dict[str, Any]:
        asked = payload.get("model") if isinstance(payload.get("model"), str) else model
        try:
            if client is Protocol.ANTHROPIC:
                return translate.chat_to_anthropic(data, str(asked))
            return translate.chat_to_responses(data, str(asked), payload)
        except translate.Untranslatable as exc:  # the upstream's answer is no usable chat completion
            raise TranslationRefused(exc.message) from None

    def stream(self, client: Protocol, model: str, payload: dict[str, Any]) -> StreamTranslator:
        asked = str(payload.get("model") or model)
        if client is Protocol.ANTHROPIC:
            return _ChatStream(translate.ChatToAnthropicStream(asked))
        return _ChatStream(translate.ChatToResponsesStream(asked, payload))

    def usage_reader(self, protocol: Protocol, stream: bool) -> UsageReader:
        if stream:
            return translate.UsageTap(client_of(protocol))
        return _JsonUsage(protocol)

    def count_tokens(self, payload: dict[str, Any]) -> int:
        return translate.estimate_input_tokens(payload)
