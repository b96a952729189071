"""Pure protocol translation for the gateway: Anthropic Messages ⇄ Chat Completions, Responses ⇄ Chat Completions.

Why pure: every function here takes and returns plain JSON-like dicts and SSE events; no I/O, no HTTP library,
no clock-dependent behaviour beyond ``created`` timestamps. The gateway's server does the I/O and calls these,
so each translation is tested exhaustively without a network, and the same code serves the CLI gateway and
the app's gateway thread. Imports: the standard library and ``switchover.core`` only.

Chat Completions is the common upstream: a tool speaking Anthropic Messages (Claude Code) or Responses
(Codex) reaches a provider that only offers Chat Completions through one request translation and one
response translation. Requests whose upstream speaks the tool's own protocol are passed through untouched
(only ``usage_of`` / ``UsageTap`` look at them).

Interface (stable; the gateway codes against it)
-------------------------------------------------
Requests (client → upstream):
    ``anthropic_to_chat(body) -> Translated``, ``responses_to_chat(body) -> Translated``; both take the
    keyword options ``limit_field`` (``"max_tokens"``, or ``"max_completion_tokens"`` for OpenAI's reasoning
    models) and ``limit_cap`` (the upstream model's output maximum: a higher client limit is lowered, noted).
    ``Translated.body`` is the Chat Completions request (``model`` unchanged: aliasing is the gateway's job;
    ``stream_options.include_usage`` set when streaming). ``Translated.notes`` lists what was deliberately
    dropped (``cache_control``, ``thinking`` config, …) so the gateway can log it. What cannot be expressed
    raises ``Untranslatable``: its ``message`` is meant for the tool's user; answer it with
    ``error_body(client, err.status, err.kind, err.message)`` (``invalid_request``, 400).

Responses (upstream → client), non-streamed:
    ``chat_to_anthropic(resp, model) -> dict``, ``chat_to_responses(resp, model, request) -> dict``
    (``model`` is the name the client asked for; ``request`` is the client's original Responses request:
    its tools decide which item type each call becomes, and it is echoed as the Responses API does). An
    upstream answer that cannot be rendered (no choices, malformed tool arguments) raises
    ``BadUpstreamResponse``, a ``Untranslatable`` with kind ``api_error`` and status 502.

Streams (upstream → client): ``ChatToAnthropicStream(model)``, ``ChatToResponsesStream(model, request)``.
    ``feed(chunk)`` takes one decoded Chat Completions chunk (the JSON of one ``data:`` line; skip
    ``[DONE]``) and returns the client's SSE events to send now; ``finish()`` when the upstream ended (with
    or without ``[DONE]``) returns the closing events; ``fail(kind, message)`` returns a protocol-correct
    in-stream error once bytes were sent (no failover possible then). After ``finish`` or ``fail`` the
    stream is closed and further calls return ``[]``. ``usage`` (a ``Usage``, or None if the upstream
    reported none) is final after ``finish``; ``saw_finish_reason`` tells whether the upstream said it was
    done (a body that ends without one was cut short: prefer ``fail``). An ``{"error": …}`` chunk in the
    upstream stream becomes the in-stream error by itself. ``ChatToAnthropicStream.ping()`` gives a
    keep-alive event (sending ``message_start`` first if nothing was sent yet).

SSE: ``SseEvent(event, data)`` with ``encode() -> bytes``; ``SseDecoder().feed(bytes) -> list[SseEvent]``
    and ``close()`` at end of body (split lines, CR/LF/CRLF, comments, multi-line data handled).

Reasoning (opt-in): ``keep_reasoning=True`` on ``chat_to_anthropic``/``chat_to_responses`` and both streams
    turns the provider's ``reasoning_content`` into a signed ``thinking`` block / a ``reasoning`` item the
    client sends back, and the request translations restore it as ``reasoning_content`` (DeepSeek's thinking
    mode answers 400 after tool calls without it). Before passing a request through unchanged to a native
    Anthropic/OpenAI upstream, ``strip_gateway_reasoning(protocol, body) -> (body, removed)`` takes those
    out again (they would be rejected there). Default off: the reasoning is dropped.

Errors: ``error_body(client, status, kind, message) -> (status, body)`` renders an error in the client's
    own shape and status (``error_type(client, kind)``, ``error_code(kind)`` give the pieces); ``kind`` is
    one of ``ERROR_KINDS``: authentication, permission, not_found, invalid_request, context_length,
    request_too_large, rate_limit, quota, overloaded, api_error, timeout, region_blocked (unknown kinds
    count as api_error). ``ClientProtocol`` names the three protocols.

Usage: ``usage_of(protocol, response_json) -> Usage | None`` for a non-streamed response of any protocol;
    ``UsageTap(protocol)`` watches a passthrough stream (``feed_bytes`` with the raw body chunks and
    ``close()`` at the end, or ``feed_event`` with decoded events) and reports ``usage`` at the end.
    ``Usage.input_tokens`` counts every input token including cached ones (``cached_input_tokens`` says how
    many were cache reads).

Token count: ``estimate_input_tokens(anthropic_body) -> int`` answers Anthropic ``count_tokens`` when the
    upstream cannot.
"""

from switchover.gateway.translate.anthropic import ChatToAnthropicStream, anthropic_to_chat, chat_to_anthropic
from switchover.gateway.translate.common import Translated
from switchover.gateway.translate.errors import (
    ERROR_KINDS,
    BadUpstreamResponse,
    ClientProtocol,
    Untranslatable,
    error_body,
    error_code,
    error_type,
)
from switchover.gateway.translate.reasoning import GATEWAY_SIGNATURE, strip_gateway_reasoning
from switchover.gateway.translate.responses import ChatToResponsesStream, chat_to_responses, responses_to_chat
from switchover.gateway.translate.sse import SseDecoder, SseEvent
from switchover.gateway.translate.tokens import estimate_input_tokens
from switchover.gateway.translate.usage import Usage, UsageTap, usage_of

__all__ = [
    "ERROR_KINDS",
    "GATEWAY_SIGNATURE",
    "BadUpstreamResponse",
    "ChatToAnthropicStream",
    "ChatToResponsesStream",
    "ClientProtocol",
    "SseDecoder",
    "SseEvent",
    "Translated",
    "Untranslatable",
    "Usage",
    "UsageTap",
    "anthropic_to_chat",
    "chat_to_anthropic",
    "chat_to_responses",
    "error_body",
    "error_code",
    "error_type",
    "estimate_input_tokens",
    "responses_to_chat",
    "strip_gateway_reasoning",
    "usage_of",
]
