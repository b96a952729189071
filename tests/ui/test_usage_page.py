"""The Usage page over a real report (core pricing and aggregation), built off the UI thread: per-day
stacked bars per provider and per tool, the table with spend and forecasts, metric and grouping choices."""

from __future__ import annotations

import html
import time
from collections.abc import Mapping
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt

from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.catalog import default_catalog
from switchover.core.spend.report import UsageReport, build_report
from switchover.core.spend.usage import DayTokens, Tokens, days_back
from switchover.core.store import Store, edit_store
from switchover.ui.charts import Series, make_series, nice_ceiling


def _rows(now: float) -> list[DayTokens]:
    days = days_back(7, now)
    rows = []
    for i, day in enumerate(days):
        rows.append(DayTokens(day, "codex", "deepseek", "deepseek-v4-pro", 10, 0,
                              Tokens(1_000_000 * (i + 1), 100_000, 500_000)))
        rows.append(DayTokens(day, "claude-code", "zai", "glm-4.6", 5, 1, Tokens(2_000_000, 200_000)))
    rows.append(DayTokens(days[-1], "opencode", "ollama", "qwen3-coder", 3, 0, Tokens(40_000, 5_000)))
    return rows


@pytest.fixture
def service(controller: Any, qtbot: Any) -> Any:
    from switchover.ui.usage import UsageService

    with edit_store() as store:
        for pid in ("deepseek", "zai", "ollama"):
            store.add(default_catalog().get(pid).to_provider(pid))
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):
        controller.state.reload()
    now = time.time()
    balances = {"deepseek": BalanceResult("deepseek", BalanceStatus.OK, "", amount=40.0, currency="USD")}

    def source(days: int, store: Store, _balances: Mapping[str, BalanceResult]) -> UsageReport:
        return build_report(_rows(now), [], store, days=days, balances=balances, now=now,
                            tool_labels={"codex": "Codex", "claude-code": "Claude Code", "opencode": "OpenCode"})

    return UsageService(controller.state, source=source)


def test_usage_page_shows_spend_per_day_and_forecast(qtbot: Any, service: Any) -> None:
    from switchover.ui.pages.usage import UsagePage

    page = UsagePage(service)
    qtbot.addWidget(page)
    with qtbot.waitSignal(service.report_ready, timeout=10000):
        page.load()
    assert [page.metric_combo.itemText(i) for i in range(page.metric_combo.count())] == ["Spend (USD)", "Tokens"]
    chart = page.chart
    assert chart.title == "Spend per day (USD)"
    assert [s.name for s in chart.series] == ["DeepSeek", "Z.ai (GLM, international)"]  # Ollama: no price
    deepseek = chart.series[0].values
    # day 1: 1M input (500k cached) + 100k output at peak V4 Pro prices (listed price: an upper bound)
    assert deepseek[chart.days[0]] == pytest.approx(0.5 * 1.32 + 0.5 * 0.044 + 0.1 * 3.96)
    assert "Spend (USD)" not in chart.tooltip_text(chart.days[-1])
    assert chart.tooltip_text(chart.days[0]).startswith("<b>")
    model = page.model
    names = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert names == ["DeepSeek", "Z.ai (GLM, international)", "Ollama (local)"]
    assert model.index(0, 1).data() == "70"
    assert model.index(0, 5).data().startswith("≈ $")  # DeepSeek bills by hour; times unknown: estimated
    assert model.index(1, 1).data() == "35 (7 failed)"
    assert model.index(2, 5).data() == "no price"
    assert model.index(0, 6).data().startswith("$40.00 left, about ")
    tip = model.index(0, 6).data(Qt.ItemDataRole.ToolTipRole)  # shown as plain text (the table model escapes it)
    assert "At the last 7 days' rate, DeepSeek runs out in about " in html.unescape(tip)
    assert "Last 7 days" in page.summary.text() and "requests" in page.summary.text()
    assert "No price for ollama/qwen3-coder" in page.notes.text()

    page.by_buttons.button(1).click()  # by tool
    assert [s.name for s in chart.series] == ["Codex", "Claude Code"]
    assert page.table.isColumnHidden(6)
    page.metric_combo.setCurrentIndex(page.metric_combo.findData("tokens"))
    assert chart.title == "Tokens per day"
    assert [s.name for s in chart.series] == ["Codex", "Claude Code", "OpenCode"]
    assert chart.fmt(1_250_000) == "1.2 M"


def test_usage_page_empty_and_failure(qtbot: Any, controller: Any) -> None:
    from switchover.ui.pages.usage import UsagePage
    from switchover.ui.usage import UsageService

    def nothing(days: int, store: Store, _balances: Mapping[str, BalanceResult]) -> UsageReport:
        return build_report([], [], store, days=days)

    empty = UsageService(controller.state, source=nothing)
    page = UsagePage(empty)
    qtbot.addWidget(page)
    with qtbot.waitSignal(empty.report_ready, timeout=10000):
        page.load()
    assert not page.chart.has_data and "nothing counted yet" in page.summary.text()
    assert "--via-gateway" in page.chart.empty_text

    def broken(days: int, store: Store, balances: Mapping[str, BalanceResult]) -> UsageReport:
        raise OSError("the log is unreadable")

    failing = UsageService(controller.state, source=broken)
    page2 = UsagePage(failing)
    qtbot.addWidget(page2)
    with qtbot.waitSignal(failing.report_failed, timeout=10000):
        page2.load()
    assert "the log is unreadable" in page2.summary.text() and page2.refresh_button.isEnabled()


def test_chart_helpers(qtbot: Any) -> None:
    from switchover.ui.charts import DailyBarChart

    assert [nice_ceiling(v) for v in (0, 0.7, 2.9, 3.6, 12, 260)] == pytest.approx([1.0, 0.8, 3.0, 4.0, 12.0, 300.0])
    named = [(f"s{i}", {"2026-11-29": float(i + 1)}) for i in range(10)]
    series = make_series(named)
    assert len(series) == 8 and series[-1].name == "3 others" and series[-1].values["2026-11-29"] == 8 + 9 + 10
    chart = DailyBarChart()
    qtbot.addWidget(chart)
    chart.resize(600, 260)
    chart.set_data(["2026-11-28", "2026-11-29"], [Series("a", {"2026-11-29": 2.0}, 0)], lambda v: f"{v:g}")
    chart.show()
    qtbot.waitExposed(chart)
    chart.grab()
    hit = next(rect for rect, day in chart._bars if day == "2026-11-29")
    assert chart.day_at(QPointF(hit.center())) == "2026-11-29"
    assert chart.total("2026-11-28") == 0 and chart.total("2026-11-29") == 2.0
