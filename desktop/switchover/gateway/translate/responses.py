"""OpenAI Responses ⇄ OpenAI Chat Completions."""

from __future__ import annotations

from typing import Any

from switchover.gateway.translate.common import Translated
from switchover.gateway.translate.sse import SseEvent
from switchover.gateway.translate.usage import Usage


def responses_to_chat(body: dict[str, Any]) -> Translated:
    raise NotImplementedError


def chat_to_responses(resp: dict[str, Any], model: str, request: dict[str, Any]) -> dict[str, Any]:
    raise NotImplementedError


class ChatToResponsesStream:
    def __init__(self, model: str, request: dict[str, Any]) -> None:
        self.model = model
        self.request = request

    def feed(self, chunk: dict[str, Any]) -> list[SseEvent]:
        raise NotImplementedError

    def finish(self) -> list[SseEvent]:
        raise NotImplementedError

    def fail(self, kind: str, message: str) -> list[SseEvent]:
        raise NotImplementedError

    @property
    def usage(self) -> Usage | None:
        raise NotImplementedError
