"""The Usage page in the real app window over a real gateway log (two weeks written by the gateway's own
RequestLog) and stored balances; with SWITCHOVER_SCREENSHOT_DIR set the picture is saved there for the
README (`docs/screenshots/app-usage.png`)."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from pathlib import Path
from typing import Any

from switchover.core.balance.history import BalanceHistory
from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.catalog import default_catalog
from switchover.core.store import edit_store
from switchover.gateway.requestlog import RequestLog, RequestRecord
from switchover.gateway.translate.usage import Usage
from tests.ui.test_wizard_screenshots import distinct_colours

PLAN = (  # tool, provider, model, input tokens, output tokens per request, requests per weekday
    ("claude-code", "anthropic", "claude-sonnet-4-6", 60_000, 2_500, 14),
    ("claude-code", "deepseek", "deepseek-v4-pro", 70_000, 3_000, 22),
    ("codex", "deepseek", "deepseek-flash", 50_000, 4_000, 30),
    ("codex", "zai", "glm-4.6", 45_000, 2_000, 18),
    ("opencode", "kimi", "kimi-k2.5", 40_000, 1_800, 16),
    ("opencode", "laptop", "qwen3-coder", 20_000, 1_000, 12),
)


def write_two_weeks(now: float) -> None:
    rnd = random.Random(18)
    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    records = []
    for back in range(13, -1, -1):
        day = today - dt.timedelta(days=back)
        weekend = day.isoweekday() > 5
        for tool, provider, model, tokens_in, tokens_out, per_day in PLAN:
            if provider == "anthropic" and back < 6:
                continue  # moved off Anthropic a week ago
            if provider == "deepseek" and model.endswith("pro") and back >= 9:
                continue
            count = max(1, round(per_day * rnd.uniform(0.5, 1.3) * (0.3 if weekend else 1)))
            for _ in range(count):
                hour = rnd.randint(0, 23) if back else rnd.randint(0, max(0, dt.datetime.now(dt.UTC).hour))
                at = dt.datetime(day.year, day.month, day.day, hour, rnd.randint(0, 59), tzinfo=dt.UTC).timestamp()
                scale = rnd.uniform(0.6, 1.4)
                usage = Usage(int(tokens_in * scale), int(tokens_out * scale), int(tokens_in * scale * 0.7))
                records.append(RequestRecord(at=min(at, now - 60), tool=tool, api="messages", stream=True,
                                             requested_model="switchover-main", status=200,
                                             outcome="ok" if rnd.random() > 0.02 else "overloaded", latency_ms=900,
                                             upstream=f"{provider}/anthropic", provider=provider, model=model,
                                             usage=usage))
    RequestLog(keep=5000).write(sorted(records, key=lambda r: r.at))


def test_usage_page_screenshot(controller: Any, qtbot: Any, tmp_path: Path) -> None:
    now = time.time()
    catalog = default_catalog()
    with edit_store() as store:
        for preset, name in (("anthropic", "anthropic"), ("deepseek", "deepseek"), ("zai", "zai"),
                             ("moonshot", "kimi"), ("ollama", "laptop")):
            store.add(catalog.get(preset).to_provider(name))
    write_two_weeks(now)
    BalanceHistory().record([
        BalanceResult("deepseek", BalanceStatus.OK, "", amount=24.60, currency="USD", checked_at=now - 600),
        BalanceResult("kimi", BalanceStatus.OK, "", amount=31.20, currency="USD", checked_at=now - 600),
    ])
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    with qtbot.waitSignal(controller.balances.changed, timeout=5000):
        controller.balances.load_history()
    window = controller.ensure_window()
    window.resize(1120, 720)
    page = window.pages["usage"]
    page.days_combo.setCurrentIndex(1)  # 14 days (starts loading)
    with qtbot.waitSignal(page.service.report_ready, timeout=20000):
        controller.open_window("usage")
    qtbot.waitUntil(lambda: page.report is not None and page.report.days and len(page.report.days) == 14,
                    timeout=20000)
    report = page.report
    names = [page.model.index(r, 0).data() for r in range(page.model.rowCount())]
    assert set(names) == {"Anthropic", "DeepSeek", "Z.ai (GLM, international)", "Moonshot Kimi (international)",
                          "Ollama (local)"}
    assert names[-1] == "Ollama (local)"  # biggest spenders first; the unpriced one last
    assert {s.name for s in page.chart.series} == set(names) - {"Ollama (local)"}
    assert report.forecasts["deepseek"].startswith("At the last 7 days' rate, DeepSeek runs out in about ")
    assert "No price for laptop/qwen3-coder" in page.notes.text()
    outlook = {page.model.index(r, 0).data(): page.model.index(r, 6).data() for r in range(page.model.rowCount())}
    assert outlook["Anthropic"] == "no balance API; spend counted from requests"
    assert outlook["Ollama (local)"] == "local server: nothing to pay for"
    assert outlook["DeepSeek"].startswith("$24.60 left, about ")
    qtbot.wait(50)
    image = window.grab().toImage()
    folder = Path(os.environ.get("SWITCHOVER_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    assert image.save(str(folder / "app-usage.png"))
    assert distinct_colours(image) > 20  # bars in several colours, text, the table: not a blank window
