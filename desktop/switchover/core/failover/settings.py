"""Failover settings, kept in the store's `[failover]` table (owned and validated here).

Defaults favour calm behaviour: suggest rather than act, two hard or three soft failures before an endpoint
counts as down, five minutes between automatic switches, ten healthy minutes before switching back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError, ValidationError
from switchover.core.health.results import Tier
from switchover.core.store import Store

SECTION = "failover"
DEFAULT_TOOL = "default"  # the chain (and mode) used by every tool without its own


class Mode(StrEnum):
    OFF = "off"  # never check, never act
    SUGGEST = "suggest"  # notify with one action; switch only when the user accepts
    AUTO = "auto"  # switch, then notify


@dataclass(frozen=True)
class FailoverSettings:
    interval_s: float = 60.0  # regular check interval
    retry_interval_s: float = 10.0  # re-check sooner right after a failure (capped at interval / 4)
    hard_threshold: int = 2  # N consecutive hard failures: down
    soft_threshold: int = 3  # M consecutive failures of any class: down
    dwell_s: float = 300.0  # minimum time between automatic switches of one tool
    switch_back_after_s: float = 600.0  # the preferred choice must be healthy this long before switching back
    max_backoff_s: float = 900.0  # longest pause for a rate-limited endpoint without Retry-After
    wake_grace_s: float = 5.0  # after sleep, let the network come back before checking
    tier: Tier = Tier.AUTH  # auth = model list (free); deep = a 1-token request (finds quota/region blocks)
    default_mode: Mode = Mode.SUGGEST
    modes: Mapping[str, Mode] = field(default_factory=dict)
    # Balance (issue 18): how often prepaid providers are asked what is left (not on every check), and what
    # a balance means to the policy: an empty one fails the endpoint at once; a low one, when allowed, is a
    # reason to move to the next chain entry (otherwise it is only a suggestion).
    balance_interval_s: float = 900.0
    empty_balance_fails: bool = True
    low_balance_prefers_next: bool = False

    def mode_for(self, tool: str) -> Mode:
        return self.modes.get(tool, self.modes.get(DEFAULT_TOOL, self.default_mode))

    @property
    def mode_of_other_tools(self) -> Mode:
        """The mode of every tool without its own: `modes.default` when set, else `mode`."""
        return self.mode_for(DEFAULT_TOOL)

    def with_default_mode(self, mode: Mode) -> FailoverSettings:
        """Set the mode of every tool without its own. A `modes.default` entry (which would win over `mode`)
        goes; per-tool modes stay. The CLI, the Settings page, the tray and the wizard all set it this way."""
        modes = {tool: m for tool, m in self.modes.items() if tool != DEFAULT_TOOL}
        return replace(self, default_mode=mode, modes=modes)

    @property
    def fast_interval_s(self) -> float:
        """How soon to re-check after a failure: quick enough to confirm an outage within one interval."""
        return max(0.05, min(self.retry_interval_s, self.interval_s / 4))

    @property
    def stale_after_s(self) -> float:
        """A candidate's result older than this does not count as evidence it is healthy."""
        return self.interval_s * 2.5 + self.fast_interval_s

    def with_mode_override(self, mode: Mode | None) -> FailoverSettings:
        """`watch --mode X`: every tool uses X, except tools the user explicitly turned off."""
        if mode is None:
            return self
        kept = {tool: m for tool, m in self.modes.items() if m is Mode.OFF and tool != DEFAULT_TOOL}
        return replace(self, default_mode=mode, modes=kept)

    def to_table(self) -> dict[str, Any]:
        return {
            "interval_s": self.interval_s,
            "retry_interval_s": self.retry_interval_s,
            "hard_threshold": self.hard_threshold,
            "soft_threshold": self.soft_threshold,
            "dwell_s": self.dwell_s,
            "switch_back_after_s": self.switch_back_after_s,
            "max_backoff_s": self.max_backoff_s,
            "wake_grace_s": self.wake_grace_s,
            "tier": self.tier.value,
            "mode": self.default_mode.value,
            "modes": {tool: mode.value for tool, mode in self.modes.items()},
            "balance_interval_s": self.balance_interval_s,
            "empty_balance_fails": self.empty_balance_fails,
            "low_balance_prefers_next": self.low_balance_prefers_next,
        }


_FLOATS = {
    "interval_s": (0.05, 86400.0),
    "retry_interval_s": (0.05, 86400.0),
    "dwell_s": (0.0, 7 * 86400.0),
    "switch_back_after_s": (0.0, 7 * 86400.0),
    "max_backoff_s": (1.0, 86400.0),
    "wake_grace_s": (0.0, 600.0),
    "balance_interval_s": (60.0, 86400.0),
}
_BOOLS = ("empty_balance_fails", "low_balance_prefers_next")
_INTS = {"hard_threshold": (1, 100), "soft_threshold": (1, 100)}


def _mode(value: Any, where: str) -> Mode:
    try:
        return Mode(str(value))
    except ValueError:
        raise ValidationError(f"{where} must be one of off, suggest, auto (not {value!r})") from None


def settings_from_table(table: Mapping[str, Any]) -> FailoverSettings:
    """Validate the `[failover]` table; unknown keys are ignored so newer versions can add some."""
    values: dict[str, Any] = {}
    for key, (low, high) in _FLOATS.items():
        if key in table:
            raw = table[key]
            if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
                raise ValidationError(f"failover.{key} must be a number of seconds")
            if not low <= raw <= high:
                raise ValidationError(f"failover.{key} must be between {low:g} and {high:g} seconds")
            values[key] = float(raw)
    for key, (low, high) in _INTS.items():
        if key in table:
            raw = table[key]
            if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
                raise ValidationError(f"failover.{key} must be a whole number from {low} to {high}")
            values[key] = raw
    for key in _BOOLS:
        if key in table:
            if not isinstance(table[key], bool):
                raise ValidationError(f"failover.{key} must be true or false")
            values[key] = table[key]
    if "tier" in table:
        if table["tier"] not in (Tier.AUTH.value, Tier.DEEP.value):
            raise ValidationError("failover.tier must be 'auth' (model list) or 'deep' (1-token request)")
        values["tier"] = Tier(table["tier"])
    if "mode" in table:
        values["default_mode"] = _mode(table["mode"], "failover.mode")
    modes = table.get("modes", {})
    if not isinstance(modes, Mapping):
        raise ValidationError("failover.modes must be a table of tool = mode")
    values["modes"] = {str(tool): _mode(mode, f"failover.modes.{tool}") for tool, mode in modes.items()}
    return FailoverSettings(**values)


def load_settings(store: Store) -> FailoverSettings:
    """The settings, or a `ConfigFileError` naming the store file when the table is invalid."""
    try:
        return settings_from_table(store.sections.get(SECTION, {}))
    except ValidationError as exc:
        if store.path is None:
            raise
        raise ConfigFileError(store.path, str(exc), _line_of_section(store.path)) from exc


def _line_of_section(path: Path) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, line in enumerate(lines, 1) if line.strip().startswith(f"[{SECTION}")), None)


def save_settings(store: Store, settings: FailoverSettings) -> None:
    """Write into the store object; the caller saves it (normally inside `edit_store()`)."""
    section = store.section(SECTION)
    section.clear()
    section.update(settings.to_table())
