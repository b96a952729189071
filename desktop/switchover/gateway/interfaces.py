"""What the server is given: where routes come from, where evidence goes, and how to translate.

Services wire the real ones (store, keychain, health history, `translation.LibraryTranslation`); tests pass
their own. Everything here is called on the gateway's event loop and must not block.
"""

from __future__ import annotations

from typing import Any
from typing import Protocol as Structural

from switchover.core.health.results import HealthResult
from switchover.core.providers import Protocol
from switchover.gateway.routing import RouteTable
from switchover.gateway.translate.usage import Usage


class RouteSource(Structural):
    def table(self) -> RouteTable:
        """The current routes; cheap to call per request (re-reads only what changed)."""


class EvidenceSink(Structural):
    """May also have `wanted(endpoint_key, healthy, at) -> bool`, saying whether it would keep such a result,
    so the gateway does not build results it would drop (it keeps one success per minute per upstream)."""

    def record(self, result: HealthResult) -> None:
        """A request's outcome at one upstream, as health evidence. Must return at once."""


class TranslationRefused(Exception):
    """The request uses something the other protocol cannot express; the message says what."""


class UsageReader(Structural):
    def feed_bytes(self, chunk: bytes) -> None: ...
    @property
    def usage(self) -> Usage | None: ...


class StreamTranslator(Structural):
    def feed(self, chunk: bytes) -> bytes:
        """Upstream (chat) SSE bytes in, the client's SSE bytes out (possibly empty)."""
    def finish(self) -> bytes:
        """The upstream stream ended: whatever closes the client's stream."""
    def fail(self, kind: str, message: str) -> bytes:
        """The upstream broke mid-stream: a protocol-correct error ending."""
    @property
    def usage(self) -> Usage | None: ...


class Translation(Structural):
    """Client protocol <-> OpenAI Chat Completions (the hub every translation goes through)."""

    def request(self, client: Protocol, payload: dict[str, Any], model: str) -> dict[str, Any]:
        """The chat request for the client's request; raises TranslationRefused."""
    def response(self, client: Protocol, data: dict[str, Any], model: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The client's answer for a chat completion; raises TranslationRefused when the answer is unusable."""
    def stream(self, client: Protocol, model: str, payload: dict[str, Any]) -> StreamTranslator: ...
    def usage_reader(self, protocol: Protocol, stream: bool) -> UsageReader:
        """Token counts read from an answer relayed unchanged."""
    def count_tokens(self, payload: dict[str, Any]) -> int:
        """An estimate of an Anthropic request's input tokens, for upstreams without count_tokens."""
