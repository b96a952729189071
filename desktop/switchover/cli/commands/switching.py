"""`switchover tools | use | undo | history | exposure | env`: point coding tools at a provider, safely.

All file work goes through `switchover.core.switching.SwitchEngine` (plan all first, backups, journal, atomic
writes, rollback, undo); this module only parses arguments, builds the request and prints results.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from switchover.cli.context import CliContext, add_json_flag, table
from switchover.core import shell_script, validation
from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.providers import Provider
from switchover.services.switching import (
    make_engine,
    override_json,
    shell_exports,
    switch_request,
    verify_switch,
)

if TYPE_CHECKING:
    from switchover.core.switching import JournalEntry, SwitchEngine, SwitchResult, ToolOutcome, VerifyReport


def register(subparsers: Any) -> None:
    tools = subparsers.add_parser("tools", help="list coding tools, their config files and what each uses now")
    add_json_flag(tools)
    tools.set_defaults(handler=run_tools)

    use = subparsers.add_parser(
        "use",
        help="point tools at a provider (all detected tools unless --tool/--all)",
        description="Point coding tools at PROVIDER[/MODEL]. Every tool is planned first; files are backed up, "
        "written atomically and rolled back if any tool fails. `switchover undo` reverts the last switch.",
    )
    use.add_argument("target", metavar="PROVIDER[/MODEL]", help="a configured provider, optionally with a model")
    use.add_argument("--small-model", metavar="MODEL", help="model for background/fast tasks where tools have one")
    which = use.add_mutually_exclusive_group()
    which.add_argument("--tool", action="append", metavar="TOOL", dest="tools",
                       help="only this tool (repeatable); see `switchover tools` for ids")
    which.add_argument("--all", action="store_true", help="every tool Switchover knows, installed or not")
    use.add_argument("--dry-run", action="store_true", help="show the changes as a diff; write nothing")
    use.add_argument("--include-overrides", action="store_true",
                     help="also change what would keep the switch from taking effect where Switchover can (an "
                     "agent's own model, a provider allowlist, a model picked in the tool's menu); listed, undone "
                     "with the switch")
    route = use.add_mutually_exclusive_group()
    route.add_argument("--via-gateway", action="store_true",
                       help="point the tools at their route on Switchover's local gateway (once); later switches "
                       "re-route them there without touching their files")
    route.add_argument("--direct", action="store_true",
                       help="point tools that go through the gateway back at the provider itself")
    add_json_flag(use)
    use.set_defaults(handler=run_use)

    undo = subparsers.add_parser(
        "undo", help="take back the last switch: files restored exactly, or only Switchover's settings in a file "
        "the tool changed since (the rest is kept; a diff shows what undo changed)")
    undo.add_argument("--force", action="store_true",
                      help="restore the files exactly as before the switch, even Switchover's settings you edited "
                      "since and changes the tool made")
    add_json_flag(undo)
    undo.set_defaults(handler=run_undo)

    history = subparsers.add_parser("history", help="list past switches and undos")
    history.add_argument("--limit", type=int, default=20, help="how many (default 20; 0 for all)")
    add_json_flag(history)
    history.set_defaults(handler=run_history)

    exposure = subparsers.add_parser("exposure", help="list files Switchover wrote that hold a plaintext key")
    add_json_flag(exposure)
    exposure.set_defaults(handler=run_exposure)

    env = subparsers.add_parser(
        "env",
        help="print shell exports for tools Switchover does not know (keys fetched at run time, never printed)",
    )
    env.add_argument("--provider", help="provider (default: the one of the last switch)")
    env.add_argument("--model", help="model (default: the last switch's, else the provider's first)")
    env.add_argument("--shell", choices=shell_script.SHELLS, default="sh",
                     help="syntax: sh (also bash, zsh, dash) or fish; default sh")
    env.set_defaults(handler=run_env)


# -- shared helpers -------------------------------------------------------------------------------------------


def split_target(text: str) -> tuple[str, str | None]:
    """`deepseek/deepseek-chat` -> ("deepseek", "deepseek-chat"); the model may itself contain '/'."""
    name, _, model = text.partition("/")
    if not name:
        raise ValidationError(
            f"{validation.shown(text)}: expected PROVIDER or PROVIDER/MODEL, e.g. deepseek/deepseek-chat"
        )
    return validation.provider_name(name), validation.optional_model_id(model, "model")


def _entry_json(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind,
        "state": entry.state,
        "started": entry.started,
        "finished": entry.finished,
        "provider": entry.provider,
        "model": entry.model,
        "small_model": entry.small_model,
        "tools": entry.tools,
        "files": [{"tool": f.tool, "path": f.path, "created": f.before_sha256 is None} for f in entry.files],
        "routes": [{"tool": r.tool, "before": r.before, "after": r.after} for r in entry.routes],
        "undoes": entry.undoes,
        "error": entry.error,
        "problems": entry.problems,
    }


# -- tools ------------------------------------------------------------------------------------------------------


def run_tools(args: argparse.Namespace, ctx: CliContext) -> int:
    rows = make_engine().tools()
    if args.json:
        ctx.emit_json([
            {
                "tool": r.tool,
                "label": r.label,
                "installed": r.detection.installed,
                "binary": str(r.detection.binary) if r.detection.binary else None,
                "config_paths": [str(p) for p in r.detection.config_paths],
                "current": None if r.current is None else {
                    "base_url": r.current.base_url,
                    "model": r.current.model,
                    "protocol": r.current.protocol.value if r.current.protocol else None,
                    "provider": r.current.provider,
                    "small_model": r.current.small_model,
                    "in_effect": r.current.in_effect,
                    "overrides": [override_json(o) for o in r.current.overrides],
                },
                "error": r.error,
                "overrides": [str(p) for p in r.existing_overrides],
                "notes": list(r.detection.notes),
            }
            for r in rows
        ])
        return 0
    lines = []
    for r in rows:
        now = "—"
        if r.error:
            now = "unreadable config"
        elif r.current is not None and (r.current.base_url or r.current.model):
            who = r.current.provider or r.current.base_url or "default endpoint"
            now = f"{who} / {r.current.model or 'default model'}"
        config = str(r.detection.config_paths[0]) if r.detection.config_paths else ""
        lines.append([r.tool, "yes" if r.detection.installed else "no", now, config])
    ctx.out(table(lines, ["TOOL", "INSTALLED", "USES NOW", "CONFIG"]))
    for r in rows:
        if r.error:
            ctx.warn(f"{r.label}: {r.error}")
        if r.current is not None and r.current.overrides:
            for override in r.current.overrides:
                ctx.warn(f"{r.label}: its user config is not what it uses: {override.describe()}")
        else:
            for path in r.existing_overrides:
                ctx.warn(f"{r.label}: {path} exists and may override the user settings Switchover edits.")
    return 0


# -- use ----------------------------------------------------------------------------------------------------------


def _result_json(result: SwitchResult, reports: list[VerifyReport]) -> dict[str, Any]:
    return {
        "switch_id": result.switch_id,
        "dry_run": result.dry_run,
        "provider": result.provider,
        "model": result.model,
        "small_model": result.small_model,
        "ok": result.ok,
        "tools": [asdict(o) | {"overrides": [override_json(x) for x in o.overrides],
                               "fixed": [override_json(x) for x in o.fixed]} for o in result.outcomes],
        "diff": result.diff if result.dry_run else None,
        "verify": [
            {"tool": r.tool, "ok": r.ok, "in_effect": r.in_effect, "problems": list(r.problems), "health": r.health,
             "base_url": r.actual.base_url if r.actual else None, "model": r.actual.model if r.actual else None,
             "overrides": [override_json(o) for o in r.actual.overrides] if r.actual else []}
            for r in reports
        ],
        "recovered": list(result.recovered),
    }


def run_use(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.cli.commands._gateway_use import gateway_involved, run_use_gateway

    if gateway_involved(args, ctx):
        return run_use_gateway(args, ctx)
    provider, model, small_model = chosen_target(args, ctx)
    engine = make_engine()
    tools: list[str] | None = list(engine.targets) if args.all else args.tools
    keys = ctx.keys()
    request = switch_request(provider, model, small_model, keys, include_overrides=args.include_overrides)
    result = engine.use(request, tools, dry_run=args.dry_run, want_diff=args.dry_run,
                        skip_refused=args.all or not args.tools)
    reports = [] if result.dry_run or result.switch_id is None else verify_switch(engine, result, provider, keys)
    if args.json:
        ctx.emit_json(_result_json(result, reports))
    else:
        _print_use(ctx, engine, result, reports)
        _print_use_summary(ctx, result, provider, model)
    return 0 if result.ok and all(r.ok for r in reports) else 1


def chosen_target(args: argparse.Namespace, ctx: CliContext) -> tuple[Provider, str, str | None]:
    """The provider, model and small model `use PROVIDER[/MODEL] [--small-model M]` asks for."""
    name, model = split_target(args.target)
    provider = ctx.store().get(name)
    model = model or provider.default_model
    if not model:
        raise ValidationError(f"{provider.display_name} lists no models; name one: switchover use {name}/MODEL")
    small_model = validation.optional_model_id(args.small_model, "small model") or provider.small_model
    return provider, model, small_model


def _print_use(ctx: CliContext, engine: SwitchEngine, result: SwitchResult, reports: list[VerifyReport]) -> None:
    """Recovered switches, the dry run's diff, then per tool: its line with the verdict, warnings, what would
    keep the switch from taking effect, notes."""
    for message in result.recovered:
        ctx.warn(message)
    if result.dry_run:
        ctx.out(result.diff.rstrip("\n") or "No changes: every tool already uses this.")
        ctx.out("")
    verdicts = {r.tool: r for r in reports}
    for outcome in result.outcomes:
        report = verdicts.get(outcome.tool)
        ctx.out(_outcome_line(outcome, report))
        for warning in outcome.warnings:
            ctx.warn(f"{outcome.label}: {warning}")
        shown = set(engine.targets[outcome.tool].overriding_env)  # `_show_conflicts` names where those are set
        _print_overrides(ctx, outcome, reported=report is not None, shown_elsewhere=shown)
        for note in outcome.notes:
            ctx.out(f"  note: {note}")


def _outcome_line(outcome: ToolOutcome, report: VerifyReport | None) -> str:
    """"Claude Code: switched; verified (works, 42 ms)", "Codex: refused — why", or "…: switched but not in
    effect: what ranks higher"."""
    if report is not None and not report.in_effect and report.actual is not None:
        return f"{outcome.label}: switched but not in effect: " + "; ".join(
            o.describe() for o in report.actual.overrides)
    line = f"{outcome.label}: {outcome.status}"
    if outcome.message:
        line += f" — {outcome.message}"
    if report is not None:
        line += "; verified" if report.ok else "; CHECK FAILED: " + "; ".join(report.problems)
        if report.health and report.ok:
            line += f" ({report.health})"
    return line


