"""`switchover use` when the gateway is involved: `--via-gateway`, `--direct`, or tools that already go
through it (those are re-routed inside the gateway; their files are not touched)."""

from __future__ import annotations

import argparse
from typing import Any

from switchover.cli.context import CliContext
from switchover.core.switching.engine import SwitchResult, VerifyReport


def gateway_involved(args: argparse.Namespace, ctx: CliContext) -> bool:
    """Flags asked for it, or a selected tool's config points at its gateway route."""
    if getattr(args, "via_gateway", False) or getattr(args, "direct", False):
        return True
    from switchover.services.gateway_routes import gateway_settings
    from switchover.services.gateway_tools import tool_modes
    from switchover.services.switching import all_targets

    store = ctx.store()
    url = gateway_settings(store).base_url
    targets = all_targets()
    if args.tools:
        targets = [t for t in targets if t.id in args.tools]
    return any(mode.via_gateway for mode in tool_modes(url, targets=targets).values())


def _print_switch(ctx: CliContext, result: SwitchResult, reports: list[VerifyReport]) -> None:
    for message in result.recovered:
        ctx.warn(message)
    if result.dry_run:
        ctx.out(result.diff.rstrip("\n") or "No changes: every tool already uses this.")
    verdicts = {r.tool: r for r in reports}
    for outcome in result.outcomes:
        line = f"{outcome.label}: {outcome.status}" + (f" — {outcome.message}" if outcome.message else "")
        report = verdicts.get(outcome.tool)
        if report is not None:
            line += "; verified" if report.ok else "; CHECK FAILED: " + "; ".join(report.problems)
            if report.health and report.ok:
                line += f" ({report.health})"
        ctx.out(line)
        for warning in outcome.warnings:
            ctx.warn(f"{outcome.label}: {warning}")
        for note in outcome.notes:
            ctx.out(f"  note: {note}")


def run_use_gateway(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.cli.commands.switching import _result_json, _show_conflicts, chosen_target
    from switchover.services.gateway_routes import gateway_settings
    from switchover.services.gateway_runtime import running_gateway
    from switchover.services.gateway_tools import use_with_gateway
    from switchover.services.switching import make_engine, switch_request, verify_switch

    provider, model, small_model = chosen_target(args, ctx)
    store = ctx.store()
    mode = "via" if args.via_gateway else "direct" if args.direct else "auto"
    engine = make_engine()
    tools = list(engine.targets) if args.all else args.tools
    keys = ctx.keys()
    done = use_with_gateway(engine, provider, model, small_model, tools, mode,
                            lambda: switch_request(provider, model, small_model, keys), dry_run=args.dry_run)
    verified: list[tuple[SwitchResult, list[VerifyReport]]] = []
    for result in done.switches:
        if result.dry_run or result.switch_id is None:
            verified.append((result, []))
        elif mode == "via":
            verified.append((result, engine.verify(result)))  # read back: the tool now names its route
        else:
            verified.append((result, verify_switch(engine, result, provider, keys)))
    ok = done.ok and all(r.ok for _, reports in verified for r in reports)
    url = gateway_settings(store).base_url
    running = running_gateway()
    if args.json:
        data: dict[str, Any] = {
            "provider": provider.name, "model": model, "small_model": small_model, "mode": mode,
            "rerouted": done.rerouted, "switches": [_result_json(r, reports) for r, reports in verified],
            "gateway": {"url": running.url if running else url, "running": running is not None},
        }
        ctx.emit_json(data)
        return 0 if ok else 1
    # e.g. a shell's OPENAI_API_KEY wins over the gateway token Qwen Code holds: its requests would be refused
    _show_conflicts(ctx, [*done.rerouted, *(o.tool for r in done.switches for o in r.outcomes)],
                    everything=args.dry_run)
    for tool in done.rerouted:
        label = engine.targets[tool].label
        verb = "would re-route" if args.dry_run else "re-routed"
        ctx.out(f"{label}: {verb} inside the gateway to {provider.display_name} {model} (its files are unchanged; "
                "its next request goes there, even in a running session).")
    for result, reports in verified:
        _print_switch(ctx, result, reports)
    if args.dry_run:
        ctx.out("Dry run: nothing was written.")
        return 0 if ok else 1
    if mode == "via" and any(r.switch_id for r in done.switches):
        ctx.out(f"Pointed at the gateway ({url}/<tool-id>), serving {provider.display_name} {model}. Later "
                "`switchover use`, the tray and failover re-route these tools there without touching their files. "
                "Undo (one tool per undo): switchover undo")
    elif any(r.switch_id for r in done.switches):
        ctx.out(f"Switched to {provider.display_name} {model}. Undo with: switchover undo")
    if (mode == "via" or done.rerouted) and running is None:
        ctx.warn("the gateway is not running, so these tools cannot reach any provider until it is: start it with "
                 "`switchover gateway` (or the systemd unit), or turn it on in the app's Settings.")
    return 0 if ok else 1
