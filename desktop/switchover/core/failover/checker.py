"""The real health checker for the monitor: keys from the keychain, concurrent checks, results recorded.

A locked or unavailable keychain is not the provider's fault: such endpoints are skipped this round rather
than reported as `auth_failed` (which would move every tool off its keychain providers). A key that is simply
missing is a real failure and is checked (and reported) as such.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from switchover.core.failover.monitor import CheckRequest
from switchover.core.health.history import HealthHistory
from switchover.core.health.probes import CheckTarget
from switchover.core.health.results import HealthResult, Tier
from switchover.core.health.runner import CheckOptions, check_many_sync
from switchover.core.secrets import Keychain, KeychainError, MissingKeyError, resolve_key

log = logging.getLogger(__name__)


class LiveHealthChecker:
    def __init__(
        self,
        keychain: Keychain | None = None,
        options: CheckOptions | None = None,
        history: HealthHistory | None = None,
        record_history: bool = True,
    ):
        self._keychain = keychain
        self.options = options or CheckOptions()
        self.history = history if history is not None else (HealthHistory() if record_history else None)

    def _key(self, request: CheckRequest) -> tuple[bool, str | None]:
        """(usable, key): usable is False when the keychain cannot be asked right now."""
        if request.provider.credential.kind == "none":
            return True, None
        try:
            if self._keychain is None and request.provider.credential.kind == "keychain":
                self._keychain = Keychain()
            return True, resolve_key(request.provider, self._keychain)
        except MissingKeyError:
            return True, None  # the check reports auth_failed with a hint to store the key
        except KeychainError as exc:
            log.warning("skipping %s this round: %s", request.endpoint_key, exc)
            return False, None

    def check(self, requests: Sequence[CheckRequest], tier: Tier) -> list[HealthResult]:
        targets: list[CheckTarget] = []
        for request in requests:
            usable, key = self._key(request)
            if not usable:
                continue
            target = CheckTarget.from_provider(request.provider, key, request.protocol)
            if request.models or tier is not Tier.DEEP:
                target = replace(target, models=request.models)
            targets.append(target)
        if not targets:
            return []
        results = check_many_sync(targets, tier, self.options)
        if self.history is not None:
            try:
                self.history.record(results)
            except Exception as exc:  # history is a convenience; never let it stop failover
                log.warning("could not record health history: %s", exc)
        return results
