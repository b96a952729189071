"""Running the gateway: one per user (a lock), where it listens (a state file), and how it is wired to the
store, the keychain, the health history and the request log. `switchover gateway` runs it in the
foreground; the desktop app runs it on its own thread with its own event loop (`GatewayThread`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from switchover import __version__
from switchover.core import paths, safejson
from switchover.core.errors import SwitchoverError
from switchover.core.fileio import atomic_write
from switchover.core.filelock import LockBusyError, locked
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult
from switchover.core.providers import Provider
from switchover.core.store import load_store
from switchover.gateway.flusher import BatchWriter
from switchover.gateway.interfaces import RouteSource
from switchover.gateway.keys import KeyCache
from switchover.gateway.requestlog import RequestLog
from switchover.gateway.server import ADMIN_PREFIX, Gateway, start_server
from switchover.gateway.settings import HOST, GatewaySettings
from switchover.gateway.token import ensure_token
from switchover.gateway.translation import LibraryTranslation
from switchover.gateway.upstream import AiohttpUpstream
from switchover.services.gateway_routes import StoreRoutes, gateway_settings
from switchover.services.keys import KeySource

log = logging.getLogger(__name__)

ResultsObserver = Callable[[list[HealthResult]], None]


def gateway_dir() -> Path:
    return paths.data_dir() / "gateway"


def lock_file() -> Path:
    return gateway_dir() / "gateway.lock"


def state_file() -> Path:
    return gateway_dir() / "state.json"


class GatewayBusyError(SwitchoverError):
    """Another gateway of this user is running already."""


# ---------------------------------------------------------------- where a running gateway listens


@dataclass(frozen=True)
class RunningGateway:
    pid: int
    url: str
    port: int
    started_at: float
    version: str


def running_gateway() -> RunningGateway | None:
    """The gateway of this user that holds the lock now, as its state file describes it; None if none runs."""
    try:
        with locked(lock_file(), timeout=0, what="the gateway"):
            return None  # we could take the lock: nobody holds it
    except LockBusyError:
        pass
    try:
        data = safejson.loads(state_file().read_bytes())
        return RunningGateway(int(data["pid"]), str(data["url"]), int(data["port"]), float(data["started_at"]),
                              str(data.get("version", "")))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # starting up: the lock is held, the state not written yet


def fetch_status(running: RunningGateway, token: str, timeout_s: float = 3.0) -> dict[str, Any] | None:
    """The running gateway's own status (routes, breakers, last requests), or None if it does not answer."""
    import httpx

    try:
        response = httpx.get(running.url + ADMIN_PREFIX + "status", headers={"Authorization": f"Bearer {token}"},
                             timeout=timeout_s, trust_env=False)
        data = safejson.loads(response.content) if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@contextlib.contextmanager
def gateway_lock() -> Iterator[None]:
    try:
        with locked(lock_file(), timeout=0, what="the gateway"):
            yield
    except LockBusyError:
        running = running_gateway()
        where = f" at {running.url} (pid {running.pid})" if running else ""
        raise GatewayBusyError(f"A Switchover gateway is already running{where}; one per user is enough. "
                               "`switchover gateway status` shows what it serves.") from None


def _write_state(url: str, port: int) -> None:
    paths.ensure_private_dir(gateway_dir())
    data = {"pid": os.getpid(), "url": url, "port": port, "started_at": time.time(), "version": __version__}
    atomic_write(state_file(), json.dumps(data).encode(), 0o600)


def _clear_state() -> None:
    with contextlib.suppress(OSError):
        state_file().unlink()


# ---------------------------------------------------------------- health evidence


class HistoryEvidence:
    """Request outcomes into the health history (the same files checks write), off the event loop.

    Failures are kept as they come; successes at most once per `ok_interval_s` per endpoint (and at once
    after a failure), so a busy tool does not rewrite the history on every request. `observers` see each
    batch on the writer thread (the app feeds its failover monitor and Health page from there).
    """

    def __init__(self, history: HealthHistory | None = None, observers: Sequence[ResultsObserver] = (),
                 ok_interval_s: float = 60.0, flush_s: float = 0.25):
        self.history = history if history is not None else HealthHistory()
        self.observers = list(observers)
        self.ok_interval_s = ok_interval_s
        self._last: dict[str, tuple[bool, float]] = {}
        self._writer: BatchWriter[HealthResult] = BatchWriter(self._write, name="switchover-gateway-evidence",
                                                              flush_s=flush_s)

    def wanted(self, key: str, healthy: bool, at: float) -> bool:
        """Whether a result for endpoint `key` would be kept (cheap: lets the gateway skip building it)."""
        previous = self._last.get(key)
        return not (healthy and previous is not None and previous[0] and at - previous[1] < self.ok_interval_s)

    def record(self, result: HealthResult) -> None:
        key = result.endpoint_key
        healthy = result.healthy
        if not self.wanted(key, healthy, result.checked_at):
            return
        self._last[key] = (healthy, result.checked_at)
        self._writer.add(result)

    def close(self, timeout: float = 5.0) -> None:
        self._writer.close(timeout)

    def _write(self, batch: list[HealthResult]) -> None:
        try:
            self.history.record(batch)
        except Exception as exc:  # history is a convenience; never let it stop the gateway
            log.warning("could not record gateway evidence: %s", exc)
        for observer in list(self.observers):
            try:
                observer(batch)
            except Exception:
                log.exception("gateway evidence observer failed")


