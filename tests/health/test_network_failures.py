"""Failures below the provider's API: refused, reset, stalled, dripping, huge, HTML, truncated, redirects, TLS."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable

import httpx
import pytest

from switchover.core.health.http import redirect_refusal
from switchover.core.health.results import HealthStatus, Tier
from switchover.core.health.runner import CheckOptions, check_one
from tests.health.helpers import KEY, MODEL, fast_options, target_for
from tests.support.provider_server import ProviderServer, Reply, TestCertificates

Server = Callable[..., ProviderServer]


def _check(target, tier: Tier = Tier.AUTH, options: CheckOptions | None = None):  # type: ignore[no-untyped-def]
    return asyncio.run(check_one(target, tier, options or fast_options()))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_unreachable(provider_server: Server) -> None:
    port = _closed_port()
    server = provider_server()
    target = target_for(server, "openai-chat", base_url=f"http://127.0.0.1:{port}/v1")
    for tier in Tier:
        result = _check(target, tier)
        assert result.status is HealthStatus.UNREACHABLE, result.reason
        assert "refused" in result.reason and result.http_status is None


def test_dns_failure_is_unreachable(provider_server: Server) -> None:
    target = target_for(provider_server(), "openai-chat", base_url="https://no-such-host.invalid/v1")
    result = _check(target)
    assert result.status is HealthStatus.UNREACHABLE
    assert "DNS" in result.reason and "no-such-host.invalid" in result.reason


def test_connection_reset_is_unreachable(provider_server: Server) -> None:
    server = provider_server().on_any(Reply.connection_reset())
    result = _check(target_for(server, "anthropic"))
    assert result.status is HealthStatus.UNREACHABLE
    assert "reset" in result.reason


def test_stalled_headers_time_out_at_the_read_bound(provider_server: Server) -> None:
    server = provider_server().on_any(Reply.stalled())
    started = time.monotonic()
    result = _check(target_for(server, "openai-chat"), Tier.AUTH, fast_options(read_timeout_s=0.5))
    assert result.status is HealthStatus.TIMEOUT
    assert time.monotonic() - started < 2.0
    assert "stopped answering" in result.reason


def test_reach_tier_also_times_out_on_stalled_headers(provider_server: Server) -> None:
    server = provider_server().on_any(Reply.stalled())
    result = _check(target_for(server, "openai-chat"), Tier.REACH, fast_options(read_timeout_s=0.4))
    assert result.status is HealthStatus.TIMEOUT


def test_slow_drip_is_cut_by_the_total_bound(provider_server: Server) -> None:
    server = provider_server().on("GET", "/v1/models", Reply.drip(per_s=1.0))
    started = time.monotonic()
    result = _check(target_for(server, "openai-chat"), Tier.AUTH, fast_options(total_timeout_s=1.5))
    elapsed = time.monotonic() - started
    assert result.status is HealthStatus.TIMEOUT
    assert 1.4 < elapsed < 3.0  # the read timeout (2 s) never fires: bytes keep coming; the total bound does


def test_huge_body_is_capped_not_buffered(provider_server: Server) -> None:
    server = provider_server().on("GET", "/v1/models", Reply.huge(100 * 1024 * 1024))
    options = CheckOptions(limits=fast_options().limits.__class__(max_body_bytes=1024 * 1024), trust_env=False)
    started = time.monotonic()
    result = _check(target_for(server, "openai-chat"), Tier.AUTH, options)
    assert result.status is HealthStatus.BAD_RESPONSE
    assert "larger than 1 MiB" in result.reason
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    ("reply", "phrase"),
    [
        (Reply.html(), "HTML page"),
        (Reply.text("<!doctype html><p>hi</p>", content_type="application/json"), "HTML page"),
        (Reply.text("\x00\x01garbage{"), "not valid JSON"),
        (Reply.text(""), "empty"),
        (Reply.json({"hello": "world"}), "not a model list"),
        (Reply.truncated({"data": [{"id": MODEL}] * 50}), "cut off"),
    ],
    ids=["html", "html-mislabelled", "garbage", "empty", "wrong-json", "truncated"],
)
def test_answers_that_are_not_the_protocol(provider_server: Server, reply: Reply, phrase: str) -> None:
    server = provider_server().on("GET", "/v1/models", reply)
    result = _check(target_for(server, "openai-chat"))
    assert result.status is HealthStatus.BAD_RESPONSE
    assert phrase in result.reason


def test_deep_answer_of_the_wrong_shape(provider_server: Server) -> None:
    server = provider_server().on("POST", "/v1/messages", Reply.json({"choices": []}))
    result = _check(target_for(server, "anthropic"), Tier.DEEP)
    assert result.status is HealthStatus.BAD_RESPONSE and "not a anthropic reply" in result.reason


def test_error_status_with_html_body(provider_server: Server) -> None:
    server = provider_server().on("GET", "/v1/models", Reply.html(403, "Access denied by corporate proxy"))
    result = _check(target_for(server, "openai-chat"))
    assert result.status is HealthStatus.FORBIDDEN and "HTML page" in result.reason


@pytest.mark.parametrize("tier", [Tier.AUTH, Tier.DEEP])
def test_redirect_to_another_host_never_carries_the_key(provider_server: Server, tier: Tier) -> None:
    elsewhere = provider_server().play("anthropic", "ok", models=(MODEL,))
    origin = provider_server()
    # Same machine, different host name: the key must still not follow.
    origin.on_any(Reply.redirect(f"http://localhost:{elsewhere.port}/v1/models"))
    result = _check(target_for(origin, "anthropic"), tier)
    assert result.status is HealthStatus.BAD_RESPONSE
    assert f"localhost:{elsewhere.port}" in result.reason and "another host" in result.reason
    assert elsewhere.requests == []
    assert len(origin.requests) == 1 and origin.requests[0].headers["x-api-key"] == KEY


def test_same_host_redirect_is_followed(provider_server: Server) -> None:
    server = provider_server().play("openai-chat", "ok")
    server.on("GET", "/old/v1/models", Reply.redirect("/v1/models", 308))
    result = _check(target_for(server, "openai-chat", base_url=server.url + "/old/v1"))
    assert result.status is HealthStatus.OK, result.reason
    assert [r.path for r in server.requests] == ["/old/v1/models", "/v1/models"]


def test_redirect_loop_is_bounded(provider_server: Server) -> None:
    server = provider_server().on_any(Reply.redirect("/v1/models", 302))
    result = _check(target_for(server, "openai-chat"))
    assert result.status is HealthStatus.BAD_RESPONSE and "loop" in result.reason
    assert len(server.requests) == 4  # the first request and 3 redirects, no more


def test_redirect_policy() -> None:
    url = httpx.URL
    assert redirect_refusal(url("https://api.x.com/v1"), url("https://api.x.com/v2")) is None
    assert redirect_refusal(url("http://api.x.com/v1"), url("https://api.x.com/v1")) is None
    assert redirect_refusal(url("https://api.x.com/v1"), url("http://api.x.com/v1")) == "downgrade"
    assert redirect_refusal(url("https://api.x.com/v1"), url("https://evil.com/v1")) == "offsite"
    assert redirect_refusal(url("https://127.0.0.1:9/v1"), url("http://127.0.0.1:9/v1")) is None


def test_tls_trusted_test_ca(provider_server: Server, test_certificates: TestCertificates) -> None:
    server = provider_server(tls=test_certificates.server_context("trusted")).play("anthropic", "ok")
    options = CheckOptions(ssl_context=test_certificates.client_context(), trust_env=False)
    result = _check(target_for(server, "anthropic"), Tier.AUTH, options)
    assert result.status is HealthStatus.OK, result.reason
    assert result.url.startswith("https://127.0.0.1:")


@pytest.mark.parametrize("which", ["self_signed", "wrong_host"])
def test_tls_untrusted_certificates(provider_server: Server, test_certificates: TestCertificates,
                                    which: str) -> None:
    server = provider_server(tls=test_certificates.server_context(which)).play("anthropic", "ok")
    options = CheckOptions(ssl_context=test_certificates.client_context(), trust_env=False)
    result = _check(target_for(server, "anthropic"), Tier.AUTH, options)
    assert result.status is HealthStatus.TLS_ERROR
    assert "not trusted" in result.reason
    assert server.requests == []  # the key never left: the handshake failed first


def test_tls_default_trust_rejects_the_test_ca(provider_server: Server, test_certificates: TestCertificates) -> None:
    server = provider_server(tls=test_certificates.server_context("trusted")).play("anthropic", "ok")
    result = _check(target_for(server, "anthropic"), Tier.AUTH, CheckOptions(trust_env=False))
    assert result.status is HealthStatus.TLS_ERROR


def test_https_to_a_plain_http_port(provider_server: Server) -> None:
    server = provider_server().play("anthropic", "ok")
    result = _check(target_for(server, "anthropic", base_url=f"https://127.0.0.1:{server.port}"))
    assert result.status is HealthStatus.TLS_ERROR
    assert server.requests == []


def test_no_result_ever_contains_the_key(provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/v1/models", Reply.json({"error": {"message": f"Bad key {KEY[:12]}***{KEY[-4:]}"}}, 401))
    results = [_check(target_for(server, "openai-chat"), tier) for tier in Tier]
    blob = json.dumps([r.to_json() for r in results])
    assert KEY not in blob and KEY[:12] not in blob and "***" not in blob


def test_logs_never_contain_the_key(provider_server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    server = provider_server()
    server.on("GET", "/v1/models", Reply.json({"error": {"message": f"bad key {KEY}"}}, 401))
    server.on("GET", "/v2/models", Reply.connection_reset())
    server.on("GET", "/v3/models", Reply.redirect(f"http://localhost:{server.port}/v1/models"))
    for version in ("v1", "v2", "v3"):
        _check(target_for(server, "openai-chat", base_url=f"{server.url}/{version}"))
    assert caplog.records  # httpx and the runner did log
    assert KEY not in caplog.text and KEY[:10] not in caplog.text
