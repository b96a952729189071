"""`switchover status`: one screen that says what is configured and whether the keychain works."""

from __future__ import annotations

import argparse
from typing import Any

from switchover import __version__
from switchover.cli.context import CliContext, add_json_flag
from switchover.core import paths
from switchover.core.health import statuses
from switchover.core.health.history import HealthHistory
from switchover.core.health.results import HealthStatus
from switchover.core.providers import Provider
from switchover.core.terminal import terminal_safe


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="show providers, tools and keychain state")
    add_json_flag(parser)
    parser.set_defaults(handler=run_status)


def _last_health(history: HealthHistory, provider: str) -> list[dict[str, Any]]:
    """The newest recorded check of each of the provider's endpoints (no network: status stays instant)."""
    found = []
    for endpoint in history.endpoints():
        if endpoint.split("/", 1)[0] != provider:
            continue
        last = history.summary(endpoint).last
        if last is not None:
            found.append({
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


def collect_status(ctx: CliContext) -> dict[str, Any]:
    store = ctx.store()
    keychain = ctx.keychain().status()
    history = HealthHistory()
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
                "health": _last_health(history, p.name),
            }
            for p in store.providers.values()
        ],
        "tools": _tools(list(store.providers.values())),
        "chains": {tool: [str(e) for e in chain] for tool, chain in store.chains.items()},
        "conflicts": _conflicts(),
        "keychain": {
            "backend": keychain.backend,
            "usable": keychain.usable,
            "is_system": keychain.is_system,
            "is_unlocked": keychain.is_unlocked,
            "problem": keychain.problem,
        },
    }


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    data = collect_status(ctx)
    if args.json:
        ctx.emit_json(data)
        return 0
    ctx.out(f"Switchover {data['version']}")
    ctx.out(f"Store:     {data['store']}")
    kc = data["keychain"]
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
