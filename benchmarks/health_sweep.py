"""Health sweep benchmark: many endpoints, each on its own host (port), each 200 ms away, keeping connections
alive as real providers do (`standins.py`).

    .venv/bin/python benchmarks/health_sweep.py            # every max_parallel from 16 up
    .venv/bin/python benchmarks/health_sweep.py --full     # also 8, 4, 2, 1 (1000 checks one at a time: minutes)

Reports, side by side in one run:
- one endpoint alone (wall), the goal's yardstick;
- 200 endpoints: sweep wall / single check (goal <= 1.5), and this process's CPU for the sweep (goal <= 0.2 s);
- 1000 endpoints at the default max_parallel: wall (goal <= 1.5 s);
- 1000 endpoints at every max_parallel the CLI allows: false "timeout" (or any other non-ok) results (goal 0);
- recording the 1000 results in the health history (one `record`, as a sweep does);
- peak RSS of this process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "desktop")]

from benchmarks.standins import StandIns  # noqa: E402

from switchover.core.health.history import HealthHistory  # noqa: E402
from switchover.core.health.probes import Probe  # noqa: E402
from switchover.core.health.results import HealthResult, Tier  # noqa: E402
from switchover.core.health.runner import CheckOptions, check_many_sync  # noqa: E402
from switchover.core.providers import AuthStyle, Protocol  # noqa: E402

DELAY_S = 0.2
LADDER = (1000, 512, 256, 128, 64, 32, 16)
SLOW_LADDER = (8, 4, 2, 1)


def _probes(urls: list[str]) -> list[Probe]:
    return [Probe(f"p{i}", Protocol.OPENAI_CHAT, url, AuthStyle.BEARER, ("m",), key="sk-bench-0123456789abcdef")
            for i, url in enumerate(urls)]


def _sweep(urls: list[str], options: CheckOptions) -> tuple[float, float, list[HealthResult]]:
    """(wall s, CPU s of this process, results) of one sweep."""
    probes = _probes(urls)
    cpu, started = time.process_time(), time.perf_counter()
    results = check_many_sync(probes, Tier.AUTH, options)
    return time.perf_counter() - started, time.process_time() - cpu, results


def _bad(results: list[HealthResult]) -> Counter[str]:
    return Counter(r.status.value for r in results if not r.healthy)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="also max_parallel 8, 4, 2, 1 (slow)")
    args = parser.parse_args()
    options = CheckOptions(trust_env=False)
    default_parallel = options.max_parallel
    ms = lambda values: f"median {statistics.median(values) * 1000:.0f} ms, best {min(values) * 1000:.0f} ms"  # noqa: E731

    with StandIns(1000, DELAY_S) as urls:
        _sweep(urls[:20], options)  # warm-up: imports, TLS context
        singles = [_sweep(urls[:1], options)[0] for _ in range(args.repeats)]
        two_hundred = [_sweep(urls[:200], options) for _ in range(args.repeats)]
        thousand = [_sweep(urls, options) for _ in range(max(3, args.repeats // 2))]
        ladder = {}
        for parallel in (*LADDER, *(SLOW_LADDER if args.full else ())):
            wall, cpu, results = _sweep(urls, replace(options, max_parallel=parallel))
            ladder[parallel] = (wall, cpu, _bad(results))

    records = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as folder:
            history = HealthHistory(Path(folder))
            history.record(thousand[0][2])  # a first sweep creates the files
            started = time.perf_counter()
            history.record(thousand[-1][2])
            records.append(time.perf_counter() - started)

    single = statistics.median(singles)
    print(f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, repeats: {args.repeats}, "
          f"default max_parallel: {default_parallel}")
    print(f"1 endpoint ({DELAY_S * 1000:.0f} ms away), wall:          {ms(singles)}")
    walls = [w for w, _, _ in two_hundred]
    cpus = [c for _, c, _ in two_hundred]
    slowest = [max(r.latency_ms or 0.0 for r in rs) / 1000 for _, _, rs in two_hundred]
    print(f"200 endpoints, wall:                   {ms(walls)}")
    print(f"200 endpoints, wall / single check:    median {statistics.median(walls) / single:.2f}  (goal <= 1.5)")
    print(f"200 endpoints, wall / slowest in it:   median "
          f"{statistics.median([w / s for w, s in zip(walls, slowest, strict=True)]):.2f}")
    print(f"200 endpoints, CPU of this process:    {ms(cpus)}  (goal <= 200 ms)")
    print(f"200 endpoints, not ok:                 {sum((_bad(rs) for _, _, rs in two_hundred), Counter())}")
    print(f"1000 endpoints (default), wall:        {ms([w for w, _, _ in thousand])}  (goal <= 1500 ms)")
    print(f"1000 endpoints (default), CPU:         {ms([c for _, c, _ in thousand])}")
    print(f"1000 endpoints (default), not ok:      {sum((_bad(rs) for _, _, rs in thousand), Counter())}")
    for parallel, (wall, cpu, bad) in ladder.items():
        print(f"1000 endpoints, max_parallel={parallel:<5} wall {wall * 1000:6.0f} ms, CPU {cpu * 1000:5.0f} ms, "
              f"not ok: {sum(bad.values())} {dict(bad) if bad else ''}")
    print(f"history: record 1000 results (files exist): {ms(records)}")
    print(f"peak RSS (this process):               {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
