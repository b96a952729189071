"""Switching, wired once for every surface: the engine over the real targets, switch requests with the one
key-helper command, post-switch verification, and what each tool uses now.

The engine and the targets pull in every config format library, so they are imported when first used, not
when this module loads (the app imports it on start-up and builds engines on a worker thread).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from switchover.core.providers import Protocol, Provider, endpoint_key, provider_at
from switchover.core.switching.contract import Override, SwitchRequest, Target, ToolEnv
from switchover.services.keys import KeySource, key_helper_command

if TYPE_CHECKING:
    from switchover.core.health.history import HealthHistory
    from switchover.core.health.runner import CheckOptions
    from switchover.core.switching.engine import HealthHook, SwitchEngine, SwitchResult, ToolStatus, VerifyReport


# -- the tools ------------------------------------------------------------------------------------------------


def all_targets() -> list[Target]:
    """Every tool Switchover can point, in the order the surfaces list them."""
    from switchover.targets.registry import all_targets as registry

    return registry()


def get_target(tool_id: str) -> Target:
    """The tool with this id, or `UnknownToolError` listing the known ids."""
    from switchover.targets.registry import get_target as lookup

    return lookup(tool_id)


def make_engine(env: ToolEnv | None = None, targets: Sequence[Target] | None = None,
                data_dir: Path | None = None) -> SwitchEngine:
    """The switching engine over every tool (or `targets`), for this user's home (or `env`)."""
    from switchover.core.switching.engine import SwitchEngine
    from switchover.services.gateway_routes import StoreRouteKeeper

    return SwitchEngine(all_targets() if targets is None else targets, env or ToolEnv.current(), data_dir,
                        routes=StoreRouteKeeper())


# -- switching --------------------------------------------------------------------------------------------------


def switch_request(provider: Provider, model: str, small_model: str | None = None,
                   keys: KeySource | None = None, include_overrides: bool = False) -> SwitchRequest:
    """What a switch asks of every tool: the tool fetches the key with `key_helper_command`; the key itself is
    read (from `keys`) only for a tool that cannot run a command for it. `include_overrides`: also change what
    a tool ranks above its user config where Switchover can (`Override.fix`), listed in the result."""
    keys = keys or KeySource()
    return SwitchRequest(provider, model, small_model, key_helper_command(provider.name), keys.resolver(provider),
                         include_overrides=include_overrides)


def override_json(override: Override) -> dict[str, str | None]:
    return {"reason": override.reason, "path": None if override.path is None else str(override.path),
            "key": override.key, "fix": override.fix or None}


def health_hook(provider: Provider, keys: KeySource | None = None, options: CheckOptions | None = None,
                history: HealthHistory | None = None) -> HealthHook:
    """The post-switch check: auth tier against exactly the base URL and model each tool now reads."""
    from switchover.core.switching.health_verify import make_health_hook

    return make_health_hook(provider, (keys or KeySource()).resolver(provider), options, history)


def verify_switch(engine: SwitchEngine, result: SwitchResult, provider: Provider, keys: KeySource | None = None,
                  options: CheckOptions | None = None) -> list[VerifyReport]:
    """Read back what each switched tool now uses, and check that endpoint answers (like `switchover use`)."""
    return engine.verify(result, health_hook(provider, keys, options))


def switch_problems(result: SwitchResult) -> str:
    """Why a switch did not complete, one clause per tool (for a single error message)."""
    return "; ".join(f"{o.label}: {o.message or o.status}" for o in result.outcomes)


# -- what each tool uses now -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolRow:
    """One tool as the surfaces show it: the engine's status plus which of our providers it points at."""

    status: ToolStatus
    provider: Provider | None  # matched from the tool's base URL (via the gateway: what its route serves)
    endpoint_key: str | None  # "provider/protocol" for health lookups
    protocols: tuple[Protocol, ...] = ()  # what the tool can speak, preferred first
    via_gateway: bool = False  # its config names its route on Switchover's gateway
    route_model: str | None = None  # via the gateway: the model its route serves
    last_served: str | None = None  # via the gateway: "provider/model" that answered its last request

    @property
    def tool(self) -> str:
        return self.status.tool

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def installed(self) -> bool:
        return bool(self.status.detection.installed)

    @property
    def model(self) -> str | None:
        if self.via_gateway:
            return self.route_model
        return self.status.current.model if self.status.current else None

    @property
    def base_url(self) -> str | None:
        return self.status.current.base_url if self.status.current else None

    def describe(self) -> str:
        """"DeepSeek · deepseek-chat", or the raw URL when no configured provider matches."""
        if self.status.current is None:
            return "not configured"
        where = self.provider.display_name if self.provider else (self.base_url or "default")
        text = f"{where} · {self.model}" if self.model else where
        return f"via gateway → {text}" if self.via_gateway else text


def tool_rows(engine: SwitchEngine, providers: Iterable[Provider]) -> list[ToolRow]:
    """Every tool the engine knows (installed or not), matched to the configured provider it points at."""
    from switchover.core.store import load_store
    from switchover.services.gateway_tools import gateway_rows_info

    providers = list(providers)
    gateway = gateway_rows_info(load_store())  # routes change on disk (re-routes, failover, the CLI)
    rows = []
    for status in engine.tools():
        current = status.current
        protocols = tuple(engine.targets[status.tool].protocols)
        routed = gateway.route(status.tool, current.base_url if current else None, protocols)
        if routed is not None:  # goes through the gateway: show what its route serves, and who served it
            rows.append(ToolRow(status, routed.provider, routed.endpoint_key, protocols, True, routed.model,
                                gateway.last_served.get(status.tool)))
            continue
        match = provider_at(providers, current.base_url, current.protocol) if current and current.base_url else None
        key = endpoint_key(match[0].name, match[1].protocol) if match else None
        rows.append(ToolRow(status, match[0] if match else None, key, protocols))
    return rows


def choices_for(protocols: Sequence[Protocol], providers: Iterable[Provider]) -> list[tuple[Provider, str, str]]:
    """(provider, model, endpoint key) a tool speaking `protocols` could use, in the providers' order."""
    found = []
    for provider in providers:
        endpoint = next((provider.endpoint(p) for p in protocols if provider.endpoint(p)), None)
        if endpoint is None:
            continue
        for model in provider.models:
            found.append((provider, model, endpoint_key(provider.name, endpoint.protocol)))
    return found


# -- shell exports ---------------------------------------------------------------------------------------------


def shell_exports(provider: Provider, model: str, small_model: str | None, shell: str) -> str:
    """The same exports as the shell-env target writes, printed for `shell` by its own quoting rules."""
    from switchover.core import shell_script
    from switchover.targets.shell_env import script

    request = SwitchRequest(provider, model, small_model, key_helper_command(provider.name), lambda: None)
    return shell_script.render(script(request), shell)


__all__ = [
    "ToolRow",
    "all_targets",
    "choices_for",
    "get_target",
    "health_hook",
    "make_engine",
    "override_json",
    "shell_exports",
    "switch_problems",
    "switch_request",
    "tool_rows",
    "verify_switch",
]
