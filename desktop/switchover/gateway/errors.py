"""Gateway errors in the client's own shape (rendered by `translate.error_body`, one vocabulary of kinds).

Before a response has begun, an error is an ordinary answer; after a passthrough stream has begun it must be
an event in the stream: Anthropic's `error` event, an OpenAI chat chunk holding `error`, or Responses'
`error` plus `response.failed`. (Translated streams end through their translator's own `fail`.)
"""

from __future__ import annotations

import json
from typing import Any

from switchover.core.health.results import HealthStatus
from switchover.core.providers import Protocol
from switchover.gateway.translate.errors import ClientProtocol, error_body, error_code, error_type

CLIENT_OF: dict[Protocol, ClientProtocol] = {
    Protocol.ANTHROPIC: ClientProtocol.ANTHROPIC,
    Protocol.OPENAI_CHAT: ClientProtocol.CHAT,
    Protocol.OPENAI_RESPONSES: ClientProtocol.RESPONSES,
}

# When no upstream could serve a request, what the tool is told. Hard failures keep 4xx-like kinds so tools
# do not retry in vain; a rejected upstream key is the gateway's problem, not the tool's (api_error 502).
KIND_FOR_FAILURE: dict[HealthStatus, str] = {
    HealthStatus.RATE_LIMITED: "rate_limit",
    HealthStatus.QUOTA_EXHAUSTED: "quota",
    HealthStatus.OVERLOADED: "overloaded",
    HealthStatus.REGION_BLOCKED: "region_blocked",
    HealthStatus.FORBIDDEN: "permission",
    HealthStatus.TIMEOUT: "timeout",
}

# The gateway's own refusals, by HTTP status.
KIND_FOR_STATUS: dict[int, str] = {
    400: "invalid_request",
    401: "authentication",
    403: "permission",
    404: "not_found",
    408: "invalid_request",
    413: "request_too_large",
    429: "rate_limit",
}


def client_of(protocol: Protocol | None) -> ClientProtocol:
    return CLIENT_OF.get(protocol, ClientProtocol.CHAT) if protocol is not None else ClientProtocol.CHAT


def render(protocol: Protocol | None, status: int, message: str, kind: str | None = None) -> tuple[int, dict[str, Any]]:
    """(status, body) for an error the gateway answers itself."""
    chosen = kind or KIND_FOR_STATUS.get(status, "api_error")
    return error_body(client_of(protocol), status if status >= 500 else 502, chosen, message) \
        if chosen == "api_error" else error_body(client_of(protocol), status, chosen, message)


def render_any(status: int, message: str) -> dict[str, Any]:
    """An error body for a request too broken to know its client (unreadable HTTP): Anthropic's shape with
    OpenAI's fields too, so either kind of client reads its message."""
    kind = KIND_FOR_STATUS.get(status) or ("invalid_request" if 400 <= status < 500 else "api_error")
    _, body = error_body(ClientProtocol.ANTHROPIC, status, kind, message)
    body["error"].update({"param": None, "code": error_code(kind)})
    return body


def stream_error(protocol: Protocol | None, message: str, kind: str = "api_error") -> bytes:
    """SSE bytes that end a begun passthrough stream with an error the client understands."""
    client = client_of(protocol)
    if client is ClientProtocol.ANTHROPIC:
        return _event("error", {"type": "error", "error": {"type": error_type(client, kind), "message": message}})
    error = {"message": message, "type": error_type(client, kind), "param": None, "code": error_code(kind)}
    if client is ClientProtocol.RESPONSES:
        failed = {"type": "response.failed",
                  "response": {"id": "resp_switchover_gateway", "object": "response", "status": "failed",
                               "error": {"code": error_code(kind) or "server_error", "message": message},
                               "output": []}}
        return _event("error", {"type": "error", **error}) + _event("response.failed", failed)
    return _event(None, {"error": error})


def _event(name: str | None, data: dict[str, Any]) -> bytes:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
