"""httpcore's network layer on plain asyncio streams, for the health checks' `CoreTransport`.

httpcore's default backend goes through anyio, whose cancel scopes and backend detection cost more CPU per
read and write than the socket call itself; the checks only ever run on asyncio. Errors are httpcore's own
(ConnectError, ReadTimeout, ...) with the OS or TLS error as their cause, as the anyio backend raises them.
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
import sys
import typing
from collections.abc import Iterable

import httpcore
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

HAPPY_EYEBALLS_DELAY_S = 0.25  # as anyio's connect_tcp: IPv6 and IPv4 raced, the first to connect wins
READ_LIMIT = 2**16

SocketOption = typing.Union[  # noqa: UP007 - httpcore's own spelling of SOCKET_OPTION
    tuple[int, int, int], tuple[int, int, bytes | bytearray], tuple[int, int, None, int]]


def is_socket_readable(sock: socket.socket | None) -> bool:
    """Whether a read would return at once: on an idle keep-alive connection that means the server closed it
    (or sent something unasked), so the pool must not reuse it. httpcore's own check, which is private."""
    fd = None if sock is None else sock.fileno()
    if fd is None or fd < 0:
        return True
    if sys.platform == "win32" or not hasattr(select, "poll"):
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _is_ip_literal(host: str) -> bool:
    """An address needs no race between address families (and the race's tasks cost CPU per connection)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return True
    return False


class AsyncioStream(AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout("timed out reading") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("timed out writing") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        transport = self._writer.transport
        if transport.is_closing():
            return
        transport.close()
        await asyncio.sleep(0)  # let the close go out, then make sure it is gone (no TLS goodbye awaited)
        transport.abort()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname,
                                             ssl_handshake_timeout=timeout)
        except TimeoutError as exc:
            self._writer.transport.abort()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except OSError as exc:  # ssl.SSLError included
            self._writer.transport.abort()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        if info == "is_readable":
            if self._writer.transport.is_closing():
                return True
            return is_socket_readable(self._writer.get_extra_info("socket"))
        return None


class AsyncioBackend(AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, limit=READ_LIMIT,
                    happy_eyeballs_delay=None if _is_ip_literal(host) else HAPPY_EYEBALLS_DELAY_S,
                    local_addr=(local_address, 0) if local_address else None)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout("timed out connecting") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,  # noqa: ARG002 - httpcore's interface
        timeout: float | None = None,  # noqa: ARG002
        socket_options: Iterable[SocketOption] | None = None,  # noqa: ARG002
    ) -> AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("health checks do not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
