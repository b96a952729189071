"""After a switch, probe exactly what each tool now reads (base URL, model) with the provider's key.

The engine's `verify` reads each tool's config back and calls this hook per tool; tools that read the same
endpoint and model share one auth-tier check, and every result goes to the health history like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from switchover.core.errors import SwitchoverError
from switchover.core.health import statuses
from switchover.core.health.history import HealthHistory
from switchover.core.health.probes import Probe
from switchover.core.health.results import HealthResult, Tier
from switchover.core.health.runner import CheckOptions, check_many_sync
from switchover.core.providers import Provider
from switchover.core.switching.contract import CurrentChoice, SwitchPlan
from switchover.core.switching.engine import HealthHook


def make_health_hook(
    provider: Provider,
    resolve_key: Callable[[], str | None],
    options: CheckOptions | None = None,
    history: HealthHistory | None = None,
) -> HealthHook:
    checked: dict[tuple[str, str, str], HealthResult] = {}

    def hook(tool: str, current: CurrentChoice, plan: SwitchPlan) -> tuple[bool, str]:
        del tool  # one check per endpoint and model, whichever tool reads it
        protocol = current.protocol or plan.endpoint.protocol
        base_url = (current.base_url or plan.endpoint.base_url).rstrip("/")
        model = current.model or plan.model
        cache_key = (protocol.value, base_url, model)
        if cache_key not in checked:
            try:
                key = resolve_key()
            except SwitchoverError as exc:
                return False, str(exc)
            target = replace(
                Probe.from_provider(provider, key, plan.endpoint.protocol),
                protocol=protocol,
                base_url=base_url,
                models=(model,),
            )
            result = check_many_sync([target], Tier.AUTH, options)[0]
            (history or HealthHistory()).record([result])
            checked[cache_key] = result
        result = checked[cache_key]
        if result.healthy:
            return True, statuses.in_sentence(result.status, result.latency_ms)
        return False, f"{statuses.in_sentence(result.status)}: {result.reason}"

    return hook