def _print_use_summary(ctx: CliContext, result: SwitchResult, provider: Provider, model: str) -> None:
    if not result.outcomes:
        ctx.out("No coding tools detected. Name one with --tool, or use --all (see `switchover tools`).")
    _show_conflicts(ctx, [o.tool for o in result.outcomes], everything=result.dry_run)
    if result.switch_id:
        ctx.out(f"Switched to {provider.display_name} {model}. Undo with: switchover undo")
    elif result.dry_run:
        ctx.out("Dry run: nothing was written.")


def _show_conflicts(ctx: CliContext, tools: list[str], everything: bool) -> None:
    """Variables in the environment or shell start-up files that these tools read too: all of them on a dry
    run, the ones that defeat the switch otherwise."""
    from switchover.core.switching.contract import ToolEnv
    from switchover.services.conflicts import find_conflicts
    from switchover.services.switching import all_targets

    if not tools:
        return
    for conflict in find_conflicts(all_targets(), ToolEnv.current(), tools, installed_only=False):
        if everything or conflict.overrides:
            ctx.warn(f"{conflict.label}: {conflict.advice()}")


def _print_overrides(ctx: CliContext, outcome: ToolOutcome, reported: bool, shown_elsewhere: set[str]) -> None:
    """What would keep the switch from taking effect (unless the verdict line or the conflicts list says it),
    what --include-overrides would change, and what it did change."""
    for override in outcome.overrides:
        if not reported and not (override.path is None and override.key in shown_elsewhere):
            ctx.warn(f"{outcome.label}: will not take effect: {override.describe()}")
    if outcome.fixable:
        ctx.out("  --include-overrides would also change: "
                + "; ".join(f"{o.fix} ({o.path}: {o.key})" for o in outcome.fixable))
    for override in outcome.fixed:
        ctx.out(f"  also changed (--include-overrides): {override.describe()}: {override.fix}")


