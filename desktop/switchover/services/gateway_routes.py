"""What each gateway route serves: the route choices kept in the store, and the route table the gateway
reads per request (re-read only when the store file changed, so a re-route reaches the very next request).

A route choice is written by `switchover use ... --via-gateway` (and every later `use`, tray switch or
failover for a tool that goes through the gateway): `[gateway.routes."claude-code"]` with provider, model
and small model. Re-routing edits only Switchover's own store, never the tool's files.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from switchover.core import paths
from switchover.core.catalog import default_catalog
from switchover.core.errors import ConfigFileError, SwitchoverError, ValidationError
from switchover.core.failover.chains import chain_for
from switchover.core.providers import validate_name
from switchover.core.store import Store, edit_store, load_store
from switchover.core.switching.journal import RouteRecord
from switchover.gateway.routing import RouteChoice, RouteTable, ToolRoute
from switchover.gateway.settings import SECTION, GatewaySettings, settings_from_table, settings_section

log = logging.getLogger(__name__)

ROUTES_KEY = "routes"


PORT_ENV = "SWITCHOVER_GATEWAY_PORT"  # the port when the store names none (tests, or a port already taken)


def gateway_settings(store: Store) -> GatewaySettings:
    """The `[gateway]` settings, or a ConfigFileError naming the store when they are invalid. A port in the
    store wins over $SWITCHOVER_GATEWAY_PORT, which wins over the default; a bad variable is named as such."""
    try:
        table = settings_section(store.sections)
        settings = settings_from_table(table)
    except ValidationError as exc:
        if store.path is None:
            raise
        raise ConfigFileError(store.path, str(exc)) from exc
    if "port" not in table and (port := _port_from_env()) is not None:
        settings = replace(settings, port=port)
    return settings


def _port_from_env() -> int | None:
    """$SWITCHOVER_GATEWAY_PORT as a port, checked by the store's own rule for one (None when unset)."""
    text = os.environ.get(PORT_ENV, "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):  # str.isdigit alone takes '²' and other digits int() refuses
        raise ValidationError(f"${PORT_ENV} must be a port number, not {text[:20]!r}")
    port = int(text)
    try:
        settings_from_table({"port": port})
    except ValidationError as exc:
        raise ValidationError(f"${PORT_ENV}: {exc}") from None
    return port


def route_choices(store: Store) -> dict[str, RouteChoice]:
    """Tool id -> what its route serves. Invalid entries are skipped with a warning (never fatal)."""
    section = store.sections.get(SECTION, {})
    raw = section.get(ROUTES_KEY, {}) if isinstance(section, Mapping) else {}
    choices: dict[str, RouteChoice] = {}
    if not isinstance(raw, Mapping):
        return choices
    for tool, entry in raw.items():
        try:
            if not isinstance(entry, Mapping):
                raise ValidationError("must be a table")
            provider = validate_name(str(entry.get("provider", "")))
            model = entry.get("model")
            small = entry.get("small_model")
            if model is not None and not isinstance(model, str):
                raise ValidationError("model must be a string")
            if small is not None and not isinstance(small, str):
                raise ValidationError("small_model must be a string")
            choices[str(tool)] = RouteChoice(provider, model or None, small or None)
        except ValidationError as exc:
            log.warning("ignoring gateway route %r: %s", tool, exc)
    return choices


def set_route_choice(store: Store, tool: str, choice: RouteChoice | None) -> None:
    """Change the store object (the caller saves it, normally inside `edit_store()`)."""
    section = store.section(SECTION)
    routes = section.get(ROUTES_KEY)
    if not isinstance(routes, dict):
        routes = {}
    routes = dict(routes)
    if choice is None:
        routes.pop(tool, None)
    else:
        entry: dict[str, Any] = {"provider": choice.provider}
        if choice.model:
            entry["model"] = choice.model
        if choice.small_model:
            entry["small_model"] = choice.small_model
        routes[tool] = entry
    section[ROUTES_KEY] = routes


def reroute(tool: str, choice: RouteChoice | None, store_path: Path | None = None) -> None:
    """Point a route at a new choice (or forget it), under the store's lock."""
    with edit_store(store_path) as store:
        if choice is not None:
            store.get(choice.provider)  # unknown provider: a clear error, nothing written
        set_route_choice(store, tool, choice)


def choice_record(choice: RouteChoice | None) -> dict[str, str | None] | None:
    """A route choice as the journal keeps it (by value)."""
    if choice is None:
        return None
    return {"provider": choice.provider, "model": choice.model, "small_model": choice.small_model}


def route_record(store: Store, tool: str, after: RouteChoice | None) -> RouteRecord:
    """The journal record of re-pointing `tool`'s route from what the store holds now to `after`."""
    return RouteRecord(tool, choice_record(route_choices(store).get(tool)), choice_record(after))


class StoreRouteKeeper:
    """The engine's `RouteKeeper`: undo puts routes back in the store, each only if it still holds what the
    undone switch set (a later `use` or failover re-route is never clobbered)."""

    def __init__(self, store_path: Path | None = None):
        self.store_path = store_path

    def revert(self, records: Sequence[RouteRecord]) -> list[str]:
        kept: list[str] = []
        with edit_store(self.store_path) as store:
            for record in reversed(records):
                now = choice_record(route_choices(store).get(record.tool))
                if now != record.after:
                    kept.append(f"{record.tool} (its route was changed again since; left as it is)")
                    continue
                before = record.before
                set_route_choice(store, record.tool, None if before is None else RouteChoice(
                    str(before.get("provider")), before.get("model"), before.get("small_model")))
        return kept


def build_table(store: Store, tools: Mapping[str, str]) -> RouteTable:
    """Every known tool gets a route; so does any tool the store names a route or chain for."""
    choices = route_choices(store)
    names = dict(tools)
    for tool in (*choices, *store.chains):
        if tool != "default":
            names.setdefault(tool, tool)
    routes = {
        tool: ToolRoute(tool, label, choices.get(tool), tuple(chain_for(store, tool)))
        for tool, label in names.items()
    }
    catalog = default_catalog()
    limits = {}
    for provider in store.providers.values():
        preset = catalog.find(provider.preset) if provider.preset else None
        if preset is not None and preset.protocol_models:
            limits[provider.name] = dict(preset.protocol_models)
    return RouteTable(dict(store.providers), routes, limits)


class StoreRoutes:
    """A `RouteSource` over the store file: one stat() per request, a re-read only when it changed.

    A store that stops parsing keeps the last good table (the gateway keeps serving) and says why once.
    """

    def __init__(self, tools: Mapping[str, str], path: Path | None = None,
                 loader: Callable[[Path], Store] = load_store):
        self._tools = dict(tools)
        self._path = path or paths.store_file()
        self._loader = loader
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._table = RouteTable()
        self.problem: str | None = None
        self.store: Store | None = None

    def _current_stamp(self) -> tuple[int, int, int]:
        try:
            info = os.stat(self._path)
        except OSError:
            return (0, 0, 0)
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def table(self) -> RouteTable:
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return self._table
        with self._lock:
            if stamp == self._stamp:
                return self._table
            try:
                store = self._loader(self._path)
                self._table = build_table(store, self._tools)
                self.store = store
                self.problem = None
            except SwitchoverError as exc:
                if self.problem != str(exc):
                    log.warning("gateway keeps its last routes: %s", exc)
                self.problem = str(exc)
            self._stamp = stamp
            return self._table
