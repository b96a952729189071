"""`switchover run`, wired: where the child's requests go (the provider, or the local gateway's route when it
is enabled and running) and the environment that points the child there.

Qt-free and surface-neutral; the CLI only parses arguments and starts the process.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from switchover.core.providers import Credential, Endpoint, Provider
from switchover.core.secrets import Keychain, resolve_key
from switchover.core.store import Store


@dataclass(frozen=True)
class Route:
    """Where the child sends its requests, the key it presents there and the model names it asks for."""

    provider: Provider  # its endpoints are the URLs the child is given
    key: str | None  # None: keyless (local servers)
    model: str
    small_model: str | None
    via_gateway: str | None = None  # the gateway route's name when the child goes through the gateway


def route_name(command: Sequence[str]) -> str:
    """The gateway route a run of `command` uses: `run-<program>` (its own, never a target's route)."""
    program = re.sub(r"[^a-z0-9._-]", "-", Path(command[0]).name.lower()).strip("-._") or "tool"
    return ("run-" + program)[:40].rstrip("-._")


def route(store: Store, provider: Provider, model: str, small_model: str | None, command: Sequence[str],
          keychain: Callable[[], Keychain], direct: bool = False) -> Route:
    """Through the local gateway when it is enabled and running (and not `direct`): the route
    `run-<program>` is pointed at the chosen provider and model first (the store only), and the child gets
    the route's URLs, the model aliases and the gateway's local token, so the provider's key never leaves
    Switchover and requests get the gateway's failover. Otherwise straight to the provider, with its key
    from the keychain (or the variable it names)."""
    gateway = None if direct else running_gateway_url(store)
    if gateway is not None:
        from switchover.gateway.routing import MAIN_ALIAS, SMALL_ALIAS, RouteChoice, pick_endpoint, route_base_urls
        from switchover.gateway.token import ensure_token
        from switchover.services.gateway_routes import reroute

        name = route_name(command)
        endpoints = tuple(Endpoint.make(protocol, url) for protocol, url in route_base_urls(gateway, name).items()
                          if pick_endpoint(provider, protocol) is not None)
        if endpoints:
            reroute(name, RouteChoice(provider.name, model, small_model), store.path)
            via = Provider(name="gateway", endpoints=endpoints, models=(MAIN_ALIAS, SMALL_ALIAS),
                           small_model=SMALL_ALIAS, credential=Credential.keychain(), label="Switchover gateway")
            return Route(via, ensure_token(), MAIN_ALIAS, SMALL_ALIAS if small_model else None, name)
    key = resolve_key(provider, keychain() if provider.credential.kind == "keychain" else None)
    return Route(provider, key, model, small_model)


def running_gateway_url(store: Store) -> str | None:
    """The running gateway's URL when the user enabled it; None otherwise (then `run` goes direct)."""
    from switchover.services.gateway_routes import gateway_settings
    from switchover.services.gateway_runtime import running_gateway

    if not gateway_settings(store).enabled:
        return None
    running = running_gateway()
    return running.url if running is not None else None


def child_environment(base: Mapping[str, str], chosen: Route) -> dict[str, str]:
    """`base` plus the variables that point a tool at `chosen` (see `switchover.targets.run_env`)."""
    from switchover.targets.run_env import child_environment as build

    return build(base, chosen.provider, chosen.model, chosen.small_model, chosen.key)
