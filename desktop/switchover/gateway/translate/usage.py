"""Token usage of a response in any of the three protocols, non-streamed and streamed.

One normalised shape for spend counting: ``input_tokens`` counts every input token the provider processed
(cache reads and cache writes included, unlike Anthropic's own ``input_tokens``), ``cached_input_tokens`` and
``cache_write_input_tokens`` say which part of it came from or went to the prompt cache, ``output_tokens``
includes ``reasoning_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from switchover.gateway.translate.errors import ClientProtocol
from switchover.gateway.translate.sse import SseEvent


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_input_tokens: int = 0
    reasoning_tokens: int = 0


def usage_of(protocol: ClientProtocol, response: dict[str, Any]) -> Usage | None:
    """The usage a non-streamed response reports (None when it reports none)."""
    raise NotImplementedError


class UsageTap:
    """Watches a passthrough stream of ``protocol`` and reports its usage at the end."""

    def __init__(self, protocol: ClientProtocol) -> None:
        self.protocol = protocol

    def feed_bytes(self, chunk: bytes) -> None:
        raise NotImplementedError

    def feed_event(self, event: SseEvent) -> None:
        raise NotImplementedError

    @property
    def usage(self) -> Usage | None:
        raise NotImplementedError
