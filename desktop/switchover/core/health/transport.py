"""How a check's bytes travel: one request out, one streamed answer back. `fetch` (http.py) owns the policy
(timeouts, body cap, redirects); a transport only opens a request and hands back status, headers and raw
body chunks, raising httpx's exception types so failures classify the same whichever transport ran.

- `CoreTransport` (when no proxy is configured): httpcore directly, the connection layer under httpx: its
  HTTP/1.1 connections (h11) on plain asyncio sockets (`netio`), idle ones kept per origin. A check is one
  or two requests; httpx's models, URL parsing, pool and anyio's cancel scopes cost more CPU than the
  request itself (~1.3 ms per check against ~0.5 ms), which at a few hundred endpoints was the whole sweep.
- `ClientTransport`: an `httpx.AsyncClient` per origin (or one given client): proxies from the environment
  (HTTPS_PROXY, ALL_PROXY, NO_PROXY) are honoured exactly as httpx does, and callers holding a client
  (balance, discovery) keep it.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import urllib.parse
import urllib.request
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from typing import Protocol

import httpcore
import httpx

from switchover.core.health.netio import AsyncioBackend

Timeouts = dict[str, float]
KEEPALIVE_S = 5.0  # as httpx: an idle connection older than this is not reused
# Only the characters a URL may carry as they are (RFC 3986); anything else goes through httpx.URL first.
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


class RawResponse(Protocol):
    """An answer whose headers have arrived; the body is read (raw, still content-encoded) on demand."""

    status: int
    headers: httpx.Headers

    def iter_raw(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class HttpTransport(Protocol):
    async def open(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                   timeouts: Timeouts) -> RawResponse:
        """Send the request; return once the answer's headers arrived. Never follows redirects."""
        ...

    async def aclose(self) -> None: ...


def env_has_proxy() -> bool:
    """Whether the environment names a proxy httpx would use (it reads the same variables)."""
    return any(scheme in ("http", "https", "all") for scheme in urllib.request.getproxies())


def default_port(scheme: str) -> int | None:
    """The port a URL of `scheme` means when it names none (None for schemes the checks do not speak)."""
    return {"http": 80, "https": 443}.get(scheme)


def origin_of(url: str) -> str:
    """scheme://host:port of a URL, for keying pools (cheap: no validation, that happens when it is sent)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return f"{scheme}://{parts.hostname or ''}:{_port(parts) or default_port(scheme) or ''}"


def _port(parts: urllib.parse.SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


# --- httpcore directly ------------------------------------------------------------------------------------

# Most specific first: httpx's own mapping of httpcore's exceptions (httpx/_transports/default.py).
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


def as_httpx_error(exc: Exception) -> Exception:
    """httpx's exception for an httpcore one (the cause chain is kept by `raise ... from`)."""
    for core_type, httpx_type in _EXCEPTIONS:
        if isinstance(exc, core_type):
            return httpx_type(str(exc))
    return exc


