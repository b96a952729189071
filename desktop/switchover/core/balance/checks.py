"""Ask configured providers for their balance: plan (which API, where), keys, probe, thresholds, history.

This is what `switchover balance`, the failover monitor's balance rounds and the app all call, so they
classify the same way. Spend rates from the gateway's priced requests can be passed in; otherwise the
balance's own recent drops give one (see `forecast`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from switchover.core.balance.forecast import SpendRate, apply_threshold, rate_from_points
from switchover.core.balance.history import BalanceHistory, Point
from switchover.core.balance.probe import BalanceRequest, check_balances_sync
from switchover.core.balance.results import BalanceResult, BalanceStatus
from switchover.core.balance.settings import BalanceSettings, load_balance_settings
from switchover.core.balance.spec import Resolution, resolve
from switchover.core.catalog import Catalog, default_catalog
from switchover.core.health.runner import CheckOptions
from switchover.core.providers import Provider
from switchover.core.secrets import Keychain, KeychainError, MissingKeyError, resolve_key
from switchover.core.store import Store

log = logging.getLogger(__name__)


def plan(provider: Provider, settings: BalanceSettings, catalog: Catalog | None = None) -> Resolution:
    """Which balance API `provider` has and where to ask it (or why there is none)."""
    catalog = catalog or default_catalog()
    preset = catalog.find(provider.preset) if provider.preset else None
    endpoints = {e.protocol.value: e.base_url for e in preset.endpoints} if preset else {}
    override = settings.for_provider(provider.name).override
    return resolve(provider, preset.balance if preset else None, endpoints, override,
                   preset.label if preset else None, local=preset.local if preset else None)


def has_balance_api(provider: Provider, settings: BalanceSettings, catalog: Catalog | None = None) -> bool:
    return plan(provider, settings, catalog).target is not None


def check_providers(
    providers: Sequence[Provider],
    store: Store,
    *,
    keychain: Keychain | None = None,
    catalog: Catalog | None = None,
    options: CheckOptions | None = None,
    rates: Mapping[str, SpendRate] | None = None,
    history: BalanceHistory | None = None,
    include_unsupported: bool = True,
    skip_locked_keychain: bool = False,
) -> list[BalanceResult]:
    """One result per provider, in order. Providers without a balance API say so (unless
    `include_unsupported` is False). With `skip_locked_keychain` a keychain that cannot be asked right now
    skips the provider (the monitor's way: not the provider's fault); otherwise it is reported."""
    settings = load_balance_settings(store)
    requests: list[BalanceRequest] = []
    fixed: dict[str, BalanceResult] = {}
    for provider in providers:
        resolution = plan(provider, settings, catalog)
        if resolution.target is None:
            if include_unsupported or resolution.supported:
                fixed[provider.name] = BalanceResult(provider.name, BalanceStatus.UNAVAILABLE, resolution.reason,
                                                     supported=resolution.supported)
            continue
        try:
            if keychain is None and provider.credential.kind == "keychain":
                keychain = Keychain()
            key = resolve_key(provider, keychain)
        except MissingKeyError:
            key = None  # the probe reports auth_failed with the hint to store one
        except KeychainError as exc:
            if skip_locked_keychain:
                log.info("balance of %s skipped this round: %s", provider.name, exc)
                continue
            fixed[provider.name] = BalanceResult(provider.name, BalanceStatus.UNAVAILABLE, str(exc),
                                                 api=resolution.target.api.value)
            continue
        requests.append(BalanceRequest(resolution.target, key))
    probed = {r.provider: r for r in check_balances_sync(requests, options)} if requests else {}
    history = history if history is not None else BalanceHistory()
    now = time.time()
    finished: list[BalanceResult] = []
    for result in probed.values():
        points = _points(history, result.provider, now)
        if result.has_amount and result.amount is not None:
            points.append(Point(result.checked_at, result.amount, result.currency))
        rate = (rates or {}).get(result.provider)
        if rate is None or rate.currency != result.currency:
            rate = rate_from_points(points, now, result.currency)
        finished.append(apply_threshold(result, settings.for_provider(result.provider).low_below, rate))
    try:
        history.record(finished)
    except OSError as exc:  # history is a convenience; never let it stop a check
        log.warning("could not record the balance history: %s", exc)
    by_name = {**fixed, **{r.provider: r for r in finished}}
    return [by_name[p.name] for p in providers if p.name in by_name]


def _points(history: BalanceHistory, provider: str, now: float) -> list[Point]:
    try:
        return history.points(provider, since=now - 8 * 86400.0)
    except OSError:
        return []


def last_known(providers: Iterable[Provider], history: BalanceHistory | None = None) -> dict[str, BalanceResult]:
    """The newest stored result per provider (no network), for showing something before a probe returns."""
    history = history or BalanceHistory()
    found: dict[str, BalanceResult] = {}
    for provider in providers:
        last = history.last(provider.name)
        if last is not None:
            found[provider.name] = last
    return found


RatesSource = Callable[[Sequence[Provider]], Mapping[str, SpendRate]]


class LiveBalanceChecker:
    """The failover monitor's balance evidence: providers with a balance API only, keys from the keychain
    (a locked keychain skips the round for those providers: not their fault), history recorded.

    `rates`, when given, supplies spend rates from the gateway's priced requests."""

    def __init__(self, keychain: Keychain | None = None, options: CheckOptions | None = None,
                 history: BalanceHistory | None = None, rates: RatesSource | None = None,
                 catalog: Catalog | None = None):
        self._keychain = keychain
        self.options = options
        self.history = history
        self.rates = rates
        self.catalog = catalog

    def check(self, providers: Sequence[Provider], store: Store) -> list[BalanceResult]:
        with_api = [p for p in providers if has_balance_api(p, load_balance_settings(store), self.catalog)]
        if not with_api:
            return []
        if self._keychain is None and any(p.credential.kind == "keychain" for p in with_api):
            self._keychain = Keychain()
        rates: Mapping[str, SpendRate] | None = None
        if self.rates is not None:
            try:
                rates = self.rates(with_api)
            except Exception:  # spend counting is a refinement; the balance itself still counts
                log.exception("could not compute spend rates")
        return check_providers(with_api, store, keychain=self._keychain, catalog=self.catalog, options=self.options,
                               rates=rates, history=self.history, include_unsupported=False,
                               skip_locked_keychain=True)


def without_balance_api(providers: Iterable[Provider], store: Store,
                        catalog: Catalog | None = None) -> list[BalanceResult]:
    """What can be said without the network: the providers that have no balance API (or a local server),
    each with the sentence why."""
    settings = load_balance_settings(store)
    found = []
    for provider in providers:
        resolution = plan(provider, settings, catalog)
        if resolution.target is None and not resolution.supported:
            found.append(BalanceResult(provider.name, BalanceStatus.UNAVAILABLE, resolution.reason, supported=False))
    return found
