"""The checks' transports: httpcore directly for sweeps, httpx clients when the environment names a proxy.

Both must behave the same on the wire (real servers on 127.0.0.1): the proxy the user configured is used,
URLs are normalised as httpx normalises them, and failures surface as httpx's exception types.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpcore
import httpx
import pytest

from switchover.core.health.http import make_transport
from switchover.core.health.probes import Probe
from switchover.core.health.results import HealthStatus, Tier
from switchover.core.health.runner import check_many_sync, check_one
from switchover.core.health.transport import ClientTransport, CoreTransport, as_httpx_error, origin_of
from switchover.core.providers import AuthStyle, Protocol
from tests.health.helpers import KEY, MODEL, fast_options, target_for
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]
NOWHERE = "http://switchover-proxy-test.invalid/v1"  # .invalid never resolves: only a proxy can answer


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)

    def use(proxy_url: str) -> None:
        monkeypatch.setenv("HTTP_PROXY", proxy_url)

    return use


def test_a_proxy_from_the_environment_carries_the_check(provider_server: Server,
                                                        proxy_env: Callable[[str], None]) -> None:
    proxy = provider_server().play("openai-chat", "ok")  # answers whatever it is asked to forward
    proxy_env(proxy.url)
    probe = target_for(proxy, "openai-chat", base_url=NOWHERE)
    options = fast_options()
    with_env = type(options)(limits=options.limits, trust_env=True)

    results = check_many_sync([probe], Tier.AUTH, with_env)

    assert results[0].status is HealthStatus.OK, results[0].reason
    assert [r.path for r in proxy.requests] == ["/v1/models"]
    assert proxy.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_without_trust_env_the_proxy_is_not_used(provider_server: Server, proxy_env: Callable[[str], None]) -> None:
    proxy = provider_server().play("openai-chat", "ok")
    proxy_env(proxy.url)
    probe = target_for(proxy, "openai-chat", base_url=NOWHERE)

    result = asyncio.run(check_one(probe, Tier.AUTH, fast_options()))  # fast_options: trust_env=False

    assert result.status is HealthStatus.UNREACHABLE and "DNS" in result.reason
    assert proxy.requests == []


def test_the_transport_follows_the_environment(proxy_env: Callable[[str], None]) -> None:
    async def kinds() -> tuple[type, type, type]:
        direct = make_transport(trust_env=True)
        proxy_env("http://127.0.0.1:9")
        proxied, ignored = make_transport(trust_env=True), make_transport(trust_env=False)
        for transport in (direct, proxied, ignored):
            await transport.aclose()
        return type(direct), type(proxied), type(ignored)

    assert asyncio.run(kinds()) == (CoreTransport, ClientTransport, CoreTransport)


def test_urls_are_normalised_as_httpx_would_send_them(provider_server: Server) -> None:
    server = provider_server()
    server.on("GET", "/a%20b/v1/models", Reply.json({"data": [{"id": MODEL}]}))
    probe = target_for(server, "openai-chat", base_url=f"{server.url}/a b/v1")

    result = asyncio.run(check_one(probe, Tier.AUTH, fast_options()))

    assert result.status is HealthStatus.OK, result.reason
    assert [r.path for r in server.requests] == ["/a%20b/v1/models"]
    assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"
    assert server.requests[0].headers["accept-encoding"] == "gzip, deflate"


def test_a_deep_check_posts_json_with_its_length(provider_server: Server) -> None:
    server = provider_server().play("openai-chat", "ok")
    probe = target_for(server, "openai-chat")

    result = asyncio.run(check_one(probe, Tier.DEEP, fast_options()))

    assert result.status is HealthStatus.OK, result.reason
    sent = server.requests_to("/v1/chat/completions")[0]
    assert sent.headers["content-type"] == "application/json"
    assert int(sent.headers["content-length"]) == len(sent.body)
    assert sent.json()["model"] == MODEL and sent.json()["max_tokens"] == 1


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpcore.ConnectTimeout("t"), httpx.ConnectTimeout),
        (httpcore.ReadTimeout("t"), httpx.ReadTimeout),
        (httpcore.PoolTimeout("t"), httpx.PoolTimeout),
        (httpcore.ConnectError("e"), httpx.ConnectError),
        (httpcore.ReadError("e"), httpx.ReadError),
        (httpcore.RemoteProtocolError("e"), httpx.RemoteProtocolError),
        (httpcore.LocalProtocolError("e"), httpx.LocalProtocolError),
        (httpcore.UnsupportedProtocol("e"), httpx.UnsupportedProtocol),
    ],
)
def test_httpcore_errors_become_the_httpx_errors_classification_knows(raised: Exception,
                                                                      expected: type[Exception]) -> None:
    assert type(as_httpx_error(raised)) is expected


def test_origins_key_pools_by_scheme_host_and_port() -> None:
    assert origin_of("https://API.example.com/v1") == "https://api.example.com:443"
    assert origin_of("http://127.0.0.1:8080/v1/models?x=1") == "http://127.0.0.1:8080"
    assert origin_of("http://[::1]:11434/api") == "http://::1:11434"


def test_a_redirect_to_another_port_keeps_the_host_but_not_the_authorization(provider_server: Server) -> None:
    other = provider_server().play("openai-chat", "ok")
    origin = provider_server().on_any(Reply.redirect(f"http://127.0.0.1:{other.port}/v1/models"))

    result = asyncio.run(check_one(target_for(origin, "openai-chat"), Tier.AUTH, fast_options()))

    assert result.status is HealthStatus.OK, result.reason  # same host: followed, as httpx follows it
    assert origin.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert [r.path for r in other.requests] == ["/v1/models"]
    assert "authorization" not in other.requests[0].headers  # another origin: httpx's rule, kept


class _KeepAliveServer:
    """A model list on 127.0.0.1 that keeps connections alive (as real providers do), counting them; with
    `hang_up_after_answer`, it answers "keep-alive" and then closes anyway (a server's idle timeout)."""

    def __init__(self, hang_up_after_answer: bool = False) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        owner = self
        self.connections = 0
        self.paths: list[str] = []
        body = json.dumps({"data": [{"id": MODEL}]}).encode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                owner.connections += 1

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = hang_up_after_answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.parametrize("hang_up", [False, True])
def test_one_host_serves_a_sweep_over_kept_alive_connections(hang_up: bool) -> None:
    server = _KeepAliveServer(hang_up_after_answer=hang_up)
    try:
        probes = [Probe(f"p{i}", Protocol.OPENAI_CHAT, f"{server.url}/p{i}/v1", AuthStyle.BEARER, (MODEL,), key=KEY)
                  for i in range(6)]
        options = fast_options()
        one_at_a_time = type(options)(limits=options.limits, trust_env=False, max_parallel=1)

        results = check_many_sync(probes, Tier.AUTH, one_at_a_time)
    finally:
        server.close()

    assert [r.status for r in results] == [HealthStatus.OK] * 6, [r.reason for r in results]
    assert sorted(server.paths) == [f"/p{i}/v1/models" for i in range(6)]
    # Kept alive: one connection for all six. Hung up after each answer: a fresh one each time, no failure.
    assert server.connections == (6 if hang_up else 1)
