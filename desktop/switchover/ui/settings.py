"""The app's own settings, kept in the store's `[app]` table (declared here with defaults and limits).

Failover modes are not here: they belong to the failover policy's `[failover]` table
(`switchover.core.failover.settings`), which the CLI's `watch` reads too; the wizard, the tray and the Settings
page read and write only that table (`FailoverSettings.mode_of_other_tools` / `with_default_mode` keep its
"default" entry consistent). A stale `[app].failover_mode` from older versions is ignored and dropped on the next save.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from switchover.core.failover.settings import Mode
from switchover.core.health.parallel import DEFAULT_MAX_PARALLEL, MAX_PARALLEL_RANGE
from switchover.core.store import Store

SECTION = "app"
MODE_LABELS = {Mode.OFF: "Off", Mode.SUGGEST: "Suggest a switch", Mode.AUTO: "Switch automatically"}


@dataclass
class AppSettings:
    check_interval_s: int = 300  # background health checks; 0 = only when asked
    slow_threshold_ms: int = 4000  # slower than this counts as degraded
    deep_checks: bool = False  # 1-token completions prove quota but cost tokens
    start_at_login: bool = False
    show_tray: bool = True  # set by the setup wizard; without a tray the window opens at start
    max_parallel: int = DEFAULT_MAX_PARALLEL  # checks in flight at once (MAX_PARALLEL_RANGE)

    @classmethod
    def from_store(cls, store: Store) -> AppSettings:
        raw: dict[str, Any] = store.sections.get(SECTION, {})
        settings = cls()
        if isinstance(raw.get("check_interval_s"), int) and 0 <= raw["check_interval_s"] <= 86400:
            settings.check_interval_s = raw["check_interval_s"]
        if isinstance(raw.get("slow_threshold_ms"), int) and 100 <= raw["slow_threshold_ms"] <= 120000:
            settings.slow_threshold_ms = raw["slow_threshold_ms"]
        if isinstance(raw.get("deep_checks"), bool):
            settings.deep_checks = raw["deep_checks"]
        if isinstance(raw.get("start_at_login"), bool):
            settings.start_at_login = raw["start_at_login"]
        if isinstance(raw.get("show_tray"), bool):
            settings.show_tray = raw["show_tray"]
        low, high = MAX_PARALLEL_RANGE
        if isinstance(raw.get("max_parallel"), int) and low <= raw["max_parallel"] <= high:
            settings.max_parallel = raw["max_parallel"]
        return settings

    def write_to(self, store: Store) -> None:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        section = store.section(SECTION)
        section.clear()
        section.update(data)
