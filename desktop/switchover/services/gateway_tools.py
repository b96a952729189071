"""Tools and the gateway: which tools go through it, pointing a tool at its route (once, through the
switching engine), and re-routing tools that already go through it (the store only, never their files).

A tool goes "via the gateway" when its own config names its route (`http://127.0.0.1:PORT/<tool-id>`); the
config stays the truth, as everywhere else. For the failover monitor such a tool's current choice is its
route's choice, and a switch is a re-route: `GatewayAwareTools` and `GatewayAwareSwitcher` wrap the plain
directory and switcher so the monitor itself needs no gateway knowledge.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.failover.chains import chain_for
from switchover.core.failover.monitor import Switcher, ToolDirectory
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthResult
from switchover.core.providers import Credential, Endpoint, Protocol, Provider, endpoint_key
from switchover.core.store import Store, edit_store, load_store
from switchover.core.switching.contract import CurrentChoice, SwitchRequest, Target, ToolEnv
from switchover.core.switching.engine import SwitchEngine, SwitchResult, ToolOutcome
from switchover.core.switching.journal import RouteRecord
from switchover.gateway.outcome import is_request_evidence
from switchover.gateway.routing import (
    MAIN_ALIAS,
    SERVABLE,
    SMALL_ALIAS,
    RouteChoice,
    pick_endpoint,
    route_base_urls,
    tool_of_url,
)
from switchover.gateway.settings import GatewaySettings
from switchover.gateway.token import ensure_token, token_file
from switchover.services.gateway_routes import (
    gateway_settings,
    reroute,
    route_choices,
    route_record,
    set_route_choice,
)
from switchover.services.keys import switchover_command

GATEWAY_PROVIDER = "gateway"
REROUTED = "re-routed inside the gateway (its files are unchanged; its next request goes there)"


@dataclass(frozen=True)
class ToolMode:
    tool: str
    label: str
    via_gateway: bool
    base_url: str | None
    error: str | None = None


def _targets() -> list[Target]:
    from switchover.targets.registry import all_targets

    return all_targets()


def is_via_gateway(target: Target, env: ToolEnv, gateway_url: str) -> bool:
    try:
        current = target.current(env)
    except SwitchoverError:
        return False
    return current is not None and tool_of_url(gateway_url, current.base_url) == target.id


def tool_modes(gateway_url: str, env: ToolEnv | None = None,
               targets: Sequence[Target] | None = None) -> dict[str, ToolMode]:
    env = env or ToolEnv.current()
    modes: dict[str, ToolMode] = {}
    for target in targets if targets is not None else _targets():
        try:
            current = target.current(env)
        except SwitchoverError as exc:
            modes[target.id] = ToolMode(target.id, target.label, False, None, str(exc))
            continue
        base_url = current.base_url if current else None
        modes[target.id] = ToolMode(target.id, target.label, tool_of_url(gateway_url, base_url) == target.id,
                                    base_url)
    return modes


def token_command() -> tuple[str, ...]:
    """The key helper a tool runs to get the gateway token (same resolution as `switchover key`)."""
    return switchover_command("gateway", "token")


def gateway_provider(gateway_url: str, target: Target, upstream: Provider) -> Provider:
    """The route as a provider the tool's target can be pointed at: one endpoint per protocol the tool
    speaks that the gateway can serve from `upstream` (its own, or through translation)."""
    urls = route_base_urls(gateway_url, target.id)
    endpoints = []
    for protocol in target.protocols:
        if protocol in urls and pick_endpoint(upstream, protocol) is not None:
            endpoints.append(Endpoint.make(protocol, urls[protocol]))
    if not endpoints:
        speaks = " or ".join(p.value for p in target.protocols)
        offered = ", ".join(p.value for p in upstream.protocols) or "nothing"
        raise ValidationError(
            f"{target.label} speaks {speaks}; the gateway cannot serve that from {upstream.display_name} "
            f"(it offers {offered}; the gateway translates Anthropic and Responses to Chat Completions)."
        )
    return Provider(
        name=GATEWAY_PROVIDER,
        endpoints=tuple(endpoints),
        models=(MAIN_ALIAS, SMALL_ALIAS),
        small_model=SMALL_ALIAS,
        credential=Credential.keychain(),  # "needs a key": the token, by the helper or the token file
        label="Switchover gateway",
    )


def gateway_request(gateway_url: str, target: Target, upstream: Provider) -> SwitchRequest:
    ensure_token()
    provider = gateway_provider(gateway_url, target, upstream)
    return SwitchRequest(provider, MAIN_ALIAS, SMALL_ALIAS, token_command(), ensure_token, key_file=token_file())


def route_current(store: Store, tool: str, protocols: Sequence[Protocol]) -> CurrentChoice | None:
    """What a gateway tool uses now, as the monitor reads it: its route's choice (else its chain's first)."""
    choice = route_choices(store).get(tool)
    if choice is None:
        chain = chain_for(store, tool)
        if not chain:
            return None
        choice = RouteChoice(chain[0].provider, chain[0].model)
    provider = store.providers.get(choice.provider)
    if provider is None:
        return CurrentChoice(None, choice.model, None, choice.provider, choice.small_model, "via the gateway")
    endpoint = next((provider.endpoint(p) for p in servable(protocols) if provider.endpoint(p) is not None), None)
    return CurrentChoice(
        base_url=endpoint.base_url if endpoint else None,
        model=choice.model or provider.default_model,
        protocol=endpoint.protocol if endpoint else None,
        provider=provider.name,
        small_model=choice.small_model,
        detail="via the Switchover gateway",
    )


def servable(protocols: Sequence[Protocol]) -> tuple[Protocol, ...]:
    """The upstream protocols a tool speaking `protocols` can use through the gateway, preferred first."""
    out: list[Protocol] = []
    for protocol in protocols:
        out.extend(SERVABLE.get(protocol, (protocol,)))
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------- the monitor's view


class GatewayAwareTools:
    """A `ToolDirectory` in which tools that go through the gateway report their route's choice."""

    def __init__(self, inner: ToolDirectory, targets: Mapping[str, Target], env: ToolEnv | None = None):
        self.inner = inner
        self._targets = dict(targets)
        self.env = env or ToolEnv.current()

    def _gateway_url(self, store: Store) -> str:
        return gateway_settings(store).base_url

    def via_gateway(self, tool: str, store: Store | None = None) -> bool:
        target = self._targets.get(tool)
        if target is None:
            return False
        store = store or load_store()
        return is_via_gateway(target, self.env, self._gateway_url(store))

    def tool_ids(self) -> list[str]:
        return self.inner.tool_ids()

    def label(self, tool: str) -> str:
        return self.inner.label(tool)

    def protocols(self, tool: str) -> tuple[Protocol, ...]:
        own = self.inner.protocols(tool)
        return servable(own) if self.via_gateway(tool) else own

    def current(self, tool: str) -> CurrentChoice | None:
        store = load_store()
        if self.via_gateway(tool, store):
            return route_current(store, tool, self.inner.protocols(tool))
        found = self.inner.current(tool)
        if found is None:
            return None
        return CurrentChoice(found.base_url, found.model, found.protocol, found.provider, found.small_model,
                             found.detail, found.overrides)


