"""`switchover chain ...`, `switchover watch`, `switchover failover`: fallback chains and failover (issue 5)."""

from __future__ import annotations

import argparse
import signal
import time
from dataclasses import replace
from types import FrameType
from typing import TYPE_CHECKING, Any

from switchover.cli.context import CliContext, add_json_flag, table
from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.failover.chains import chain_for, has_own_chain, parse_chain, with_default_models
from switchover.core.failover.decisions import Action, Decision, DecisionKind, DecisionLog
from switchover.core.failover.settings import (
    DEFAULT_TOOL,
    FailoverSettings,
    Mode,
    load_settings,
    save_settings,
    settings_from_table,
)
from switchover.core.health.results import Tier
from switchover.core.store import edit_store
from switchover.core.terminal import json_text
from switchover.services.switching import all_targets, get_target

if TYPE_CHECKING:  # the monitor, its checks and policy are imported by the handlers (`--help` stays light)
    from switchover.core.failover.monitor import FailoverStatus


def register(subparsers: Any) -> None:
    chain = subparsers.add_parser("chain", help="fallback chains: which providers each tool may fail over to")
    actions = chain.add_subparsers(dest="action", metavar="ACTION", required=True)

    set_ = actions.add_parser("set", help="set a tool's chain, most preferred first (TOOL may be 'default')")
    set_.add_argument("tool", help="tool id (e.g. claude-code) or 'default' for every tool without its own")
    set_.add_argument("entries", nargs="+", metavar="PROVIDER/MODEL",
                      help="e.g. anthropic/claude-sonnet-4-6 zai/glm-5.2 ollama/qwen3-coder")
    set_.set_defaults(handler=run_chain_set)

    clear = actions.add_parser("clear", help="remove a tool's own chain (it then uses the default chain)")
    clear.add_argument("tool")
    clear.set_defaults(handler=run_chain_clear)

    show = actions.add_parser("show", help="show chains, modes and failover settings")
    add_json_flag(show)
    show.set_defaults(handler=run_chain_show)

    mode = actions.add_parser("mode", help="failover mode for a tool: off, suggest (default) or auto")
    mode.add_argument("tool", help="tool id, or 'default' for every tool without its own mode")
    mode.add_argument("mode", choices=[m.value for m in Mode])
    mode.set_defaults(handler=run_chain_mode)

    settings = actions.add_parser("settings", help="show or change the monitor's timing and thresholds")
    settings.add_argument("--interval", type=float, metavar="S", help="seconds between checks (default 60)")
    settings.add_argument("--hard", type=int, metavar="N", help="hard failures in a row before switching (2)")
    settings.add_argument("--soft", type=int, metavar="M", help="failures of any class in a row (3)")
    settings.add_argument("--dwell", type=float, metavar="S", help="minimum seconds between automatic switches")
    settings.add_argument("--switch-back", type=float, metavar="S",
                          help="seconds the preferred choice must be healthy before switching back")
    settings.add_argument("--tier", choices=[Tier.AUTH.value, Tier.DEEP.value],
                          help="auth: model list (free); deep: a 1-token request (finds quota/region blocks)")
    add_json_flag(settings)
    settings.set_defaults(handler=run_chain_settings)

    watch = subparsers.add_parser("watch", help="run the failover monitor in the foreground (a user service)")
    watch.add_argument("--mode", choices=[Mode.SUGGEST.value, Mode.AUTO.value],
                       help="override the stored mode for this run (tools set to 'off' stay off)")
    watch.add_argument("--interval", type=float, metavar="S", help="seconds between checks for this run")
    watch.add_argument("--json", action="store_true", help="print each decision as one JSON line")
    watch.set_defaults(handler=run_watch)

    failover = subparsers.add_parser("failover", help="check now and switch any tool whose provider is down")
    failover.add_argument("--tool", help="only this tool (acts even if its mode is off)")
    failover.add_argument("--history", type=int, nargs="?", const=20, metavar="N",
                          help="show the last N decisions (default 20) instead of checking")
    add_json_flag(failover)
    failover.set_defaults(handler=run_failover)


# ---------------------------------------------------------------- chains


