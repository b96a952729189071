"""`switchover prices`, run for real: the shipped table shown with its sources, and the user's own prices."""

from __future__ import annotations

import json
from typing import Any

from switchover.core.catalog import default_catalog
from switchover.core.providers import Endpoint, Protocol, Provider
from switchover.core.store import edit_store, load_store


def _providers() -> None:
    with edit_store() as store:
        store.add(default_catalog().get("deepseek").to_provider("deepseek"))
        store.add(Provider("mine", (Endpoint.make(Protocol.OPENAI_CHAT, "https://llm.example.com/v1"),),
                           models=("house-model",)))


def test_prices_show_json_and_table(cli: Any) -> None:
    _providers()
    run = cli(["prices", "--json"])
    assert run.returncode == 0, run.stderr
    deepseek, mine = json.loads(run.stdout)
    assert deepseek["checked"] == "2026-11-29" and deepseek["source"].startswith("https://api-docs.deepseek.com")
    assert deepseek["peak_hours_utc"] == [[1, 4], [6, 10]]
    flash = [r for r in deepseek["models"] if r["model"] == "deepseek-flash"]
    assert {(r["currency"], r["input"], r["cached_input"], r["output"]) for r in flash} == {
        ("USD", 0.30, 0.006, 1.20), ("CNY", 2.0, 0.04, 8.0)}
    unpriced = {r["model"] for r in deepseek["models"] if r["input"] is None}
    assert "deepseek-chat" in unpriced  # a preset model the table has no price for: said plainly
    assert mine["models"] == [{"provider": "mine", "model": "house-model", "currency": None, "input": None,
                               "cached_input": None, "cache_write": None, "output": None, "long_above": None,
                               "off_peak_factor": None}]
    text = cli(["prices", "show", "deepseek"])
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["PROVIDER", "MODEL", "CURRENCY", "INPUT/1M", "CACHED/1M", "OUTPUT/1M", "NOTE"]
    assert any(line.split()[:6] == ["deepseek", "deepseek-v4-pro", "CNY", "9", "0.3", "27"] for line in lines)
    assert any("half price off-peak" in line for line in lines)
    assert lines[-1].startswith("Checked 2026-11-29: https://api-docs.deepseek.com")


def test_prices_set_and_reset(cli: Any) -> None:
    _providers()
    run = cli(["prices", "set", "mine", "house-model", "--input", "0.5", "--output", "2", "--cached-input", "0.05",
               "--currency", "eur"])
    assert run.returncode == 0, run.stderr
    assert load_store().sections["prices"]["mine"]["models"]["house-model"]["EUR"] == {
        "input": 0.5, "output": 2.0, "cached_input": 0.05}
    [mine] = json.loads(cli(["prices", "show", "mine", "--json"]).stdout)
    assert mine["yours"] and mine["models"][0]["currency"] == "EUR"
    bad = cli(["prices", "set", "mine", "m", "--input", "-1", "--output", "1"])
    assert bad.returncode == 2 and "0 or more" in bad.stderr
    unknown = cli(["prices", "set", "ghost", "m", "--input", "1", "--output", "1"])
    assert unknown.returncode == 1 and "No provider named 'ghost'" in unknown.stderr
    reset = cli(["prices", "reset", "mine"])
    assert reset.returncode == 0 and "are gone" in reset.stdout
    assert "mine" not in load_store().sections.get("prices", {})
