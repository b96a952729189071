"""Anthropic Messages ⇄ OpenAI Chat Completions."""

from __future__ import annotations

from typing import Any

from switchover.gateway.translate.common import Translated
from switchover.gateway.translate.sse import SseEvent
from switchover.gateway.translate.usage import Usage


def anthropic_to_chat(body: dict[str, Any]) -> Translated:
    raise NotImplementedError


def chat_to_anthropic(resp: dict[str, Any], model: str) -> dict[str, Any]:
    raise NotImplementedError


class ChatToAnthropicStream:
    def __init__(self, model: str) -> None:
        self.model = model

    def feed(self, chunk: dict[str, Any]) -> list[SseEvent]:
        raise NotImplementedError

    def finish(self) -> list[SseEvent]:
        raise NotImplementedError

    def fail(self, kind: str, message: str) -> list[SseEvent]:
        raise NotImplementedError

    def ping(self) -> list[SseEvent]:
        raise NotImplementedError

    @property
    def usage(self) -> Usage | None:
        raise NotImplementedError
