"""Providers → health probes, with one key policy; then one sweep that checks them and records the history.

Every surface checks through here (`switchover check`, the Health page, the provider dialog's Test button, the
wizard, the failover monitor), so a key that cannot be read is reported the same everywhere:

- no key where the provider says one is (env var unset, nothing stored): `auth_failed`, saying how to add it;
- the keychain is locked or unavailable: `auth_failed` with the keychain's own message (unlock it, or what to
  install). Such endpoints are listed in `ProbeSet.keychain_unusable`, because it is not the provider's
  fault: the failover monitor skips them for the round instead of moving tools off them.

Keys are read once per provider, and the keychain is opened only when a provider keeps its key there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from switchover.core.errors import SwitchoverError
from switchover.core.health.history import HealthHistory
from switchover.core.health.probes import Probe, build_request
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Protocol, Provider, endpoint_key
from switchover.core.secrets import KeychainError, MissingKeyError
from switchover.services.keys import KeySource

if TYPE_CHECKING:  # the runner pulls in httpx: imported when a sweep runs, not when this module loads
    from switchover.core.health.runner import CheckOptions

log = logging.getLogger(__name__)
ResultSink = Callable[[HealthResult], None]


@dataclass(frozen=True)
class ProbeSpec:
    """One endpoint to check: `protocol` None means the provider's first endpoint; `models` None means
    every model the provider lists (a tuple narrows the model check to those)."""

    provider: Provider
    protocol: Protocol | None = None
    models: tuple[str, ...] | None = None

    @property
    def endpoint_key(self) -> str:
        protocol = self.protocol or (self.provider.endpoints[0].protocol if self.provider.endpoints else "")
        return endpoint_key(self.provider.name, protocol)


@dataclass
class ProbeSet:
    probes: list[Probe] = field(default_factory=list)
    unresolved: list[HealthResult] = field(default_factory=list)  # the key could not be read: says why
    keychain_unusable: set[str] = field(default_factory=set)  # endpoint keys whose keychain is locked/absent
    order: dict[str, int] = field(default_factory=dict)  # endpoint key -> position among the specs


def every_endpoint(providers: Iterable[Provider], only: Collection[str] | None = None) -> list[ProbeSpec]:
    """One spec per endpoint of each provider (only the endpoint keys in `only`, when given)."""
    return [
        ProbeSpec(provider, endpoint.protocol)
        for provider in providers
        for endpoint in provider.endpoints
        if only is None or endpoint_key(provider.name, endpoint.protocol) in only
    ]


def first_endpoints(providers: Iterable[Provider], protocol: Protocol | None = None) -> tuple[list[ProbeSpec],
                                                                                              list[str]]:
    """One spec per provider: its `protocol` endpoint (or its first). Also the names of providers skipped
    because they do not offer `protocol`."""
    specs, skipped = [], []
    for provider in providers:
        if protocol is not None and provider.endpoint(protocol) is None:
            skipped.append(provider.name)
        elif provider.endpoints:
            specs.append(ProbeSpec(provider, protocol or provider.endpoints[0].protocol))
    return specs, skipped


def build_probes(
    specs: Sequence[ProbeSpec],
    tier: Tier,
    keys: KeySource | None = None,
    typed_keys: Mapping[str, str] | None = None,
) -> ProbeSet:
    """The probes for `specs`, reading each provider's key once (a key in `typed_keys`, by provider name,
    wins: a key being entered and not stored yet). A reach check sends no key, so reads none."""
    keys = keys or KeySource()
    typed = typed_keys or {}
    found = ProbeSet()
    outcome: dict[str, str | KeychainError | None] = {}
    for spec in specs:
        provider = spec.provider
        found.order.setdefault(spec.endpoint_key, len(found.order))
        if provider.name not in outcome:
            outcome[provider.name] = _read_key(provider, tier, keys, typed)
        key = outcome[provider.name]
        target = Probe.from_provider(provider, None if isinstance(key, KeychainError) else key, spec.protocol)
        if spec.models is not None:
            target = replace(target, models=spec.models)
        if isinstance(key, KeychainError):
            found.unresolved.append(_unresolved(target, tier, key))
            if not isinstance(key, MissingKeyError):
                found.keychain_unusable.add(spec.endpoint_key)
            continue
        found.probes.append(target)
    return found


def _read_key(provider: Provider, tier: Tier, keys: KeySource, typed: Mapping[str, str]) -> str | KeychainError | None:
    if provider.name in typed:
        return typed[provider.name]
    if tier is Tier.REACH or provider.credential.kind == "none":
        return None
    try:
        return keys.resolve(provider)
    except KeychainError as exc:
        return exc


def _unresolved(target: Probe, tier: Tier, problem: KeychainError) -> HealthResult:
    from switchover.core.health.runner import public_url

    return HealthResult(
        provider=target.provider,
        protocol=target.protocol.value,
        url=public_url(build_request(target, tier).url),
        tier=tier,
        status=HealthStatus.AUTH_FAILED,
        reason=str(problem),
    )


def sweep(
    probe_set: ProbeSet,
    tier: Tier,
    options: CheckOptions | None = None,
    *,
    on_result: ResultSink | None = None,
    history: HealthHistory | None = None,
    on_history_error: Callable[[Exception], None] | None = None,
) -> list[HealthResult]:
    """Check every probe concurrently (`on_result` fires as each finishes, unresolved ones first) and return
    all results, unresolved included, in the order of the specs. With `history`, the results are recorded
    there in one write; a failure to record goes to `on_history_error` (default: a logged warning), never
    failing the sweep: the history is a convenience."""
    from switchover.core.health.runner import check_many_sync

    for result in probe_set.unresolved:
        if on_result is not None:
            on_result(result)
    checked = check_many_sync(probe_set.probes, tier, options, on_result=on_result) if probe_set.probes else []
    results = sorted([*checked, *probe_set.unresolved],
                     key=lambda r: probe_set.order.get(r.endpoint_key, len(probe_set.order)))
    if history is not None:
        record(results, history, on_history_error)
    return results


def record(results: Sequence[HealthResult], history: HealthHistory,
           on_error: Callable[[Exception], None] | None = None) -> None:
    try:
        history.record(results)
    except (OSError, SwitchoverError) as exc:
        if on_error is not None:
            on_error(exc)
        else:
            log.warning("could not record health history: %s", exc)


__all__ = ["ProbeSet", "ProbeSpec", "build_probes", "every_endpoint", "first_endpoints", "record", "sweep"]