# -- undo, history, exposure ------------------------------------------------------------------------------------


def run_undo(args: argparse.Namespace, ctx: CliContext) -> int:
    result = make_engine().undo(force=args.force)
    if args.json:
        ctx.emit_json({"undo_id": result.switch_id, "undid": result.undid, "files": list(result.files),
                       "recovered": list(result.recovered), "kept_changes": list(result.kept),
                       "diff": result.diff, "routes": list(result.routes), "routes_kept": list(result.routes_kept)})
        return 0
    for message in result.recovered:
        ctx.warn(message)
    if result.files or not result.routes:
        ctx.out(f"Restored {len(result.files)} file(s) from switch {result.undid}:")
    if result.routes:
        back = [t for t in result.routes if not any(k.startswith(t + " ") for k in result.routes_kept)]
        if back:
            ctx.out(f"Gateway routes put back from switch {result.undid}: {', '.join(back)}")
        for kept in result.routes_kept:
            ctx.warn(f"gateway route not put back: {kept}")
    for path in result.files:
        kept = " (only Switchover's settings: changes made since the switch were kept)" if path in result.kept else ""
        ctx.out(f"  {path}{kept}")
    if result.diff:
        ctx.out("What undo changed in those files:")
        ctx.out(result.diff.rstrip("\n"))
    return 0


