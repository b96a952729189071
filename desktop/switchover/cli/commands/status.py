"""`switchover status`: one screen that says what is configured and whether the keychain works."""

from __future__ import annotations

import argparse
import time
from typing import Any

from switchover import __version__
from switchover.cli.context import CliContext, add_json_flag
from switchover.core import paths
from switchover.core.health import statuses
from switchover.core.health.history import DAY_S, HealthHistory
from switchover.core.health.results import HealthResult, HealthStatus
from switchover.core.providers import Provider, split_endpoint_key
from switchover.core.terminal import terminal_safe


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="show providers, tools and keychain state")
    add_json_flag(parser)
    parser.set_defaults(handler=run_status)


def _last_health(latest: dict[str, HealthResult]) -> dict[str, list[dict[str, Any]]]:
    """Per provider, the newest recorded check of each endpoint within a day (no network: status stays instant).

    `latest` comes from the history's index: one file for every provider, so status is linear in providers."""
    now = time.time()
    found: dict[str, list[dict[str, Any]]] = {}
    for endpoint, last in latest.items():
        if now - last.checked_at > DAY_S:
            continue
        found.setdefault(split_endpoint_key(endpoint)[0], []).append({
            "protocol": last.protocol,
            "status": last.status.value,
            "reason": last.reason,
            "latency_ms": last.latency_ms,
            "checked_at": last.checked_at,
        })
    return found


def _tools(providers: list[Provider]) -> list[dict[str, Any]]:
    from switchover.services.switching import make_engine, tool_rows

    return [
        {
            "tool": row.tool,
            "label": row.label,
            "provider": row.provider.name if row.provider else None,
            "base_url": row.base_url,
            "model": row.model,
            "error": row.status.error,
        }
        for row in tool_rows(make_engine(), providers)
        if row.installed
    ]


def _conflicts() -> list[dict[str, Any]]:
    """Provider variables set in the environment or shell start-up files that tools read too (no values)."""
    from switchover.core.switching.contract import ToolEnv
    from switchover.services.conflicts import find_conflicts
    from switchover.services.switching import all_targets

    return [conflict_json(c) for c in find_conflicts(all_targets(), ToolEnv.current())]


def conflict_json(conflict: Any) -> dict[str, Any]:
    setting = conflict.setting
    return {"tool": conflict.tool, "variable": conflict.var, "file": str(setting.path) if setting.path else None,
            "line": setting.line, "where": conflict.where, "overrides": conflict.overrides,
            "advice": conflict.advice()}


def _keychain(ctx: CliContext, providers: list[Provider]) -> dict[str, Any]:
    """The keychain's state. Asking it costs keyring's backend discovery (and a D-Bus round trip): skipped
    when every configured provider takes its key from an environment variable or needs none."""
    if providers and not any(p.credential.kind == "keychain" for p in providers):
        return {"backend": None, "usable": None, "is_system": None, "is_unlocked": None, "problem": None,
                "in_use": False}
    keychain = ctx.keychain().status()
    return {
        "backend": keychain.backend,
        "usable": keychain.usable,
        "is_system": keychain.is_system,
        "is_unlocked": keychain.is_unlocked,
        "problem": keychain.problem,
        "in_use": bool(providers),
    }


def collect_status(ctx: CliContext) -> dict[str, Any]:
    store = ctx.store()
    providers = list(store.providers.values())
    health = _last_health(HealthHistory().latest())
    return {
        "version": __version__,
        "config_dir": str(paths.config_dir()),
        "data_dir": str(paths.data_dir()),
        "store": str(store.path),
        "providers": [
            {
                "name": p.name,
                "label": p.display_name,
                "credential": p.credential.to_store(),
                "local": p.is_local,
                "health": health.get(p.name, []),
            }
            for p in providers
        ],
        "tools": _tools(providers),
        "chains": {tool: [str(e) for e in chain] for tool, chain in store.chains.items()},
        "conflicts": _conflicts(),
        "keychain": _keychain(ctx, providers),
    }


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    data = collect_status(ctx)
    if args.json:
        ctx.emit_json(data)
        return 0
    ctx.out(f"Switchover {data['version']}")
    ctx.out(f"Store:     {data['store']}")
    kc = data["keychain"]
    if kc["usable"] is None:
        ctx.out("Keychain:  not needed (every provider takes its key from an environment variable or needs none)")
    else:
        ctx.out(f"Keychain:  {'ok' if kc['usable'] else 'NOT USABLE'} ({kc['backend']})")
    if kc["problem"]:
        ctx.out(f"           {kc['problem']}")
    if not data["providers"]:
        ctx.out("Providers: none yet. Add one: switchover provider add NAME --preset PRESET --key-stdin")
    for provider in data["providers"]:
        checks = ", ".join(f"{h['protocol']}: {statuses.label(HealthStatus(h['status']))}"
                           for h in provider["health"]) or "not checked yet"
        ctx.out(f"Provider   {provider['name']}: {checks}")
    for tool in data["tools"]:
        if tool["error"]:
            uses = f"unreadable config ({tool['error']})"
        else:
            where = tool["provider"] or tool["base_url"] or "its default endpoint"
            uses = f"{where} / {tool['model'] or 'default model'}"
        ctx.out(f"Tool       {tool['label']}: {terminal_safe(uses, newlines=False)}")  # read from tools' files
    for tool, chain in data["chains"].items():
        ctx.out(f"Chain {tool}: {' → '.join(chain)}")
    labels = {t["tool"]: t["label"] for t in data["tools"]}
    for conflict in data["conflicts"]:
        where = conflict["where"]
        kind = "OVERRIDES" if conflict["overrides"] else "also read"
        ctx.out(f"Conflict   {labels.get(conflict['tool'], conflict['tool'])}: ${conflict['variable']} in {where} "
                f"({kind})")
        ctx.out(f"           {conflict['advice']}")
    return 0