# ---------------------------------------------------------------- building and serving


def tool_labels() -> dict[str, str]:
    from switchover.targets.registry import all_targets

    return {target.id: target.label for target in all_targets()}


def default_key_resolver() -> Callable[[Provider], str | None]:
    return KeySource().resolve  # the one key policy: the keychain opened only for a key kept there


@dataclass
class GatewayParts:
    """A built gateway and what must be closed with it."""

    gateway: Gateway
    routes: RouteSource
    evidence: HistoryEvidence | None
    log: RequestLog

    async def close(self) -> None:
        await self.gateway.upstream.close()
        await asyncio.to_thread(self.log.close)
        if self.evidence is not None:
            await asyncio.to_thread(self.evidence.close)


def build_gateway(
    settings: GatewaySettings,
    *,
    token: str | None = None,
    store_path: Path | None = None,
    tools: Mapping[str, str] | None = None,
    resolve: Callable[[Provider], str | None] | None = None,
    history: HealthHistory | None = None,
    record_evidence: bool = True,
    observers: Sequence[ResultsObserver] = (),
    log_dir: Path | None = None,
) -> GatewayParts:
    routes = StoreRoutes(tools if tools is not None else tool_labels(), store_path)
    evidence = HistoryEvidence(history, observers) if record_evidence else None
    request_log = RequestLog(log_dir, keep=settings.log_keep)
    gateway = Gateway(
        settings=settings,
        token=token or ensure_token(),
        routes=routes,
        keys=KeyCache(resolve or default_key_resolver()),
        upstream=AiohttpUpstream(connect_timeout_s=settings.connect_timeout_s,
                                 max_connections=settings.max_connections),
        log_sink=request_log,
        evidence=evidence,
        translation=LibraryTranslation(),
    )
    return GatewayParts(gateway, routes, evidence, request_log)


GIL_SWITCH_S = 0.001


async def serve(
    parts: GatewayParts,
    stop: asyncio.Event,
    *,
    port: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Hold the per-user lock, listen on loopback, announce where, serve until `stop` is set."""
    # Python hands the GIL between threads every 5 ms by default: a background writer (log, usage, evidence)
    # holding it would delay a streamed chunk by up to that much. 1 ms bounds what it can cost a chunk.
    sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_S))
    with gateway_lock():
        gateway = parts.gateway
        try:
            runner = await start_server(gateway, HOST, port)
        except OSError as exc:
            wanted = gateway.settings.port if port is None else port
            raise SwitchoverError(
                f"The gateway cannot listen on {HOST}:{wanted} ({exc.strerror or exc}). Another program uses that "
                "port: pick another with `switchover gateway --port N` (and `--save` to keep it)."
            ) from None
        url = f"http://{HOST}:{gateway.port}"
        try:
            _write_state(url, gateway.port)
            table = gateway.routes.table()
            await gateway.keys.prefetch([p for p in table.providers.values() if p.credential.kind != "none"])
            if on_ready is not None:
                on_ready(url)
            await stop.wait()
        finally:
            _clear_state()
            await runner.cleanup()
            await parts.close()


def load_settings(store_path: Path | None = None) -> GatewaySettings:
    return gateway_settings(load_store(store_path))


class GatewayThread:
    """The gateway on its own thread and event loop (the desktop app's way). `start()` returns once it
    listens or failed; `error` then says why (e.g. another gateway runs: the app stands by)."""

    def __init__(self, build: Callable[[], GatewayParts], port: int | None = None):
        self._build = build
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self.url: str | None = None
        self.error: str | None = None
        self.gateway: Gateway | None = None

    def start(self, timeout: float = 15.0) -> bool:
        self._thread = threading.Thread(target=self._run, name="switchover-gateway", daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        return self.url is not None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except SwitchoverError as exc:
            self.error = str(exc)
        except Exception as exc:
            log.exception("the gateway stopped")
            self.error = f"The gateway stopped: {exc}"
        finally:
            self._ready.set()
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        parts = self._build()
        self.gateway = parts.gateway

        def ready(url: str) -> None:
            self.url = url
            self._ready.set()

        await serve(parts, self._stop, port=self._port, on_ready=ready)

    def stop(self, timeout: float = 10.0) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.url = None

    def status(self) -> dict[str, Any] | None:
        """The gateway's status, computed on its own loop (thread-safe)."""
        loop, gateway = self._loop, self.gateway
        if loop is None or gateway is None or self.url is None or loop.is_closed():
            return None

        async def snapshot() -> dict[str, Any]:
            return gateway.status()

        try:
            return asyncio.run_coroutine_threadsafe(snapshot(), loop).result(5)
        except Exception:
            return None
