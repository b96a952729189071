"""Sweeps run concurrently, stream results as they finish, and clean up after themselves."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from switchover.core.health.probes import Probe
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.health.runner import check_many, check_many_sync, iter_checks
from tests.health.helpers import MODEL, fast_options, target_for
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]


def _delayed_targets(server: ProviderServer, count: int, delay_s: float) -> list[Probe]:
    targets = []
    for i in range(count):
        server.on("GET", f"/p{i}/v1/models", Reply.json({"data": [{"id": MODEL}]}, delay_s=delay_s))
        targets.append(target_for(server, "openai-chat", name=f"p{i}", base_url=f"{server.url}/p{i}/v1"))
    return targets


def test_fifty_endpoints_at_200ms_run_concurrently(provider_server: Server) -> None:
    server = provider_server()
    targets = _delayed_targets(server, 50, 0.2)
    started = time.monotonic()
    results = check_many_sync(targets, Tier.AUTH, fast_options())
    elapsed = time.monotonic() - started
    assert [r.provider for r in results] == [t.provider for t in targets]  # input order
    assert all(r.status is HealthStatus.OK for r in results), {r.status for r in results}
    assert all(r.latency_ms is not None and r.latency_ms >= 200 for r in results)
    assert elapsed < 3.0  # sequential would take 10 s
    assert len(server.requests) == 50


def test_results_stream_out_as_they_finish(provider_server: Server) -> None:
    server = provider_server()
    slow = _delayed_targets(server, 1, 2.5)[0]
    slow = Probe(**{**slow.__dict__, "provider": "slow"})
    fast = [target_for(server, "openai-chat", name=f"fast{i}") for i in range(5)]
    server.play("openai-chat", "ok")
    arrivals: dict[str, float] = {}
    started = time.monotonic()

    def on_result(result: HealthResult) -> None:
        arrivals[result.provider] = time.monotonic() - started

    options = fast_options(read_timeout_s=5, total_timeout_s=6)
    results = asyncio.run(check_many([slow, *fast], Tier.AUTH, options, on_result=on_result))
    assert [r.provider for r in results] == ["slow", *(t.provider for t in fast)]
    assert all(r.status is HealthStatus.OK for r in results)
    assert all(arrivals[t.provider] < 1.5 for t in fast), arrivals
    assert arrivals["slow"] >= 2.5
    assert list(arrivals)[-1] == "slow"


def test_closing_the_stream_early_cancels_the_rest(provider_server: Server) -> None:
    stalled = provider_server().on_any(Reply.stalled())
    quick = provider_server().play("openai-chat", "ok")
    targets = [target_for(stalled, "openai-chat", name=f"stuck{i}") for i in range(5)]
    targets.append(target_for(quick, "openai-chat", name="quick"))

    async def first_only() -> HealthResult:
        stream = iter_checks(targets, Tier.AUTH, fast_options(read_timeout_s=30, total_timeout_s=30))
        try:
            return await anext(stream)
        finally:
            await stream.aclose()

    started = time.monotonic()
    first = asyncio.run(first_only())
    assert first.provider == "quick" and first.status is HealthStatus.OK
    assert time.monotonic() - started < 2.0


def test_parallelism_is_bounded(provider_server: Server) -> None:
    server = provider_server()
    targets = _delayed_targets(server, 6, 0.3)
    options = fast_options()
    from dataclasses import replace

    started = time.monotonic()
    results = check_many_sync(targets, Tier.AUTH, replace(options, max_parallel=2))
    elapsed = time.monotonic() - started
    assert all(r.healthy for r in results)
    assert elapsed >= 0.85  # 3 waves of 0.3 s, never all at once


def test_sync_wrapper_from_worker_threads(provider_server: Server) -> None:
    server = provider_server().play("anthropic", "ok")
    seen_threads: set[str] = set()

    def sweep(i: int) -> list[HealthResult]:
        def note(_: HealthResult) -> None:
            seen_threads.add(threading.current_thread().name)

        return check_many_sync([target_for(server, "anthropic", name=f"w{i}")], Tier.AUTH, fast_options(),
                               on_result=note)

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="pool") as pool:
        batches = list(pool.map(sweep, range(8)))
    assert all(batch[0].status is HealthStatus.OK for batch in batches)
    assert seen_threads and all(name.startswith("pool") for name in seen_threads)


def test_empty_sweep() -> None:
    assert check_many_sync([], Tier.AUTH) == []