class GatewayAwareSwitcher:
    """Switches a gateway tool by re-routing it (the store only); any other tool through `inner`."""

    def __init__(self, inner: Switcher, tools: GatewayAwareTools, store_path: Path | None = None):
        self.inner = inner
        self.tools = tools
        self._store_path = store_path

    def switch(self, tool: str, provider: Provider, model: str, small_model: str | None) -> str | None:
        if self.tools.via_gateway(tool):
            reroute(tool, RouteChoice(provider.name, model, small_model), self._store_path)
            return None
        return self.inner.switch(tool, provider, model, small_model)


# ---------------------------------------------------------------- `switchover use` with the gateway


@dataclass
class GatewayUse:
    """What `use` did: tools re-routed inside the gateway (no files), and the file switches it made."""

    rerouted: list[str]
    switches: list[SwitchResult]
    direct_tools: list[str]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.switches)


def use_with_gateway(
    engine: SwitchEngine,
    provider: Provider,
    model: str,
    small_model: str | None,
    tools: Sequence[str] | None,
    mode: str,
    direct_request: Callable[[], SwitchRequest],
    *,
    dry_run: bool = False,
    store_path: Path | None = None,
    env: ToolEnv | None = None,
) -> GatewayUse:
    """`mode` "via": point each tool at its route (one engine switch per tool, the route set first);
    "direct": point them at the provider itself and forget their routes; "auto": re-route the tools that
    already go through the gateway, switch the others' files as usual."""
    env = env or ToolEnv.current()
    store = load_store(store_path)
    url = gateway_settings(store).base_url
    targets = dict(engine.targets)
    if tools:
        selected = list(tools)
        for tool in selected:
            if tool not in targets:
                raise ValidationError(f"Unknown tool {tool!r}. Known tools: {', '.join(targets)}")
    else:
        selected = [row.tool for row in engine.tools() if row.detection.installed]
    choice = RouteChoice(provider.name, model, small_model)
    result = GatewayUse([], [], [])
    if mode == "via":  # every tool at its own route: one engine switch (one journal entry, one undo)
        if not selected:
            return result
        per_tool = {tool: gateway_request(url, targets[tool], provider) for tool in selected}
        records = [route_record(store, tool, choice) for tool in selected]
        with _routes_set(records, store_path, dry_run):
            result.switches.append(engine.use(per_tool[selected[0]], selected, dry_run=dry_run, want_diff=dry_run,
                                              per_tool=per_tool, routes=records))
        return result
    modes = tool_modes(url, env, [targets[t] for t in selected])
    through = [t for t in selected if mode == "auto" and modes[t].via_gateway]
    direct = [t for t in selected if t not in through]
    records = [route_record(store, tool, choice) for tool in through]
    result.rerouted.extend(through)
    if not direct:
        if records and not dry_run:  # re-routes alone: journaled too, so `undo` takes them back
            with _routes_set(records, store_path, dry_run):
                result.switches.append(engine.use(direct_request(), [], routes=records))
        return result
    result.direct_tools = direct
    forgotten = [route_record(store, tool, None) for tool in direct if mode == "direct"]
    forgotten = [r for r in forgotten if r.before is not None]
    with _routes_set(records, store_path, dry_run):
        result.switches.append(engine.use(direct_request(), direct, dry_run=dry_run, want_diff=dry_run,
                                          skip_refused=not tools, routes=records + forgotten))
    if forgotten and not dry_run and result.switches[-1].switch_id:
        _set_routes(forgotten, store_path)
    return result