def run_history(args: argparse.Namespace, ctx: CliContext) -> int:
    entries = make_engine().history(args.limit or None)
    if args.json:
        ctx.emit_json([_entry_json(e) for e in entries])
        return 0
    if not entries:
        ctx.out("No switches yet.")
        return 0
    rows = []
    for e in entries:
        what = f"undo of {e.undoes}" if e.kind == "undo" else f"{e.provider}/{e.model}"
        rows.append([e.started[:19].replace("T", " "), what, e.state, ", ".join(e.tools), str(len(e.files))])
    ctx.out(table(rows, ["WHEN (UTC)", "SWITCH", "STATE", "TOOLS", "FILES"]))
    return 0


def run_exposure(args: argparse.Namespace, ctx: CliContext) -> int:
    exposed = make_engine().exposure()
    if args.json:
        ctx.emit_json([{"path": e.path, "tool": e.tool, "provider": e.provider, "since": e.since,
                        "exists": e.exists, "mode": None if e.mode is None else e.mode_text,
                        "private": e.private} for e in exposed])
        return 0
    if not exposed:
        ctx.out("No file written by Switchover holds a plaintext key.")
        return 0
    ctx.out("These files hold a plaintext key because the tool cannot fetch one at run time:")
    rows = [[e.path, e.mode_text + ("" if e.private or e.mode is None else " readable by others"), e.tool,
             e.provider, e.since[:19]] for e in exposed]
    ctx.out(table(rows, ["FILE", "MODE", "TOOL", "PROVIDER", "SINCE"]))
    loose = [e.path for e in exposed if e.mode is not None and not e.private]
    if loose:
        ctx.warn("others can read " + ", ".join(loose) + "; make them private: chmod 600 " + " ".join(loose))
    return 0


# -- env ----------------------------------------------------------------------------------------------------------


def _last_switch(engine: SwitchEngine) -> JournalEntry | None:
    return next((e for e in engine.history() if e.kind == "switch" and e.state == "done"), None)


def run_env(args: argparse.Namespace, ctx: CliContext) -> int:
    last = _last_switch(make_engine()) if not args.provider or not args.model else None
    name = args.provider or (last.provider if last else None)
    if not name:
        raise SwitchoverError("No switch yet to take the provider from; name one: switchover env --provider NAME")
    provider = ctx.store().get(name)
    model = args.model or (last.model if last and last.provider == name else None) or provider.default_model
    if not model:
        raise ValidationError(f"{provider.display_name} lists no models; name one with --model")
    small = last.small_model if last and last.provider == name else provider.small_model
    validation.model_id(model, "model")  # the journal is a file too: never trust what it names
    validation.optional_model_id(small, "small model")
    ctx.stdout.write(shell_exports(provider, model, small, args.shell))
    return 0
