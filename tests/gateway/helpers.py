"""A real gateway on loopback (its own thread and event loop, as in the app) in front of real stand-ins."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from switchover.core.health.results import HealthResult
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry
from switchover.gateway.breaker import Breakers, BreakerSettings
from switchover.gateway.keys import KeyCache
from switchover.gateway.requestlog import RequestLog
from switchover.gateway.routing import RouteChoice, RouteTable, ToolRoute
from switchover.gateway.server import Gateway
from switchover.gateway.settings import GatewaySettings
from switchover.gateway.translation import LibraryTranslation
from switchover.gateway.upstream import AiohttpUpstream
from switchover.services.gateway_runtime import GatewayParts, GatewayThread
from tests.e2e.standin import StandinProvider

TOKEN = "swo-gw-test-token-0123456789abcdefghijklmnop"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ANTHROPIC_HEADERS = {"x-api-key": TOKEN, "anthropic-version": "2023-06-01"}
REGION_BLOCK = (403, {"error": {"code": "unsupported_country_region_territory",
                                "message": "Country, region, or territory not supported", "type": "request_forbidden"}})


def provider_for(standin: StandinProvider, name: str | None = None, *, protocols: tuple[Protocol, ...] = (
        Protocol.ANTHROPIC, Protocol.OPENAI_CHAT, Protocol.OPENAI_RESPONSES), models: tuple[str, ...] = ()) -> Provider:
    """A provider whose endpoints all point at `standin` (keyed by the stand-in's key, from the env)."""
    urls = {Protocol.ANTHROPIC: standin.url, Protocol.OPENAI_CHAT: standin.url + "/v1",
            Protocol.OPENAI_RESPONSES: standin.url + "/v1"}
    return Provider(
        name=name or standin.name,
        endpoints=tuple(Endpoint.make(p, urls[p]) for p in protocols),
        models=models or standin.state.models,
        credential=Credential.env(f"KEY_{(name or standin.name).upper()}") if standin.state.key else Credential.none(),
    )


class StaticRoutes:
    def __init__(self, table: RouteTable):
        self.current = table

    def table(self) -> RouteTable:
        return self.current


def route_table(providers: list[Provider], tool: str = "claude-code",
                choice: RouteChoice | None = None) -> RouteTable:
    chain = tuple(ChainEntry(p.name, p.models[0] if p.models else None) for p in providers)
    return RouteTable({p.name: p for p in providers}, {tool: ToolRoute(tool, tool, choice, chain)})


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Evidence:
    results: list[HealthResult] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, result: HealthResult) -> None:
        with self.lock:
            self.results.append(result)

    def of(self, provider: str) -> list[HealthResult]:
        with self.lock:
            return [r for r in self.results if r.provider == provider]


@dataclass
class Running:
    url: str
    gateway: Gateway
    thread: GatewayThread
    evidence: Evidence
    log: RequestLog

    def post(self, path: str, body: Any, headers: Mapping[str, str] | None = None,
             timeout: float = 30.0) -> httpx.Response:
        return httpx.post(self.url + path, json=body, headers=dict(AUTH if headers is None else headers),
                          timeout=timeout, trust_env=False)

    def stream(self, path: str, body: Any, headers: Mapping[str, str] | None = None) -> list[bytes]:
        """The answer's chunks as they arrived."""
        with httpx.stream("POST", self.url + path, json=body, headers=dict(AUTH if headers is None else headers),
                          timeout=30.0, trust_env=False) as response:
            return [response.status_code.to_bytes(2, "big"), *response.iter_raw()]


def keys_from_env(provider: Provider) -> str | None:
    from switchover.core.secrets import resolve_key

    return resolve_key(provider)


@contextlib.contextmanager
def running_gateway(routes: Any, *, settings: GatewaySettings | None = None, clock: Callable[[], float] | None = None,
                    breaker: BreakerSettings | None = None,
                    resolve: Callable[[Provider], str | None] = keys_from_env) -> Iterator[Running]:
    """The real server on an ephemeral loopback port, stopped (and its log flushed) afterwards."""
    evidence = Evidence()
    settings = replace(settings or GatewaySettings(), port=0)
    log = RequestLog(persist=False)
    extra: dict[str, Any] = {"clock": clock} if clock is not None else {}

    def build() -> GatewayParts:
        gateway = Gateway(settings=settings, token=TOKEN, routes=routes, keys=KeyCache(resolve),
                          upstream=AiohttpUpstream(connect_timeout_s=settings.connect_timeout_s), log_sink=log,
                          evidence=evidence, translation=LibraryTranslation(), breakers=Breakers(breaker), **extra)
        return GatewayParts(gateway, routes, None, log)

    thread = GatewayThread(build, port=0)
    assert thread.start(), thread.error
    assert thread.url is not None and thread.gateway is not None
    try:
        yield Running(thread.url, thread.gateway, thread, evidence, log)
    finally:
        thread.stop()
