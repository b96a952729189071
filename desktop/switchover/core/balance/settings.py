"""The store's `[balance]` table (owned and validated here): per-provider low thresholds and API overrides.

    [balance.providers.deepseek]
    low_below = 5.0            # "low" below this amount, in the balance's currency
    [balance.providers.my-proxy]
    api = "deepseek"           # this provider serves DeepSeek's balance API ...
    url = "https://llm.example.com/user/balance"   # ... here (must be a host the provider already uses)
    currency = "CNY"
    [balance.providers.zai]
    api = "none"               # never ask
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from switchover.core.balance.spec import BalanceOverride
from switchover.core.errors import ConfigFileError, ValidationError
from switchover.core.providers import validate_name
from switchover.core.store import Store

SECTION = "balance"
MAX_AMOUNT = 1e9
_OVERRIDE_KEYS = ("api", "url", "credits_url", "currency")


@dataclass(frozen=True)
class ProviderBalanceSettings:
    low_below: float | None = None
    override: BalanceOverride | None = None


@dataclass(frozen=True)
class BalanceSettings:
    providers: Mapping[str, ProviderBalanceSettings] = field(default_factory=dict)

    def for_provider(self, name: str) -> ProviderBalanceSettings:
        return self.providers.get(name, ProviderBalanceSettings())


def parse_amount(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{where} must be an amount of money (a number)")
    if not 0 <= value <= MAX_AMOUNT:
        raise ValidationError(f"{where} must be between 0 and {MAX_AMOUNT:g}")
    return float(value)


def settings_from_table(table: Mapping[str, Any]) -> BalanceSettings:
    """Validate `[balance]`; unknown keys are ignored so newer versions can add some."""
    providers_raw = table.get("providers", {})
    if not isinstance(providers_raw, Mapping):
        raise ValidationError("balance.providers must be a table of provider tables")
    providers: dict[str, ProviderBalanceSettings] = {}
    for name, raw in providers_raw.items():
        where = f"balance.providers.{name}"
        try:
            validate_name(str(name))
        except ValidationError as exc:
            raise ValidationError(f"{where}: {exc}") from None
        if not isinstance(raw, Mapping):
            raise ValidationError(f"{where} must be a table")
        low = parse_amount(raw["low_below"], f"{where}.low_below") if "low_below" in raw else None
        override = BalanceOverride.from_table(str(name), raw) if any(k in raw for k in _OVERRIDE_KEYS) else None
        providers[str(name)] = ProviderBalanceSettings(low, override)
    return BalanceSettings(providers)


def load_balance_settings(store: Store) -> BalanceSettings:
    try:
        return settings_from_table(store.sections.get(SECTION, {}))
    except ValidationError as exc:
        if store.path is None:
            raise
        raise ConfigFileError(store.path, str(exc)) from exc


def set_low_threshold(store: Store, provider: str, amount: float | None) -> None:
    """Write into the store object (the caller saves it, normally inside `edit_store()`)."""
    store.get(provider)  # unknown provider: a clear error
    section = store.section(SECTION)
    providers = section.setdefault("providers", {})
    entry = providers.setdefault(provider, {})
    if amount is None:
        entry.pop("low_below", None)
        if not entry:
            providers.pop(provider, None)
    else:
        entry["low_below"] = parse_amount(amount, "the low-balance threshold")
