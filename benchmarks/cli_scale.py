"""CLI at scale and at start-up: `status --json` with many providers and full histories, and how fast the
commands tools and scripts call most often start.

    .venv/bin/python benchmarks/cli_scale.py [--runs 7]

Real processes only, each in a throw-away HOME (the installed `switchover` console script, as users run it):
- `status --json` with 10 and with 200 providers, each endpoint with a full health history (500 checks);
  goals: <= 0.4 s at 200, and 200 within 1.5x of 10;
- `switchover --version`, `switchover key NAME` (key from an environment variable), `switchover --help`
  against `python -c pass`; goal for --version and key: <= 2x `python -c pass` + 60 ms.
Every key comes from an environment variable, as in a CI or a headless setup; keyring's backend discovery
is then not needed at all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.isolation import home_env  # noqa: E402

PYTHON = Path(sys.executable)
SWITCHOVER = PYTHON.parent / "switchover"
HISTORY_PER_ENDPOINT = 500


def isolated_env(base: Path) -> dict[str, str]:
    # As installed: bytecode cached (a shell with PYTHONDONTWRITEBYTECODE would time the compiler instead).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SWITCHOVER_", "PYTHON_KEYRING", "PYTHONDONTWRITEBYTECODE"))}
    env.update(home_env(base / "home"), BENCH_KEY="sk-bench-0123456789abcdef0123")
    return env


SEED = r'''
import os, sys, time
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
count, per = int(sys.argv[1]), int(sys.argv[2])
with edit_store() as store:
    for i in range(count):
        store.add(Provider(f"bench{i}", (Endpoint.make(Protocol.OPENAI_CHAT, f"http://127.0.0.1:{20000 + i}/v1"),),
                           models=("m",), credential=Credential.env("BENCH_KEY")))
history = HealthHistory()
now = time.time()
for i in range(count):
    history.record([HealthResult(f"bench{i}", "openai-chat", f"http://127.0.0.1:{20000 + i}/v1/models", Tier.AUTH,
                                 HealthStatus.OK if n % 7 else HealthStatus.TIMEOUT, "Key accepted; 1 models listed.",
                                 120.0 + n % 50, 200, checked_at=now - (per - n) * 60) for n in range(per)])
'''


def seed(env: dict[str, str], providers: int) -> None:
    subprocess.run([str(PYTHON), "-c", SEED, str(providers), str(HISTORY_PER_ENDPOINT)], env=env, check=True)


def timed(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        walls.append(time.perf_counter() - started)
        if done.returncode not in (0, 2):
            raise SystemExit(f"{argv} failed: {done.stderr.decode()[-500:]}")
    return walls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    med = statistics.median
    with tempfile.TemporaryDirectory() as small_dir, tempfile.TemporaryDirectory() as large_dir:
        small, large = isolated_env(Path(small_dir)), isolated_env(Path(large_dir))
        seed(small, 10)
        seed(large, 200)
        status = [str(SWITCHOVER), "status", "--json"]
        for warm in (status, [str(SWITCHOVER), "--help"], [str(SWITCHOVER), "key", "bench3"]):
            timed(warm, small, 1)  # warm the page cache and the bytecode cache
        status_10 = timed(status, small, args.runs)
        status_200 = timed(status, large, args.runs)
        python = timed([str(PYTHON), "-c", "pass"], small, args.runs * 2)
        version = timed([str(SWITCHOVER), "--version"], small, args.runs * 2)
        key = timed([str(SWITCHOVER), "key", "bench3"], small, args.runs * 2)
        helptext = timed([str(SWITCHOVER), "--help"], small, args.runs)

    budget = 2 * med(python) + 0.060
    figure = lambda walls: f"median {med(walls) * 1000:4.0f} ms, best {min(walls) * 1000:4.0f} ms"  # noqa: E731
    print(f"CPUs: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, runs: {args.runs}")
    print(f"status --json, 10 providers:    {figure(status_10)}")
    print(f"status --json, 200 providers:   {figure(status_200)}  (goal <= 400 ms)")
    print(f"status 200 / status 10:         {med(status_200) / med(status_10):.2f}  (goal <= 1.5)")
    print(f"python -c pass:                 median {med(python) * 1000:4.0f} ms"
          f"  (budget 2x + 60 ms = {budget * 1000:.0f} ms)")
    for name, walls in (("switchover --version", version), ("switchover key NAME", key),
                        ("switchover --help", helptext)):
        print(f"{name + ':':31} {figure(walls)}  ({med(walls) / med(python):.1f}x python)")

if __name__ == "__main__":
    main()