def _set_routes(records: Sequence[RouteRecord], store_path: Path | None, *, back: bool = False) -> None:
    with edit_store(store_path) as store:
        for record in records:
            value = record.before if back else record.after
            if value is not None:
                store.get(str(value["provider"]))  # unknown provider: a clear error, nothing written
            set_route_choice(store, record.tool, None if value is None else RouteChoice(
                str(value["provider"]), value.get("model"), value.get("small_model")))


@contextlib.contextmanager
def _routes_set(records: Sequence[RouteRecord], store_path: Path | None, dry_run: bool) -> Iterator[None]:
    """Routes re-pointed for the switch in the block (the gateway serves the new choice from the next request);
    put back if the switch fails."""
    if dry_run or not records:
        yield
        return
    _set_routes(records, store_path)
    try:
        yield
    except BaseException:
        _set_routes(records, store_path, back=True)
        raise


# ---------------------------------------------------------------- the failover monitor


def gateway_aware(tools: ToolDirectory, switcher: Switcher, env: ToolEnv | None = None,
                  targets: Sequence[Target] | None = None) -> tuple[GatewayAwareTools, GatewayAwareSwitcher]:
    """The monitor's tool view and switcher, aware of tools that go through the gateway."""
    aware = GatewayAwareTools(tools, {t.id: t for t in (targets if targets is not None else _targets())}, env)
    return aware, GatewayAwareSwitcher(switcher, aware)


def request_evidence(keys: Sequence[str], history: HealthHistory | None = None,
                     recent: int = 5) -> list[HealthResult]:
    """The latest results requests through the gateway left in the health history (any process)."""
    history = history or HealthHistory()
    found: list[HealthResult] = []
    for key in keys:
        found.extend(r for r in history.results(key)[-recent:] if is_request_evidence(r))
    return found


# ---------------------------------------------------------------- the app's view


@dataclass(frozen=True)
class RoutedTool:
    provider: Provider | None
    model: str | None
    endpoint_key: str | None


@dataclass(frozen=True)
class GatewayInfo:
    """What the app shows for tools that go through the gateway: their route's choice, and who served them."""

    store: Store
    gateway_url: str
    last_served: Mapping[str, str]

    def route(self, tool: str, base_url: str | None, protocols: Sequence[Protocol]) -> RoutedTool | None:
        if tool_of_url(self.gateway_url, base_url) != tool:
            return None
        current = route_current(self.store, tool, protocols)
        if current is None:
            return RoutedTool(None, None, None)
        provider = self.store.providers.get(current.provider or "")
        key = endpoint_key(provider.name, current.protocol) if provider and current.protocol else None
        return RoutedTool(provider, current.model, key)


def gateway_rows_info(store: Store, log_limit: int = 300) -> GatewayInfo:
    from switchover.gateway.requestlog import read_records

    try:
        url = gateway_settings(store).base_url
    except SwitchoverError:
        url = GatewaySettings().base_url
    last: dict[str, str] = {}
    for record in read_records(limit=log_limit):
        if record.provider:
            last[record.tool] = f"{record.provider}/{record.model}"
    return GatewayInfo(store, url, last)


def switch_with_gateway(engine: SwitchEngine, provider: Provider, model: str, small_model: str | None,
                        tools: Sequence[str] | None, direct_request: Callable[[], SwitchRequest],
                        store_path: Path | None = None) -> SwitchResult:
    """A switch from the app (Tools page, tray, wizard): tools that go through the gateway are re-routed (their
    outcome says so), the others switched as usual; one result for both."""
    done = use_with_gateway(engine, provider, model, small_model, tools, "auto", direct_request,
                            store_path=store_path)
    rerouted = tuple(
        ToolOutcome(tool, engine.targets[tool].label, "switched", REROUTED)
        for tool in done.rerouted
    )
    if done.switches:
        first = done.switches[0]
        return replace(first, outcomes=first.outcomes + rerouted)
    return SwitchResult(None, False, provider.name, model, small_model, rerouted)