def _core_request(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeouts: Timeouts,
              user_agent: bytes) -> tuple[httpcore.Request, tuple[bytes, bytes, int], str]:
    """The httpcore request for `url`, its origin (scheme, host, port) and host, validated as httpx would."""
    if _PLAIN_URL.fullmatch(url) is None:
        url = str(httpx.URL(url))  # IDNA hosts, percent-encoding; raises httpx.InvalidURL for garbage
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{scheme}://'."
                                        if scheme else "Request URL is missing an 'http://' or 'https://' "
                                        "protocol.")
    host = parts.hostname
    if not host:
        raise httpx.UnsupportedProtocol(f"Request URL is missing a host: {url!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise httpx.InvalidURL(f"Invalid port in {url!r}") from exc
    implied = 443 if scheme == "https" else 80  # scheme is http or https here
    host_header = f"[{host}]" if ":" in host else host
    if port is not None and port != implied:
        host_header = f"{host_header}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    wire_headers = [(b"Host", host_header.encode()), (b"User-Agent", user_agent),
                    (b"Connection", b"keep-alive")]
    # ASCII as httpx encodes them: a value that is not (a mangled key) fails here, not on the wire.
    wire_headers += [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
    if body is not None:
        wire_headers.append((b"Content-Length", str(len(body)).encode()))
    key = (scheme.encode(), host.encode(), port or implied)
    request = httpcore.Request(
        method.encode(),
        httpcore.URL(scheme=key[0], host=key[1], port=port, target=target.encode()),
        headers=wire_headers,
        content=body if body is not None else b"",
        extensions={"timeout": timeouts},
    )
    return request, key, host


class _CoreResponse:
    __slots__ = ("_connection", "_idle", "_response", "headers", "status")

    def __init__(self, response: httpcore.Response, connection: httpcore.AsyncHTTP11Connection,
                 idle: list[httpcore.AsyncHTTP11Connection]) -> None:
        self._response = response
        self._connection = connection
        self._idle = idle
        self.status = response.status
        self.headers = httpx.Headers(response.headers)

    async def iter_raw(self) -> AsyncIterator[bytes]:
        stream = self._response.stream
        assert isinstance(stream, AsyncIterable)
        try:
            async for chunk in stream:
                yield chunk
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise as_httpx_error(exc) from exc

    async def aclose(self) -> None:
        await self._response.aclose()  # a connection whose answer was read whole goes idle, else it closes
        if self._connection.is_idle():
            self._idle.append(self._connection)


class CoreTransport:
    """httpcore's HTTP/1.1 connections, kept per origin for reuse while idle (keep-alive).

    Not httpcore's connection pool: a pool's bookkeeping (its locks, request queue and a scan of every
    connection on each request) cost more than the request, and a sweep needs no pool limits: the runner's
    `max_parallel` already bounds the requests (so the connections) in flight."""

    def __init__(self, ssl_context: ssl.SSLContext, user_agent: str) -> None:
        self._ssl_context = ssl_context
        self._user_agent = user_agent.encode()
        self._backend = AsyncioBackend()
        self._idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTP11Connection]] = {}
        self._opened: list[httpcore.AsyncHTTP11Connection] = []

    async def _idle_connection(self, key: tuple[bytes, bytes, int]) -> httpcore.AsyncHTTP11Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if connection.is_idle() and not connection.has_expired():  # expired: the server hung up
                return connection
            await connection.aclose()
        return None

    async def _new_connection(self, key: tuple[bytes, bytes, int], host: str,
                              timeouts: Timeouts) -> httpcore.AsyncHTTP11Connection:
        stream = await self._backend.connect_tcp(host, key[2], timeout=timeouts.get("connect"))
        if key[0] == b"https":
            stream = await stream.start_tls(self._ssl_context, server_hostname=host, timeout=timeouts.get("connect"))
        connection = httpcore.AsyncHTTP11Connection(httpcore.Origin(*key), stream, keepalive_expiry=KEEPALIVE_S)
        self._opened.append(connection)
        return connection

    async def open(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                   timeouts: Timeouts) -> RawResponse:
        request, key, host = _core_request(method, url, headers, body, timeouts, self._user_agent)
        try:
            connection = await self._idle_connection(key)
            if connection is not None:
                try:
                    response = await connection.handle_async_request(request)
                    return _CoreResponse(response, connection, self._idle.setdefault(key, []))
                except (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError):
                    # A kept-alive connection the server closed as we reused it (its idle timeout): nothing
                    # was answered, so ask once more on a fresh connection, as browsers and urllib3 do.
                    pass
            connection = await self._new_connection(key, host, timeouts)
            response = await connection.handle_async_request(request)
        except Exception as exc:
            mapped = as_httpx_error(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return _CoreResponse(response, connection, self._idle.setdefault(key, []))

    async def aclose(self) -> None:
        opened, self._opened, self._idle = self._opened, [], {}
        await asyncio.gather(*(connection.aclose() for connection in opened), return_exceptions=True)


# --- httpx clients ----------------------------------------------------------------------------------------

class _ClientResponse:
    __slots__ = ("_response", "headers", "status")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers = response.headers

    def iter_raw(self) -> AsyncIterator[bytes]:
        return self._response.aiter_raw()

    async def aclose(self) -> None:
        await self._response.aclose()


class ClientTransport:
    """httpx clients: the one given, or one per origin made by `make` (closed with the transport)."""

    def __init__(self, client: httpx.AsyncClient | None = None,
                 make: Callable[[str], httpx.AsyncClient] | None = None) -> None:
        if client is None and make is None:
            raise ValueError("ClientTransport needs a client or a way to make one")
        self._client = client
        self._make = make
        self._clients: dict[str, httpx.AsyncClient] = {}

    def _client_for(self, url: str) -> httpx.AsyncClient:
        if self._client is not None:
            return self._client
        assert self._make is not None
        origin = origin_of(url)
        client = self._clients.get(origin)
        if client is None:
            client = self._clients[origin] = self._make(origin)
        return client

    async def open(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None,
                   timeouts: Timeouts) -> RawResponse:
        client = self._client_for(url)
        request = client.build_request(method, url, headers=dict(headers), content=body,
                                       timeout=httpx.Timeout(**timeouts))
        return _ClientResponse(await client.send(request, stream=True))

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)
