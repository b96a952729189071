"""Errors reach each tool in its own protocol's shape and status."""

from __future__ import annotations

import pytest

from switchover.gateway.translate import ERROR_KINDS, ClientProtocol, Untranslatable, error_body


@pytest.mark.parametrize(
    ("kind", "status", "anthropic_type"),
    [
        ("authentication", 401, "authentication_error"),
        ("permission", 403, "permission_error"),
        ("region_blocked", 403, "permission_error"),
        ("not_found", 404, "not_found_error"),
        ("invalid_request", 400, "invalid_request_error"),
        ("context_length", 400, "invalid_request_error"),
        ("request_too_large", 413, "request_too_large"),
        ("rate_limit", 429, "rate_limit_error"),
        ("quota", 402, "billing_error"),
        ("overloaded", 529, "overloaded_error"),
        ("timeout", 504, "timeout_error"),
    ],
)
def test_anthropic_shape_and_status(kind: str, status: int, anthropic_type: str) -> None:
    got_status, body = error_body(ClientProtocol.ANTHROPIC, 500, kind, "upstream said no")
    assert got_status == status
    assert body == {"type": "error", "error": {"type": anthropic_type, "message": "upstream said no"}}


@pytest.mark.parametrize("client", [ClientProtocol.CHAT, ClientProtocol.RESPONSES])
@pytest.mark.parametrize(
    ("kind", "status", "openai_type", "code"),
    [
        ("authentication", 401, "invalid_request_error", "invalid_api_key"),
        ("region_blocked", 403, "request_forbidden", "unsupported_country_region_territory"),
        ("quota", 429, "insufficient_quota", "insufficient_quota"),
        ("rate_limit", 429, "rate_limit_error", "rate_limit_exceeded"),
        ("context_length", 400, "invalid_request_error", "context_length_exceeded"),
        ("overloaded", 503, "server_error", "server_overloaded"),
        ("invalid_request", 400, "invalid_request_error", None),
    ],
)
def test_openai_shape_and_status(client: ClientProtocol, kind: str, status: int, openai_type: str,
                                 code: str | None) -> None:
    got_status, body = error_body(client, 500, kind, "m")
    assert got_status == status
    assert body == {"error": {"message": "m", "type": openai_type, "param": None, "code": code}}


@pytest.mark.parametrize("client", list(ClientProtocol))
def test_api_error_keeps_a_5xx_status_and_replaces_anything_else(client: ClientProtocol) -> None:
    assert error_body(client, 502, "api_error", "m")[0] == 502
    assert error_body(client, 200, "api_error", "m")[0] == 500
    assert error_body(client, 418, "no-such-kind", "m")[0] == 500


def test_every_documented_kind_is_known() -> None:
    assert {
        "authentication", "permission", "not_found", "invalid_request", "context_length", "request_too_large",
        "rate_limit", "quota", "overloaded", "api_error", "timeout", "region_blocked",
    } == ERROR_KINDS


def test_untranslatable_carries_a_client_message() -> None:
    error = Untranslatable("Codex's web_search tool cannot be served by a Chat Completions provider")
    assert error.kind == "invalid_request"
    assert str(error) == error.message
    status, body = error_body(ClientProtocol.RESPONSES, 400, error.kind, error.message)
    assert status == 400 and body["error"]["message"] == error.message
