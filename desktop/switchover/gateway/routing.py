"""Route resolution, pure: which upstreams serve a tool's request, in which order, with which model.

A route is `/<tool-id>/...`. It serves the tool's current choice (set by `switchover use ... --via-gateway`,
the tray or failover) and then the rest of the tool's chain (else the default chain), so a request whose
upstream fails before answering is retried on the next entry. An upstream is used over the tool's own
protocol when it offers it (passthrough), else over Chat Completions with translation; an upstream that
offers neither is skipped with a note. Circuit breakers order the list: upstreams they hold open go last
(tried only when nothing else is left), so a dead upstream costs nothing while another one works.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial

from switchover.core.providers import Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry

# The model names a tool pointed at the gateway asks for: the route decides what they mean right now, so a
# re-route never has to touch the tool's files.
MAIN_ALIAS = "switchover-main"
SMALL_ALIAS = "switchover-small"
_TOOL_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")


class ClientApi(StrEnum):
    MESSAGES = "messages"
    COUNT_TOKENS = "count_tokens"
    CHAT = "chat"
    RESPONSES = "responses"
    MODELS = "models"
    PROBE = "probe"  # Claude Code's connectivity HEAD, a bare GET of the route


CLIENT_PROTOCOL: dict[ClientApi, Protocol] = {
    ClientApi.MESSAGES: Protocol.ANTHROPIC,
    ClientApi.COUNT_TOKENS: Protocol.ANTHROPIC,
    ClientApi.CHAT: Protocol.OPENAI_CHAT,
    ClientApi.RESPONSES: Protocol.OPENAI_RESPONSES,
}
# The protocols a tool may reach through the gateway when it speaks `key` (translation goes through chat).
SERVABLE: dict[Protocol, tuple[Protocol, ...]] = {
    Protocol.ANTHROPIC: (Protocol.ANTHROPIC, Protocol.OPENAI_CHAT),
    Protocol.OPENAI_CHAT: (Protocol.OPENAI_CHAT,),
    Protocol.OPENAI_RESPONSES: (Protocol.OPENAI_RESPONSES, Protocol.OPENAI_CHAT),
}
# Where each protocol's call lives under its base URL.
UPSTREAM_PATH: dict[ClientApi, str] = {
    ClientApi.MESSAGES: "/v1/messages",
    ClientApi.COUNT_TOKENS: "/v1/messages/count_tokens",
    ClientApi.CHAT: "/chat/completions",
    ClientApi.RESPONSES: "/responses",
}
PROTOCOL_API: dict[Protocol, ClientApi] = {
    Protocol.ANTHROPIC: ClientApi.MESSAGES,
    Protocol.OPENAI_CHAT: ClientApi.CHAT,
    Protocol.OPENAI_RESPONSES: ClientApi.RESPONSES,
}

_API_PATHS: dict[str, ClientApi] = {
    "/v1/messages": ClientApi.MESSAGES,
    "/messages": ClientApi.MESSAGES,
    "/v1/messages/count_tokens": ClientApi.COUNT_TOKENS,
    "/messages/count_tokens": ClientApi.COUNT_TOKENS,
    "/v1/chat/completions": ClientApi.CHAT,
    "/chat/completions": ClientApi.CHAT,
    "/v1/responses": ClientApi.RESPONSES,
    "/responses": ClientApi.RESPONSES,
    "/v1/models": ClientApi.MODELS,
    "/models": ClientApi.MODELS,
    "": ClientApi.PROBE,
    "/": ClientApi.PROBE,
    "/api/hello": ClientApi.PROBE,
}


@dataclass(frozen=True)
class RoutedPath:
    tool: str
    api: ClientApi | None  # None: a path under the route that the gateway does not serve
    rest: str


def parse_path(path: str) -> RoutedPath | None:
    """`/claude-code/v1/messages` -> (claude-code, MESSAGES); None when the first segment is no tool id."""
    if not path.startswith("/"):
        return None
    tool, slash, rest = path[1:].partition("/")
    if not _TOOL_RE.match(tool):
        return None
    rest = slash + rest
    return RoutedPath(tool, _API_PATHS.get(rest.rstrip("/") if rest not in ("", "/") else rest), rest)


def route_base_urls(gateway_url: str, tool: str) -> dict[Protocol, str]:
    """The base URLs a tool is given for its route, in each protocol's convention."""
    root = f"{gateway_url.rstrip('/')}/{tool}"
    return {Protocol.ANTHROPIC: root, Protocol.OPENAI_CHAT: root + "/v1", Protocol.OPENAI_RESPONSES: root + "/v1"}


