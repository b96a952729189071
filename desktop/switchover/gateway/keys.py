"""Upstream keys for the gateway: read from the keychain off the event loop, cached in memory.

A keychain read is a D-Bus round trip (milliseconds, sometimes a prompt), far too slow per request, so each
provider's key is read once and kept for `ttl_s`; it is read again when that runs out, when the provider is
edited (its definition changed) and right after the upstream rejected it (the user may have stored a new
one), so a key replaced with `switchover provider key` is used without restarting the gateway.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from switchover.core.providers import Provider
from switchover.core.secrets import KeychainError, MissingKeyError


class KeyUnavailable(Exception):
    """No key could be had for a provider; `missing` says whether the key is simply not stored (the
    provider cannot be used) rather than the keychain being locked or broken (not the provider's fault)."""

    def __init__(self, message: str, missing: bool):
        super().__init__(message)
        self.missing = missing


@dataclass
class _Cached:
    provider: Provider
    key: str | None
    at: float


class KeyCache:
    def __init__(self, resolve: Callable[[Provider], str | None], ttl_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic):
        self._resolve = resolve
        self.ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._pending: dict[str, asyncio.Future[str | None]] = {}

    async def key(self, provider: Provider) -> str | None:
        if provider.credential.kind == "none":
            return None
        cached = self._cache.get(provider.name)
        if cached is not None and cached.provider == provider and self._clock() - cached.at < self.ttl_s:
            return cached.key
        pending = self._pending.get(provider.name)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._pending[provider.name] = pending
            try:
                value = await asyncio.to_thread(self._resolve, provider)
            except MissingKeyError as exc:
                pending.set_exception(KeyUnavailable(str(exc), missing=True))
            except KeychainError as exc:
                pending.set_exception(KeyUnavailable(str(exc), missing=False))
            else:
                self._cache[provider.name] = _Cached(provider, value, self._clock())
                pending.set_result(value)
            finally:
                self._pending.pop(provider.name, None)
        try:
            return await asyncio.shield(pending)
        finally:
            if pending.done() and not pending.cancelled():
                pending.exception()  # mark retrieved: no "exception never retrieved" warning

    def forget(self, name: str) -> None:
        """Read this provider's key again next time (after a rejection, or when told it changed)."""
        self._cache.pop(name, None)

    async def prefetch(self, providers: list[Provider]) -> None:
        """Warm the cache (at start), so the first request does not wait on the keychain."""
        async def one(provider: Provider) -> None:
            with contextlib.suppress(KeyUnavailable):
                await self.key(provider)

        await asyncio.gather(*(one(p) for p in providers))