def _tool_or_default(tool: str) -> str:
    if tool != DEFAULT_TOOL:
        get_target(tool)
    return tool


def run_chain_set(args: argparse.Namespace, ctx: CliContext) -> int:
    tool = _tool_or_default(args.tool)
    with edit_store() as store:
        entries, defaulted = with_default_models(parse_chain(args.entries, store), store)
        store.chains[tool] = entries
    for entry in defaulted:
        ctx.out(f"{entry.provider}: no model given, so its default model {entry.model} is used.")
    ctx.out(f"{tool}: " + " → ".join(str(e) for e in entries))
    return 0


def run_chain_clear(args: argparse.Namespace, ctx: CliContext) -> int:
    tool = _tool_or_default(args.tool)
    with edit_store() as store:
        removed = store.chains.pop(tool, None)
    ctx.out(f"{tool}: chain removed" if removed else f"{tool} had no chain of its own")
    return 0


def run_chain_mode(args: argparse.Namespace, ctx: CliContext) -> int:
    tool = _tool_or_default(args.tool)
    with edit_store() as store:
        settings = load_settings(store)
        if tool == DEFAULT_TOOL:  # the same rule as the app's Settings page: a `modes.default` entry goes too
            settings = settings.with_default_mode(Mode(args.mode))
        else:
            settings = replace(settings, modes={**settings.modes, tool: Mode(args.mode)})
        save_settings(store, settings)
    ctx.out(f"{tool}: failover mode {args.mode}")
    return 0


def run_chain_settings(args: argparse.Namespace, ctx: CliContext) -> int:
    changes = {
        "interval_s": args.interval,
        "hard_threshold": args.hard,
        "soft_threshold": args.soft,
        "dwell_s": args.dwell,
        "switch_back_after_s": args.switch_back,
        "tier": Tier(args.tier) if args.tier else None,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes:
        with edit_store() as store:
            table_ = {**load_settings(store).to_table(), **{k: getattr(v, "value", v) for k, v in changes.items()}}
            settings = settings_from_table(table_)  # validates ranges
            save_settings(store, settings)
    else:
        settings = load_settings(ctx.store())
    if args.json:
        ctx.emit_json(settings.to_table())
        return 0
    _print_settings(ctx, settings)
    return 0


def _print_settings(ctx: CliContext, settings: FailoverSettings) -> None:
    ctx.out(f"check every {settings.interval_s:g} s (sooner after a failure: {settings.fast_interval_s:g} s), "
            f"{settings.tier.value} tier")
    ctx.out(f"down after {settings.hard_threshold} hard or {settings.soft_threshold} failures in a row; "
            f"≥ {settings.dwell_s:g} s between automatic switches; switch back after "
            f"{settings.switch_back_after_s:g} s healthy")


def run_chain_show(args: argparse.Namespace, ctx: CliContext) -> int:
    store = ctx.store()
    settings = load_settings(store)
    tools: list[dict[str, Any]] = []
    for target in all_targets():
        chain = chain_for(store, target.id)
        tools.append({
            "tool": target.id,
            "label": target.label,
            "source": "own" if has_own_chain(store, target.id) else ("default" if chain else None),
            "chain": [str(e) for e in chain],
            "mode": settings.mode_for(target.id).value,
        })
    if args.json:
        ctx.emit_json({
            "chains": {tool: [str(e) for e in entries] for tool, entries in store.chains.items()},
            "tools": tools,
            "settings": settings.to_table(),
        })
        return 0
    if not any(store.chains.values()):
        ctx.out("No fallback chains yet. Set one, most preferred first, e.g.:")
        ctx.out("  switchover chain set claude-code anthropic/claude-sonnet-4-6 zai/glm-5.2 ollama/qwen3-coder")
        ctx.out("  switchover chain set default deepseek/deepseek-v4-pro ollama/qwen3-coder")
        return 0
    rows = [
        [str(t["tool"]), str(t["mode"]), " → ".join(t["chain"]) + (" (default)" if t["source"] == "default" else "")]
        for t in tools
        if t["chain"]
    ]
    ctx.out(table(rows, ["TOOL", "MODE", "CHAIN"]))
    ctx.out()
    _print_settings(ctx, settings)
    return 0


# ---------------------------------------------------------------- watch / failover


def _stamp(decision: Decision) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(decision.at))


