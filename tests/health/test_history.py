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
    files = sorted((paths.data_dir() / "health").glob("*.json*"))
    assert [f.name for f in files] == ["index.json", "p__openai-chat.jsonl"]
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in files)


def test_the_index_answers_latest_and_follows_files_written_without_it() -> None:
    history = HealthHistory()
    history.record([_result(HealthStatus.OK, 1000.0), _result(HealthStatus.TIMEOUT, 1001.0, provider="q")])
    history.record([_result(HealthStatus.REGION_BLOCKED, 1002.0)])
    latest = history.latest()
    assert {k: r.status for k, r in latest.items()} == {"p/openai-chat": HealthStatus.REGION_BLOCKED,
                                                        "q/openai-chat": HealthStatus.TIMEOUT}
    folder = paths.data_dir() / "health"
    # Another writer appends without touching the index, one adds a file, one goes: all three are seen.
    last = json.loads((folder / "q__openai-chat.jsonl").read_text().splitlines()[-1])
    with (folder / "q__openai-chat.jsonl").open("a") as handle:
        handle.write(json.dumps({**last, "status": "ok", "checked_at": 1003.0, "reason": "back"}) + "\n")
    header = json.dumps({"schema_version": 2, "endpoint": "r/openai-chat"})
    (folder / "r__openai-chat.jsonl").write_text(header + "\n" + json.dumps({**last, "checked_at": 1004.0}) + "\n")
    (folder / "p__openai-chat.jsonl").unlink()
    latest = HealthHistory().latest()
    assert {k: (r.status, r.checked_at) for k, r in latest.items()} == {
        "q/openai-chat": (HealthStatus.OK, 1003.0), "r/openai-chat": (HealthStatus.TIMEOUT, 1004.0)}
    index = json.loads((folder / "index.json").read_text())["endpoints"]
    assert sorted(index) == ["q/openai-chat", "r/openai-chat"]  # the reader saved what it learned


def test_a_sweep_appends_a_line_per_endpoint_and_compacts_only_when_long() -> None:
    history = HealthHistory(keep=4)
    file = paths.data_dir() / "health" / "p__openai-chat.jsonl"
    history.record([_result(HealthStatus.OK, 1.0)])
    for at in (2.0, 3.0, 4.0, 5.0, 6.0):
        before = file.read_bytes()
        history.record([_result(HealthStatus.OK, at)])
        assert file.read_bytes().startswith(before)  # appended, not rewritten
    assert len(file.read_text().splitlines()) == 1 + 6  # header + 6 results: up to 1.5 x keep
    assert [r.checked_at for r in history.results("p/openai-chat")] == [3.0, 4.0, 5.0, 6.0]  # reads keep `keep`
    history.record([_result(HealthStatus.TIMEOUT, 7.0)])  # 7 > 4 + 2: compacted to the newest 4
    assert len(file.read_text().splitlines()) == 1 + 4
    assert [r.checked_at for r in history.results("p/openai-chat")] == [4.0, 5.0, 6.0, 7.0]
    assert history.latest()["p/openai-chat"].status is HealthStatus.TIMEOUT


def test_a_history_of_the_earlier_format_is_read_and_converted() -> None:
    folder = paths.data_dir() / "health"
    folder.mkdir(parents=True)
    old = [_result(HealthStatus.OK, float(t)).to_json() for t in (1, 2)]
    (folder / "p__openai-chat.json").write_text(json.dumps(
        {"schema_version": 1, "endpoint": "p/openai-chat", "results": old}))
    history = HealthHistory()
    assert [r.checked_at for r in history.results("p/openai-chat")] == [1.0, 2.0]
    assert list(history.latest()) == ["p/openai-chat"]
    history.record([_result(HealthStatus.SLOW, 3.0)])
    assert not (folder / "p__openai-chat.json").exists()
    assert [r.checked_at for r in history.results("p/openai-chat")] == [1.0, 2.0, 3.0]
    assert history.latest()["p/openai-chat"].status is HealthStatus.SLOW


def test_a_damaged_index_is_rebuilt_from_the_histories() -> None:
    HealthHistory().record([_result(HealthStatus.OK, 1000.0)])
    (paths.data_dir() / "health" / "index.json").write_text("{not json")
    assert list(HealthHistory().latest()) == ["p/openai-chat"]


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
    file = paths.data_dir() / "health" / "p__openai-chat.jsonl"
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


def server_name(results: list[HealthResult]) -> str:
    return results[0].endpoint_key.replace("/", "__")


def test_history_of_real_checks_holds_no_key(provider_server: Server) -> None:
    server = provider_server().play("openai-chat", "auth_failed")
    results = asyncio.run(check_many([target_for(server, "openai-chat")], Tier.AUTH, fast_options()))
    HealthHistory().record(results)
    folder = paths.data_dir() / "health"
    text = "".join(f.read_text() for f in folder.glob("*.json"))  # the index too
    assert KEY not in text and "***" not in text
    stored = json.loads((folder / f"{server_name(results)}.jsonl").read_text().splitlines()[1])
    assert stored["status"] == "auth_failed" and stored["http_status"] == 401
