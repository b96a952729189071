"""Small builders shared by the health tests."""

from __future__ import annotations

from switchover.core.health.probes import Probe
from switchover.core.health.runner import CheckOptions
from switchover.core.providers import DEFAULT_AUTH, AuthStyle, Protocol
from tests.support.provider_server import ProviderServer

KEY = "sk-test-SECRET-0123456789abcdefXYZ"
MODEL = "test-model"


def target_for(
    server: ProviderServer,
    protocol: str,
    *,
    name: str = "prov",
    models: tuple[str, ...] = (MODEL,),
    key: str | None = KEY,
    auth: AuthStyle | None = None,
    base_url: str | None = None,
) -> Probe:
    proto = Protocol(protocol)
    return Probe(
        provider=name,
        protocol=proto,
        base_url=base_url or server.base_url(protocol),
        auth=auth or (DEFAULT_AUTH[proto] if proto is not Protocol.OLLAMA else AuthStyle.BEARER),
        models=models,
        key=key,
    )


def fast_options(**limits: float) -> CheckOptions:
    from switchover.core.health.http import HttpLimits

    bounds = {"connect_timeout_s": 2.0, "read_timeout_s": 2.0, "total_timeout_s": 4.0, **limits}
    return CheckOptions(limits=HttpLimits(**bounds), trust_env=False)  # type: ignore[arg-type]
