"""Errors in each client's own shape, and the one exception for what cannot be translated.

A tool understands only its own protocol's errors: Claude Code reads Anthropic's ``{"type": "error", "error":
{"type": ..., "message": ...}}`` and retries 429/529/5xx, Codex reads OpenAI's ``{"error": {"message", "type",
"code"}}`` and treats ``insufficient_quota`` as final. The gateway classifies a failure once into a small
vocabulary of kinds and this module renders it for whichever client asked.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final


class ClientProtocol(StrEnum):
    """The wire protocols a client (tool) or an upstream speaks."""

    ANTHROPIC = "anthropic"  # Anthropic Messages: POST /v1/messages
    CHAT = "chat"  # OpenAI Chat Completions: POST /v1/chat/completions
    RESPONSES = "responses"  # OpenAI Responses: POST /v1/responses


class Untranslatable(Exception):
    """A request (or response) uses something the other protocol cannot express.

    The message is written for the tool's user (it ends up in the tool's error display): it names the
    feature and says why. The gateway answers it with ``error_body(client, err.status, err.kind,
    err.message)``: ``invalid_request`` (400) for a request that cannot be translated, ``api_error`` (502)
    for the subclass ``BadUpstreamResponse``. Nothing is ever dropped silently instead.
    """

    kind: str = "invalid_request"
    status: int = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadUpstreamResponse(Untranslatable):
    """The upstream's answer cannot be turned into the client's protocol (no choices, malformed tool
    arguments): the upstream's fault, answered as ``api_error`` with status 502."""

    kind = "api_error"
    status = 502


# kind -> (Anthropic error type, Anthropic status, OpenAI error type, OpenAI code, OpenAI status).
# A status of 0 means "the status the caller passed" (kept when it is in the kind's range, see error_body).
_KINDS: Final[dict[str, tuple[str, int, str, str | None, int]]] = {
    "invalid_request": ("invalid_request_error", 400, "invalid_request_error", None, 400),
    "context_length": ("invalid_request_error", 400, "invalid_request_error", "context_length_exceeded", 400),
    "authentication": ("authentication_error", 401, "invalid_request_error", "invalid_api_key", 401),
    "quota": ("billing_error", 402, "insufficient_quota", "insufficient_quota", 429),
    "permission": ("permission_error", 403, "permission_error", "permission_denied", 403),
    "region_blocked": (
        "permission_error",
        403,
        "request_forbidden",
        "unsupported_country_region_territory",
        403,
    ),
    "not_found": ("not_found_error", 404, "invalid_request_error", "not_found", 404),
    "request_too_large": ("request_too_large", 413, "invalid_request_error", "request_too_large", 413),
    "rate_limit": ("rate_limit_error", 429, "rate_limit_error", "rate_limit_exceeded", 429),
    "api_error": ("api_error", 0, "server_error", None, 0),
    "timeout": ("timeout_error", 504, "server_error", "timeout", 504),
    "overloaded": ("overloaded_error", 529, "server_error", "server_overloaded", 503),
}

ERROR_KINDS: Final[frozenset[str]] = frozenset(_KINDS)
"""The kinds ``error_body`` and the streams' ``fail`` accept. Anything else is treated as ``api_error``."""


def error_type(client: ClientProtocol, kind: str) -> str:
    """The client's own error type for ``kind`` (e.g. ``overloaded_error`` for Anthropic)."""
    anthropic_type, _, openai_type, _, _ = _KINDS.get(kind, _KINDS["api_error"])
    return anthropic_type if client is ClientProtocol.ANTHROPIC else openai_type


def error_code(kind: str) -> str | None:
    """The OpenAI ``code`` for ``kind`` (None where OpenAI sends none)."""
    return _KINDS.get(kind, _KINDS["api_error"])[3]


def _status(kind: str, status: int, anthropic: bool) -> int:
    entry = _KINDS.get(kind, _KINDS["api_error"])
    fixed = entry[1] if anthropic else entry[4]
    if fixed:
        return fixed
    return status if 500 <= status <= 599 else 500


def error_body(client: ClientProtocol, status: int, kind: str, message: str) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON body of an error answered to ``client``.

    ``kind`` is one of ``ERROR_KINDS`` (unknown kinds count as ``api_error``). The returned status is the one
    the client's own API uses for that kind (Anthropic ``overloaded`` → 529, OpenAI ``quota`` → 429 with
    type ``insufficient_quota``); only ``api_error`` keeps the given ``status`` (when it is a 5xx, else 500).
    ``message`` must already be free of secrets (scrub provider text before passing it).
    """
    anthropic = client is ClientProtocol.ANTHROPIC
    code = _status(kind, status, anthropic)
    if anthropic:
        return code, {"type": "error", "error": {"type": error_type(client, kind), "message": message}}
    return code, {
        "error": {"message": message, "type": error_type(client, kind), "param": None, "code": error_code(kind)}
    }