def _print_decision(ctx: CliContext, decision: Decision, as_json: bool) -> None:
    if as_json:
        ctx.stdout.write(json_text(decision.to_json(), indent=None) + "\n")
    else:
        hint = f"  (accept: switchover failover --tool {decision.tool})" if decision.is_suggestion else ""
        ctx.out(f"{_stamp(decision)}  {decision.message}{hint}")
    ctx.stdout.flush()


def run_watch(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.interval is not None and not 0.05 <= args.interval <= 86400:
        raise ValidationError("--interval must be between 0.05 and 86400 seconds")
    from switchover.services.failover import build_monitor

    monitor = build_monitor(mode=Mode(args.mode) if args.mode else None, interval_s=args.interval)
    monitor.add_observer(lambda decision: _print_decision(ctx, decision, args.json))
    monitor.add_problem_observer(
        lambda problem: ctx.warn(f"failover paused: {problem}") if problem else ctx.warn("failover resumed")
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        monitor.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if not args.json:
            _print_banner(ctx, args)
        monitor.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not args.json:
        ctx.out("Stopped.")
    return 0


def _print_banner(ctx: CliContext, args: argparse.Namespace) -> None:
    try:
        store = ctx.store()
        interval = args.interval or load_settings(store).interval_s
    except SwitchoverError as exc:  # keep running: the monitor re-reads the store every round
        ctx.warn(f"{exc}; failover waits until it is fixed")
        return
    if not any(store.chains.values()):
        ctx.out("No fallback chain is configured, so nothing is checked (no network traffic). "
                "Set one with `switchover chain set`; this monitor picks it up.")
    else:
        ctx.out(f"Watching (mode: {args.mode or 'as configured'}, every {interval:g} s). Stop with Ctrl-C.")
    ctx.stdout.flush()


def _status_json(row: FailoverStatus) -> dict[str, Any]:
    return {
        "tool": row.tool,
        "label": row.label,
        "mode": row.mode.value,
        "active": str(row.active) if row.active else None,
        "active_health": row.active_health.to_json() if row.active_health else None,
        "chain": [{"choice": str(c), "health": r.to_json() if r else None} for c, r in row.chain],
        "notes": list(row.notes),
    }


def run_failover(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.history is not None:
        return _show_history(args, ctx)
    only = [args.tool] if args.tool else None
    from switchover.core.failover.policy import health_phrase
    from switchover.services.failover import build_monitor

    monitor = build_monitor(mode=Mode.AUTO, one_shot=True, only_tools=only)
    decisions = monitor.tick()
    rows = monitor.status()
    trouble = any(d.action is Action.FAILED or d.kind is DecisionKind.NO_CANDIDATE for d in decisions)
    if args.json:
        ctx.emit_json({"decisions": [d.to_json() for d in decisions], "tools": [_status_json(r) for r in rows]})
        return 1 if trouble else 0
    if not rows:
        ctx.out("No tool to check: set a fallback chain with `switchover chain set` "
                "(and make sure the tool's mode is not off).")
        return 0
    for decision in decisions:
        ctx.out(decision.message)
    decided = {d.tool for d in decisions}
    for row in rows:
        if row.tool not in decided and row.active is not None:
            ctx.out(f"{row.label}: {row.active} is {health_phrase(row.active_health)}; nothing to do")
    unchecked = [row.label for row in rows if row.active is None]
    if unchecked:
        ctx.out(f"Not checked (not pointed at a configured provider): {', '.join(unchecked)}")
    return 1 if trouble else 0


def _show_history(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.core.failover.policy import health_phrase

    decisions = DecisionLog().recent(limit=args.history, tool=args.tool)
    if args.json:
        ctx.emit_json([d.to_json() for d in decisions])
        return 0
    if not decisions:
        ctx.out("No failover decisions yet.")
        return 0
    for decision in decisions:
        ctx.out(f"{_stamp(decision)}  [{decision.action.value}] {decision.message}")
        for result in decision.evidence:
            ctx.out(f"    {result.provider}/{result.protocol}: {health_phrase(result)} — {result.reason}")
    return 0
