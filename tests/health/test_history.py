"""History: bounded, persisted per endpoint, uptime and median latency over a window, never a secret."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable

from switchover.core import paths
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.health.runner import check_many
from tests.health.helpers import KEY, fast_options, target_for
from tests.support.provider_server import ProviderServer

Server = Callable[..., ProviderServer]


def _result(status: HealthStatus, at: float, latency: float | None = 100.0, provider: str = "p") -> HealthResult:
    return HealthResult(provider, "openai-chat", "https://x/v1/models", Tier.AUTH, status, "because",
                        latency_ms=latency, checked_at=at)


def test_persisted_and_reloaded_by_a_new_instance() -> None:
    HealthHistory().record([_result(HealthStatus.OK, 1000.0), _result(HealthStatus.TIMEOUT, 1001.0)])
    again = HealthHistory()
    assert [r.status for r in again.results("p/openai-chat")] == [HealthStatus.OK, HealthStatus.TIMEOUT]
    assert again.endpoints() == ["p/openai-chat"]
    files = list((paths.data_dir() / "health").glob("*.json"))
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"


def test_bounded_to_the_newest_entries() -> None:
    history = HealthHistory(keep=5)
    history.record([_result(HealthStatus.OK, float(t)) for t in range(12)])
    history.record([_result(HealthStatus.OK, 100.0)])
    kept = history.results("p/openai-chat")
    assert [r.checked_at for r in kept] == [8.0, 9.0, 10.0, 11.0, 100.0]


def test_uptime_and_median_latency_over_a_window() -> None:
    history = HealthHistory()
    now = 10_000.0
    history.record([
        _result(HealthStatus.OK, now - 5000, latency=999),  # outside a 1 h window
        _result(HealthStatus.OK, now - 300, latency=100),
        _result(HealthStatus.SLOW, now - 200, latency=5000),
        _result(HealthStatus.RATE_LIMITED, now - 100, latency=50),
        _result(HealthStatus.OK, now - 10, latency=300),
    ])
    summary = history.summary("p/openai-chat", window_s=3600, now=now)
    assert summary.checks == 4
    assert summary.uptime_pct == 75.0
    assert summary.median_latency_ms == 300  # of the healthy ones: 100, 300, 5000
    assert summary.last is not None and summary.last.checked_at == now - 10
    empty = history.summary("nobody/openai-chat", now=now)
    assert empty.checks == 0 and empty.uptime_pct is None and empty.median_latency_ms is None


def test_damaged_file_reads_as_empty_and_is_replaced() -> None:
    history = HealthHistory()
    history.record([_result(HealthStatus.OK, 1.0)])
    file = next((paths.data_dir() / "health").glob("*.json"))
    file.write_text("{not json")
    assert history.results("p/openai-chat") == []
    history.record([_result(HealthStatus.OK, 2.0)])
    assert [r.checked_at for r in history.results("p/openai-chat")] == [2.0]


def test_concurrent_writers_lose_nothing() -> None:
    def write(worker: int) -> None:
        history = HealthHistory()
        for i in range(10):
            history.record([_result(HealthStatus.OK, worker * 100 + i)])

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(HealthHistory().results("p/openai-chat")) == 40


def test_history_of_real_checks_holds_no_key(provider_server: Server) -> None:
    server = provider_server().play("openai-chat", "auth_failed")
    results = asyncio.run(check_many([target_for(server, "openai-chat")], Tier.AUTH, fast_options()))
    HealthHistory().record(results)
    text = "".join(f.read_text() for f in (paths.data_dir() / "health").glob("*.json"))
    assert KEY not in text and "***" not in text
    stored = json.loads(text)["results"][0]
    assert stored["status"] == "auth_failed" and stored["http_status"] == 401
