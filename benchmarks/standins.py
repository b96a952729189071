"""Stand-in providers for the scale benchmarks: many endpoints, each on its own port (its own host, as far as
a client's connection pool can tell), each answering its model list after a delay and keeping the connection
alive, as real providers do. (A server that sends `Connection: close` hides what a client's pool costs.)

They run in a child process on one asyncio loop, so their work does not count toward the benchmark's CPU.

    with StandIns(count=200, delay_s=0.2) as urls:   # ["http://127.0.0.1:PORT/v1", ...]
        ...
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import resource
from multiprocessing.connection import Connection
from types import TracebackType

BODY = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]}).encode()
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if length:
                await reader.readexactly(length)
            await asyncio.sleep(delay_s)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def _serve(count: int, delay_s: float, conn: Connection) -> None:
    servers = []
    for _ in range(count):
        servers.append(await asyncio.start_server(lambda r, w: _handle(r, w, delay_s), "127.0.0.1", 0,
                                                  backlog=1024))
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    conn.send([f"http://127.0.0.1:{port}/v1" for port in ports])
    await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until the benchmark says stop
    for server in servers:
        server.close()


def _main(count: int, delay_s: float, conn: Connection) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(_serve(count, delay_s, conn))


class StandIns:
    def __init__(self, count: int, delay_s: float = 0.2) -> None:
        self.count = count
        self.delay_s = delay_s
        self._parent, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_main, args=(count, delay_s, child), daemon=True)

    def __enter__(self) -> list[str]:
        self._process.start()
        urls: list[str] = self._parent.recv()
        return urls

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._parent.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
