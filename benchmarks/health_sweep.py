"""Health sweep benchmark: how close a concurrent sweep gets to the time of its slowest single check.

    .venv/bin/python benchmarks/health_sweep.py

A local provider server (in a child process, so its threads do not count toward our memory) answers every
model-list request after 200 ms. We report: the 50-endpoint sweep's wall time divided by the slowest single
check in it (goal <= 1.25), peak RSS of this process, and the wall time for 200 endpoints (default
parallelism 64, and unbounded).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "desktop")]

from switchover.core.health.http import HttpLimits  # noqa: E402
from switchover.core.health.probes import Probe  # noqa: E402
from switchover.core.health.results import Tier  # noqa: E402
from switchover.core.health.runner import CheckOptions, check_many_sync  # noqa: E402
from switchover.core.providers import AuthStyle, Protocol  # noqa: E402

DELAY_S = 0.2
MAX_ENDPOINTS = 200


def _serve(conn: multiprocessing.connection.Connection) -> None:
    from tests.support.provider_server import ProviderServer, Reply

    with ProviderServer() as server:
        for i in range(MAX_ENDPOINTS):
            server.on("GET", f"/p{i}/v1/models", Reply.json({"data": [{"id": "m"}]}, delay_s=DELAY_S))
        conn.send(server.url)
        conn.recv()  # wait until the benchmark is done


def _targets(url: str, count: int) -> list[Probe]:
    return [
        Probe(f"p{i}", Protocol.OPENAI_CHAT, f"{url}/p{i}/v1", AuthStyle.BEARER, ("m",), key="sk-bench")
        for i in range(count)
    ]


def _sweep(url: str, count: int, options: CheckOptions) -> tuple[float, float]:
    """(wall seconds, slowest single check in ms) of one sweep over `count` endpoints."""
    started = time.perf_counter()
    results = check_many_sync(_targets(url, count), Tier.AUTH, options)
    wall = time.perf_counter() - started
    assert all(r.healthy for r in results), {r.status for r in results}
    return wall, max(r.latency_ms or 0.0 for r in results)


def main(repeats: int = 5) -> None:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    url = parent.recv()
    options = CheckOptions(limits=HttpLimits(), trust_env=False)
    try:
        check_many_sync(_targets(url, 5), Tier.AUTH, options)  # warm-up (imports, TLS context)
        singles = [_sweep(url, 1, options)[0] for _ in range(repeats)]
        fifty = [_sweep(url, 50, options) for _ in range(repeats)]
        two_hundred = [_sweep(url, 200, options)[0] for _ in range(repeats)]
        two_hundred_wide = [_sweep(url, 200, replace(options, max_parallel=200))[0] for _ in range(repeats)]
    finally:
        parent.send("stop")
        server.join(10)

    ratios = [wall * 1000 / slowest for wall, slowest in fifty]
    ms = lambda values: f"median {statistics.median(values) * 1000:.0f} ms, best {min(values) * 1000:.0f} ms"  # noqa: E731
    print(f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, repeats: {repeats}")
    print(f"single endpoint ({DELAY_S * 1000:.0f} ms server delay):   {ms(singles)}")
    print(f"50 endpoints, sweep wall:             {ms([w for w, _ in fifty])}")
    print(f"sweep / slowest single check in it:   median {statistics.median(ratios):.2f}, best {min(ratios):.2f}"
          "  (goal <= 1.25)")
    print(f"sweep / standalone single check:      median "
          f"{statistics.median([w for w, _ in fifty]) / statistics.median(singles):.2f}")
    print(f"200 endpoints (max_parallel=64):      {ms(two_hundred)}")
    print(f"200 endpoints (max_parallel=200):     {ms(two_hundred_wide)}")
    print(f"peak RSS (this process):              {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