def tool_of_url(gateway_url: str, base_url: str | None) -> str | None:
    """The route a base URL points at, when it is this gateway's (any loopback spelling)."""
    if not base_url:
        return None
    port = gateway_url.rsplit(":", 1)[-1].rstrip("/")
    for host in ("127.0.0.1", "localhost", "[::1]"):
        prefix = f"http://{host}:{port}/"
        if base_url.lower().startswith(prefix):
            parsed = parse_path("/" + base_url[len(prefix):])
            return parsed.tool if parsed else None
    return None


# ---------------------------------------------------------------- the table a request is resolved against


@dataclass(frozen=True)
class RouteChoice:
    """What a route serves now: provider, model and small model (None: the provider's own)."""

    provider: str
    model: str | None = None
    small_model: str | None = None

    @property
    def entry(self) -> ChainEntry:
        return ChainEntry(self.provider, self.model)


@dataclass(frozen=True)
class ToolRoute:
    tool: str
    label: str
    choice: RouteChoice | None  # None: no choice recorded; the chain's first entry serves
    chain: tuple[ChainEntry, ...] = ()  # the tool's own chain, else the default chain


@dataclass(frozen=True)
class RouteTable:
    providers: Mapping[str, Provider] = field(default_factory=dict)
    routes: Mapping[str, ToolRoute] = field(default_factory=dict)
    # provider -> protocol -> the only models it serves there (from the catalog, e.g. DeepSeek's Responses)
    limits: Mapping[str, Mapping[Protocol, tuple[str, ...]]] = field(default_factory=dict)

    def serves(self, provider: str, protocol: Protocol, *, model: str) -> bool:
        limited = self.limits.get(provider, {}).get(protocol)
        return limited is None or model in limited

    def route(self, tool: str) -> ToolRoute | None:
        return self.routes.get(tool)


@dataclass(frozen=True)
class Attempt:
    """One upstream to try: the provider's endpoint, the model to ask it for, and whether to translate."""

    position: int  # 0 = the route's current choice
    provider: Provider
    endpoint: Endpoint
    model: str
    translate: bool
    held_open: bool = False  # its breaker is open: tried only because nothing else was left

    @property
    def key(self) -> str:
        """The upstream's identity for breakers and health history (`HealthResult.endpoint_key`)."""
        return f"{self.provider.name}/{self.endpoint.protocol.value}"

    @property
    def label(self) -> str:
        return f"{self.provider.name}/{self.model}"


@dataclass(frozen=True)
class Plan:
    attempts: tuple[Attempt, ...]
    notes: tuple[str, ...] = ()


def _is_small(requested: str | None) -> bool:
    if not requested:
        return False
    name = requested.lower()
    return name == SMALL_ALIAS or "haiku" in name  # Claude Code's background/fast model ids


def pick_model(requested: str | None, provider: Provider, main: str, small: str | None) -> str:
    """The model to ask this upstream for: the route's small model for small/fast requests, the model the
    tool named when this provider lists it (an explicit pick), else the route's main model."""
    if _is_small(requested):
        return small or main
    if requested and requested not in (MAIN_ALIAS,) and requested in provider.models:
        return requested
    return main


def pick_endpoint(provider: Provider, client: Protocol,
                  serves: Callable[[Protocol], bool] = lambda _protocol: True) -> tuple[Endpoint, bool] | None:
    """The provider's endpoint for the client's protocol (no translation), else one we translate to;
    `serves` says whether the model in question is served over a protocol (catalog limits)."""
    for protocol in SERVABLE.get(client, (client,)):
        endpoint = provider.endpoint(protocol)
        if endpoint is not None and serves(protocol):
            return endpoint, protocol is not client
    return None


