"""Failover latency: from the active endpoint starting to fail to the tool's config pointing at the next
healthy one, in `auto` mode with a 1 s interval. Goal: <= interval + 1 s (2 s).

    .venv/bin/python benchmarks/failover_latency.py [--repeats N] [--interval S]

Real pieces only: two local provider servers (Anthropic protocol), the real monitor on the real clock, the
real health checks and switching engine, Claude Code's real settings.json in a throw-away HOME. The failure
starts at a random moment within the check interval, as it would in life; we poll the file every 2 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "desktop")]

from benchmarks.isolation import home_env  # noqa: E402


def _isolate(base: Path) -> Path:
    """Everything (HOME, XDG, Switchover's dirs) inside `base`: the benchmark never touches the real home."""
    home = base / "home"
    os.environ.update(home_env(home, base / "config", base / "data", extra_dirs=(".claude",)))
    os.environ["BENCH_PROVIDER_KEY"] = "sk-bench-0123456789abcdef"
    os.environ.pop("CLAUDE_CONFIG_DIR", None)
    return home


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="switchover-failover-bench-") as tmp:
        home = _isolate(Path(tmp))
        from tests.support.provider_server import ProviderServer

        from switchover.core.failover.decisions import DecisionLog
        from switchover.core.failover.settings import SECTION, Mode
        from switchover.core.providers import Credential, Endpoint, Protocol, Provider
        from switchover.core.store import ChainEntry, edit_store
        from switchover.services.failover import build_monitor

        settings_file = home / ".claude" / "settings.json"
        latencies: list[float] = []
        with ProviderServer() as primary, ProviderServer() as backup:
            urls = {"primary": primary.base_url("anthropic"), "backup": backup.base_url("anthropic")}
            with edit_store() as store:
                for name, url in urls.items():
                    store.add(Provider(name, (Endpoint.make(Protocol.ANTHROPIC, url),), ("bench-model",),
                                       label=name.title(), credential=Credential.env("BENCH_PROVIDER_KEY")))
                store.chains["claude-code"] = [ChainEntry(name, "bench-model") for name in ("primary", "backup")]
                store.section(SECTION).update({"dwell_s": 0.0, "switch_back_after_s": 3600.0})

            def current_url() -> str | None:
                try:
                    return json.loads(settings_file.read_text())["env"]["ANTHROPIC_BASE_URL"]
                except (OSError, ValueError, KeyError):
                    return None

            for run in range(args.repeats):
                primary.play("anthropic", "ok", ("bench-model",))
                backup.play("anthropic", "ok", ("bench-model",))
                settings_file.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": urls["primary"],
                                                             "ANTHROPIC_MODEL": "bench-model"}}))
                monitor = build_monitor(mode=Mode.AUTO, interval_s=args.interval, history=DecisionLog())
                worker = threading.Thread(target=monitor.run, name="failover-monitor")
                worker.start()
                try:
                    time.sleep(args.interval * 2 + random.uniform(0, args.interval))  # steady state, random phase
                    assert current_url() == urls["primary"], "switched before the failure started"
                    started = time.monotonic()
                    primary.play("anthropic", "region_blocked", ("bench-model",))
                    while current_url() != urls["backup"]:
                        if time.monotonic() - started > 30:
                            raise SystemExit("no failover within 30 s")
                        time.sleep(0.002)
                    latencies.append(time.monotonic() - started)
                finally:
                    monitor.stop()
                    worker.join(30)
                print(f"run {run + 1}: {latencies[-1] * 1000:.0f} ms", flush=True)

    goal = args.interval + 1.0
    worst = max(latencies)
    print()
    print(f"failover latency, auto mode, interval {args.interval:g} s, {len(latencies)} runs:")
    print(f"  median {statistics.median(latencies) * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms,"
          f" max {worst * 1000:.0f} ms (goal <= {goal * 1000:.0f} ms): {'PASS' if worst <= goal else 'FAIL'}")
    return 0 if worst <= goal else 1


if __name__ == "__main__":
    sys.exit(main())
