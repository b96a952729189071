"""Talking to upstream providers: the interface the server uses, and its aiohttp implementation.

The server depends only on `UpstreamClient` / `UpstreamResponse`, so tests can inject their own. Every
network failure becomes an `UpstreamFailure` carrying a health status and a sentence, named the way the
health checks name them. Redirects are never followed (a key must not travel to another host); proxies from
the environment are honoured like the coding tools do, except for loopback upstreams.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import Mapping
from typing import Protocol as Structural
from urllib.parse import urlsplit

import aiohttp

from switchover import __version__
from switchover.core.health.results import HealthStatus
from switchover.core.providers import is_loopback_url

USER_AGENT = f"Switchover-Gateway/{__version__}"


class UpstreamFailure(Exception):
    """The upstream could not be used for this request; never carries a key."""

    def __init__(self, status: HealthStatus, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class UpstreamResponse(Structural):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    async def read_chunk(self, timeout_s: float) -> bytes:
        """The next bytes as they arrive (b"" at the end); raises UpstreamFailure."""
    async def read_capped(self, cap: int, timeout_s: float) -> bytes:
        """Up to `cap` bytes of the body (for error answers); raises UpstreamFailure."""
    def close(self) -> None: ...


class UpstreamClient(Structural):
    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, *, ttfb_s: float
    ) -> UpstreamResponse:
        """Send the request and wait for the answer's status and headers; raises UpstreamFailure."""
    async def close(self) -> None: ...


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def describe_failure(exc: BaseException, url: str, waited_s: float | None = None) -> UpstreamFailure:
    """Name a network failure like the health checks do (unreachable vs timeout vs TLS)."""
    host = _host(url)
    if isinstance(exc, UpstreamFailure):
        return exc
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return UpstreamFailure(HealthStatus.TLS_ERROR, f"The TLS certificate of {host} is not trusted. Something "
                               "on this network may be intercepting the connection.")
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return UpstreamFailure(HealthStatus.TLS_ERROR, f"The secure (TLS) connection to {host} failed.")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return UpstreamFailure(HealthStatus.UNREACHABLE, f"The name {host} could not be resolved (DNS).")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return UpstreamFailure(HealthStatus.TIMEOUT, f"Could not connect to {host} in time.")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamFailure(HealthStatus.UNREACHABLE, f"Could not connect to {host}: nothing answers there.")
    if isinstance(exc, TimeoutError):
        waited = f" within {waited_s:g} s" if waited_s else ""
        return UpstreamFailure(HealthStatus.TIMEOUT, f"{host} did not answer{waited}.")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return UpstreamFailure(HealthStatus.BAD_RESPONSE, f"The answer from {host} was cut off part-way.")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return UpstreamFailure(HealthStatus.UNREACHABLE, f"{host} closed or reset the connection.")
    return UpstreamFailure(HealthStatus.BAD_RESPONSE, f"Unexpected error talking to {host} ({type(exc).__name__}).")


class _AiohttpResponse:
    __slots__ = ("_response", "_url")

    def __init__(self, response: aiohttp.ClientResponse, url: str):
        self._response = response
        self._url = url

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    async def read_chunk(self, timeout_s: float) -> bytes:
        try:
            async with asyncio.timeout(timeout_s):
                return await self._response.content.readany()
        except Exception as exc:
            raise describe_failure(exc, self._url, timeout_s) from None

    async def read_capped(self, cap: int, timeout_s: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(timeout_s):
                while size <= cap:
                    chunk = await self._response.content.readany()
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
        except Exception as exc:
            raise describe_failure(exc, self._url, timeout_s) from None
        return b"".join(chunks)[:cap]

    def close(self) -> None:
        self._response.close()


def proxy_for(url: str) -> str | None:
    """The environment's proxy for `url` (HTTPS_PROXY / NO_PROXY), never for loopback upstreams."""
    if is_loopback_url(url):
        return None
    scheme = urlsplit(url).scheme
    proxies = urllib.request.getproxies()
    proxy = proxies.get(scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(_host(url)):
        return None
    return proxy


class AiohttpUpstream:
    """Pooled keep-alive connections to every upstream, in the gateway's own event loop."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None, connect_timeout_s: float = 10.0,
                 max_connections: int = 256):
        self._ssl = ssl_context
        self._connect_timeout_s = connect_timeout_s
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            if self._ssl is None:
                from switchover.core.health.http import system_ssl_context

                self._ssl = system_ssl_context()
            connector = aiohttp.TCPConnector(limit=self._max_connections, ssl=self._ssl, ttl_dns_cache=300,
                                             enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                auto_decompress=True,
                trust_env=False,  # proxies are chosen per request (proxy_for), never for loopback
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout_s),
                skip_auto_headers=("User-Agent",),
            )
        return self._session

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes, *, ttfb_s: float
    ) -> UpstreamResponse:
        try:
            async with asyncio.timeout(ttfb_s):  # connecting counts too (also bounded by sock_connect)
                response = await self._client().request(
                    method, url, headers=dict(headers), data=body, allow_redirects=False, proxy=proxy_for(url)
                )
        except Exception as exc:
            raise describe_failure(exc, url, ttfb_s) from None
        return _AiohttpResponse(response, url)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