def ordered_choices(route: ToolRoute) -> list[tuple[ChainEntry, str | None]]:
    """The current choice first, then the chain in order (duplicates dropped), each with its small model."""
    out: list[tuple[ChainEntry, str | None]] = []
    seen: set[tuple[str, str | None]] = set()
    if route.choice is not None:
        out.append((route.choice.entry, route.choice.small_model))
        seen.add((route.choice.provider, route.choice.model))
    for entry in route.chain:
        if (entry.provider, entry.model) in seen:
            continue
        seen.add((entry.provider, entry.model))
        out.append((entry, None))
    return out


def plan_attempts(
    table: RouteTable,
    route: ToolRoute,
    client: Protocol,
    requested_model: str | None,
    breaker_allows: Callable[[str], bool] = lambda _key: True,
) -> Plan:
    """Every upstream that could serve this request, in the order to try them."""
    ready: list[Attempt] = []
    held: list[Attempt] = []
    notes: list[str] = []
    for position, (entry, small) in enumerate(ordered_choices(route)):
        provider = table.providers.get(entry.provider)
        if provider is None:
            notes.append(f"{entry}: no provider named {entry.provider!r} is configured")
            continue
        main = entry.model or provider.default_model
        if not main:
            notes.append(f"{entry}: no model given and {provider.display_name} lists none")
            continue
        model = pick_model(requested_model, provider, main, small or provider.small_model)
        picked = pick_endpoint(provider, client, partial(table.serves, provider.name, model=model))
        if picked is None:
            offered = ", ".join(p.value for p in provider.protocols) or "nothing"
            notes.append(f"{entry}: {provider.display_name} offers {offered}; the gateway cannot serve "
                         f"{client.value} from that for {model}")
            continue
        endpoint, translate = picked
        attempt = Attempt(position, provider, endpoint, model, translate)
        if breaker_allows(attempt.key):
            ready.append(attempt)
        else:
            held.append(Attempt(position, provider, endpoint, model, translate, held_open=True))
    return Plan(tuple(ready + held), tuple(notes))


def with_breakers(plan: Plan, breaker_allows: Callable[[str], bool]) -> Plan:
    """A plan made without breakers (`plan_attempts` allowing all), reordered as `plan_attempts` would with
    `breaker_allows`: what the breakers hold open goes last, marked `held_open`. Lets a plan be cached."""
    ready: list[Attempt] = []
    held: list[Attempt] = []
    for attempt in plan.attempts:
        if breaker_allows(attempt.key):
            ready.append(attempt)
        else:
            held.append(replace(attempt, held_open=True))
    return Plan(tuple(ready + held), plan.notes) if held else plan


def served_models(table: RouteTable, route: ToolRoute, client: Protocol) -> list[tuple[str, str]]:
    """(model id, what it means) pairs for the route's model list: the aliases, then the current provider's
    own models (which a tool may name explicitly)."""
    plan = plan_attempts(table, route, client, None)
    if not plan.attempts:
        return []
    first = plan.attempts[0]
    small = pick_model(SMALL_ALIAS, first.provider, first.model,
                       (route.choice.small_model if route.choice else None) or first.provider.small_model)
    listed = [(MAIN_ALIAS, first.label), (SMALL_ALIAS, f"{first.provider.name}/{small}")]
    for model in dict.fromkeys((first.model, *first.provider.models)):
        listed.append((model, f"{first.provider.name}/{model}"))
    return listed


def requested_model_of(payload: object) -> str | None:
    if isinstance(payload, dict):
        model = payload.get("model")
        if isinstance(model, str):
            return model
    return None


def chain_entries(chains: Mapping[str, Sequence[ChainEntry]], tool: str, default_tool: str) -> tuple[ChainEntry, ...]:
    own = chains.get(tool)
    return tuple(own) if own else tuple(chains.get(default_tool, ()))
