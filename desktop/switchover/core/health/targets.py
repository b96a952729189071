"""Turn configured providers into check targets, reading keys once; unreadable keys become results."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from switchover.core.health.probes import CheckTarget, build_request
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.providers import Protocol, Provider
from switchover.core.secrets import Keychain, KeychainError, resolve_key


@dataclass(frozen=True)
class PreparedTargets:
    targets: list[CheckTarget] = field(default_factory=list)
    unresolved: list[HealthResult] = field(default_factory=list)  # key missing or keychain unusable
    skipped: list[str] = field(default_factory=list)  # providers without the requested protocol


def prepare_targets(
    providers: Iterable[Provider],
    tier: Tier,
    protocol: Protocol | None = None,
    keychain: Keychain | None = None,
) -> PreparedTargets:
    """One target per provider: its endpoint for `protocol`, or its first endpoint. Reach needs no key."""
    prepared = PreparedTargets()
    for provider in providers:
        if protocol is not None and provider.endpoint(protocol) is None:
            prepared.skipped.append(provider.name)
            continue
        key: str | None = None
        if tier is not Tier.REACH and provider.credential.kind != "none":
            try:
                key = resolve_key(provider, keychain)
            except KeychainError as exc:
                target = CheckTarget.from_provider(provider, None, protocol)
                prepared.unresolved.append(
                    HealthResult(
                        provider=target.provider,
                        protocol=target.protocol.value,
                        url=build_request(target, tier).url,
                        tier=tier,
                        status=HealthStatus.AUTH_FAILED,
                        reason=str(exc),
                    )
                )
                continue
        prepared.targets.append(CheckTarget.from_provider(provider, key, protocol))
    return prepared
