"""Run checks: one endpoint, or many concurrently with results streaming out as each finishes.

`check_many` is what async callers (and tests) use; `check_many_sync` is for worker threads (the Qt thread
pool, the failover loop): it runs its own event loop and closes it.

A sweep uses one connection pool per origin, not one for all: real providers keep connections alive, and a
pool scans every connection it holds on each request, which made a sweep quadratic in endpoints (0.6 s of
CPU for 200 endpoints, and "timeouts" that were only the event loop starving at 1000). The pools are
httpcore's, driven directly (see `transport`): httpx's per-request work was most of a sweep's CPU.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass, field

import httpx

from switchover.core.health.classify import Classification, classify_answer, classify_exception, classify_key_check
from switchover.core.health.http import HttpLimits, fetch, make_transport
from switchover.core.health.parallel import DEFAULT_MAX_PARALLEL
from switchover.core.health.probes import Probe, build_request, key_check_request
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.health.scrub import scrub
from switchover.core.health.signatures import SignatureBook, default_signatures
from switchover.core.health.transport import HttpTransport, origin_of
from switchover.core.providers import Protocol

log = logging.getLogger(__name__)

ResultCallback = Callable[[HealthResult], None]
UNPLANNED_ORIGIN_CONNECTIONS = 16  # a host no probe names (a same-host redirect to another port)


@dataclass(frozen=True)
class CheckOptions:
    limits: HttpLimits = field(default_factory=HttpLimits)
    slow_ms: float = 4000.0  # a healthy answer slower than this is reported as `slow`
    max_parallel: int = DEFAULT_MAX_PARALLEL
    ssl_context: ssl.SSLContext | None = None  # None = the OS trust store; tests pass one trusting a test CA
    trust_env: bool = True  # honour HTTPS_PROXY / NO_PROXY like the coding tools do
    signatures: SignatureBook | None = None


async def check_one(
    probe: Probe,
    tier: Tier = Tier.AUTH,
    options: CheckOptions | None = None,
    transport: HttpTransport | None = None,
) -> HealthResult:
    """Check one endpoint; never raises for a failing endpoint (the failure is the result)."""
    options = options or CheckOptions()
    if transport is None:
        own = make_transport(options.ssl_context, options.trust_env)
        try:
            return await check_one(probe, tier, options, own)
        finally:
            await own.aclose()
    started = time.time()
    url = build_request(probe, tier).url
    precheck = _precheck(probe, tier)
    if precheck is not None:
        return _result(probe, tier, url, precheck, started)
    book = options.signatures or default_signatures()
    try:
        verdict, fetched_status, latency = await _probe(probe, tier, options, transport, book)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every failure mode becomes a classified result
        log.debug("check %s/%s failed: %s", probe.provider, probe.protocol, scrub(repr(exc), probe.key))
        verdict = classify_exception(exc, probe, options.limits.total_timeout_s)
        return _result(probe, tier, url, verdict, started)
    if verdict.status is HealthStatus.OK and latency > options.slow_ms:
        verdict = Classification(
            HealthStatus.SLOW,
            f"{verdict.reason} But it took {latency:.0f} ms (slow above {options.slow_ms:.0f} ms).",
            verdict.error_code,
            verdict.retry_after_s,
            verdict.models,
        )
    return _result(probe, tier, url, verdict, started, latency, fetched_status)


async def _probe(
    probe: Probe, tier: Tier, options: CheckOptions, transport: HttpTransport, book: SignatureBook
) -> tuple[Classification, int, float]:
    request = build_request(probe, tier)
    fetched = await fetch(
        transport,
        request.method,
        request.url,
        limits=options.limits,
        headers=request.headers,
        json_body=request.json_body,
        follow_redirects=tier is not Tier.REACH,
    )
    if _wants_max_completion_tokens(probe, tier, fetched.status, fetched.body):
        # Newer OpenAI models reject max_tokens; ask once more the way they want.
        request = build_request(probe, tier, chat_tokens_field="max_completion_tokens")
        fetched = await fetch(
            transport, request.method, request.url, limits=options.limits, headers=request.headers,
            json_body=request.json_body,
        )
    latency = fetched.ttfb_ms if tier is Tier.REACH else fetched.elapsed_ms
    verdict = classify_answer(probe, tier, fetched, book)
    key_check = key_check_request(probe) if tier is Tier.AUTH and verdict.status.is_healthy else None
    if key_check is not None:
        # The model list was public: ask the provider about the key itself.
        checked = await fetch(transport, "GET", key_check.url, limits=options.limits, headers=key_check.headers)
        latency += checked.elapsed_ms
        override = classify_key_check(probe, checked, book)
        if override is not None:
            return override, checked.status, latency
        verdict = Classification(verdict.status, verdict.reason.replace("Key accepted;", "Key accepted (checked at "
                          f"{httpx.URL(key_check.url).host});"), verdict.error_code, verdict.retry_after_s,
                          verdict.models)
    return verdict, fetched.status, latency


def _wants_max_completion_tokens(probe: Probe, tier: Tier, status: int, body: bytes) -> bool:
    return (
        tier is Tier.DEEP
        and probe.protocol is Protocol.OPENAI_CHAT
        and status == 400
        and b"max_completion_tokens" in body
    )


def _precheck(probe: Probe, tier: Tier) -> Classification | None:
    """Failures we can name without touching the network."""
    if tier is Tier.REACH:
        return None
    if probe.needs_key and not probe.key:
        return Classification(
            HealthStatus.AUTH_FAILED,
            f"No key is available for {probe.provider}; store one with "
            f"`switchover provider key {probe.provider} --key-stdin` (or set its environment variable).",
        )
    if tier is Tier.DEEP and not probe.models:
        return Classification(
            HealthStatus.MODEL_MISSING,
            f"No model is configured for {probe.provider}, so there is nothing to send a test request to.",
        )
    return None


def _result(
    probe: Probe,
    tier: Tier,
    url: str,
    verdict: Classification,
    started: float,
    latency_ms: float | None = None,
    http_status: int | None = None,
) -> HealthResult:
    return HealthResult(
        provider=probe.provider,
        protocol=probe.protocol.value,
        url=public_url(url),
        tier=tier,
        status=verdict.status,
        reason=scrub(verdict.reason, probe.key, max_chars=None),
        latency_ms=latency_ms,
        http_status=http_status,
        error_code=verdict.error_code,
        retry_after_s=verdict.retry_after_s,
        models=verdict.models,
        checked_at=started,
    )


def public_url(url: str) -> str:
    """The URL as shown and stored: no query string or fragment (a key pasted as ?key=… stays out)."""
    return url.split("#", 1)[0].split("?", 1)[0]


async def iter_checks(
    probes: Iterable[Probe],
    tier: Tier = Tier.AUTH,
    options: CheckOptions | None = None,
) -> AsyncGenerator[HealthResult, None]:
    """Yield results in the order they finish; a slow endpoint never holds back the others.

    Closing the iterator early cancels the checks still running.
    """
    options = options or CheckOptions()
    probe_list = list(probes)
    if not probe_list:
        return
    gate = asyncio.Semaphore(max(1, options.max_parallel))
    _ensure_open_files(min(len(probe_list), options.max_parallel))
    per_origin = Counter(origin for p in probe_list for origin in _origins(p))

    def connections_for(origin: str) -> int:
        return max(1, min(per_origin.get(origin, UNPLANNED_ORIGIN_CONNECTIONS), options.max_parallel))

    transport = make_transport(options.ssl_context, options.trust_env, connections_for)

    async def gated(probe: Probe) -> HealthResult:
        async with gate:
            return await check_one(probe, tier, options, transport)

    tasks = [asyncio.create_task(gated(t)) for t in probe_list]
    try:
        for next_done in asyncio.as_completed(tasks):
            yield await next_done
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await transport.aclose()


def _ensure_open_files(sockets: int) -> None:
    """Raise the soft open-file limit (up to the hard one) when `sockets` checks in flight would not fit."""
    try:
        import resource
    except ImportError:  # Windows: no such per-process limit for sockets
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets * 2 + 256  # a socket per check (and one more during a redirect), plus the process's own
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard),
                                                     hard))
    except (ValueError, OSError) as exc:
        log.info("could not raise the open-file limit to %d: %s", wanted, exc)


def _origins(probe: Probe) -> set[str]:
    """The origins (scheme, host, port) a probe's requests may go to: its base URL, model list, key check."""
    return {origin_of(url) for url in (probe.base_url, probe.models_url, probe.key_check_url) if url}


async def check_many(
    probes: Iterable[Probe],
    tier: Tier = Tier.AUTH,
    options: CheckOptions | None = None,
    *,
    on_result: ResultCallback | None = None,
) -> list[HealthResult]:
    """Check all probes concurrently; `on_result` fires as each finishes. Returns results in input order."""
    probe_list = list(probes)
    results: list[HealthResult] = []
    async with aclosing(iter_checks(probe_list, tier, options)) as stream:
        async for result in stream:
            results.append(result)
            if on_result is not None:
                on_result(result)
    order = {id(t): i for i, t in enumerate(probe_list)}
    position = {(t.provider, t.protocol.value): order[id(t)] for t in probe_list}
    return sorted(results, key=lambda r: position.get((r.provider, r.protocol), len(order)))


def check_many_sync(
    probes: Iterable[Probe],
    tier: Tier = Tier.AUTH,
    options: CheckOptions | None = None,
    *,
    on_result: ResultCallback | None = None,
) -> list[HealthResult]:
    """For a worker thread with no running loop: runs a private event loop and closes it cleanly.

    `on_result` is called on this worker thread; a Qt caller should re-emit it as a queued signal.
    """
    return asyncio.run(check_many(list(probes), tier, options, on_result=on_result))
