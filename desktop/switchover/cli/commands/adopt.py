"""`switchover import`: adopt what each tool uses now as providers, with their keys in the keychain."""

from __future__ import annotations

import argparse
from typing import Any

from switchover.cli.context import CliContext, add_json_flag
from switchover.core.secrets import KeychainError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import",
        help="adopt each tool's current provider and key (the key goes to the OS keychain)",
        description=(
            "Read what each installed tool uses now (endpoint, model, and the key from its config, the variable "
            "it names or its .env) and keep it as a Switchover provider, the key in the OS keychain, so switching "
            "back to it later works. Nothing in the tools' files changes unless --replace-plaintext is given: "
            "then a key found in plaintext in Claude Code's or Codex's config is replaced by `switchover key "
            "NAME` (backed up; `switchover undo` restores it)."
        ),
    )
    parser.add_argument("--dry-run", action="store_true", help="show what would be adopted; write nothing")
    parser.add_argument("--tool", action="append", dest="tools", metavar="TOOL",
                        help="only this tool (repeatable); see `switchover tools` for ids")
    parser.add_argument("--replace-plaintext", action="store_true",
                        help="also take plaintext keys out of tool files that can fetch the key by command")
    add_json_flag(parser)
    parser.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.core.switching.contract import ToolEnv
    from switchover.services.adoption import apply_adoption, plan_adoption
    from switchover.services.switching import all_targets, get_target, make_engine, switch_request

    for tool in args.tools or ():
        get_target(tool)  # unknown ids fail with the list of known ones (and a suggestion)
    store = ctx.store()
    keychain = ctx.keychain()
    status = keychain.status()

    def stored_key(name: str) -> str | None:
        return keychain.get(name) if status.usable else None

    plan = plan_adoption(store, all_targets(), ToolEnv.current(), ctx.catalog(), stored_key, status.usable,
                         args.tools)
    outcome = None
    if not args.dry_run and (plan.changes_anything or (args.replace_plaintext and plan.replaceable())):
        keys = ctx.keys()
        try:
            outcome = apply_adoption(plan, keychain if plan.keys() else None, replace_plaintext=args.replace_plaintext,
                                     engine=make_engine, request=lambda p, m: switch_request(p, m, p.small_model, keys))
        except KeychainError as exc:
            return ctx.fail(f"Nothing was imported: {exc}")
    if args.json:
        ctx.emit_json(_json(plan, outcome, args.dry_run))
        return 0
    if not plan.adoptions:
        ctx.out("No tool points at an endpoint Switchover could adopt.")
    for adoption in plan.adoptions:
        for line in adoption.describe():
            ctx.out(line)
        if adoption.replaceable and not args.replace_plaintext:
            found = adoption.found
            where = found.plaintext_in if found is not None else None
            ctx.out(f"  The key sits in plaintext in {where}: add --replace-plaintext to have {adoption.label} "
                    "fetch it from the keychain instead (backed up; `switchover undo` restores the file).")
    for label, why in plan.skipped:
        ctx.out(f"{label}: not adopted: {why}")
    if args.dry_run:
        ctx.out("Nothing was written (--dry-run).")
    elif outcome is not None:
        if outcome.keys_stored:
            ctx.out(f"Keys stored in the OS keychain for: {', '.join(outcome.keys_stored)}.")
        if outcome.replaced:
            ctx.out(f"Plaintext keys replaced by `switchover key NAME` in: {', '.join(outcome.replaced)} "
                    "(undo with `switchover undo`).")
        for note in outcome.notes:
            ctx.out(note)
        if outcome.providers:
            ctx.out("Next: put them in a fallback order, e.g. switchover chain set default "
                    + " ".join(f"{a.provider.name}/{a.model}" for a in plan.adoptions if a.model)[:200])
    elif plan.adoptions:
        ctx.out("Nothing to change: every tool's current setup is adopted already.")
    return 0


def _json(plan: Any, outcome: Any, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "adoptions": [
            {
                "tool": a.tool,
                "base_url": a.current.base_url,
                "model": a.model,
                "provider": a.provider.name,
                "new_provider": a.new_provider,
                "key": a.key_state,
                "key_from": a.found.where if a.found is not None else None,
                "plaintext_in": str(a.found.plaintext_in) if a.found is not None and a.found.plaintext_in else None,
                "replaceable": a.replaceable,
                "notes": list(a.notes),
            }
            for a in plan.adoptions
        ],
        "skipped": [{"tool": label, "why": why} for label, why in plan.skipped],
        "saved": list(outcome.providers) if outcome is not None else [],
        "keys_stored": list(outcome.keys_stored) if outcome is not None else [],
        "replaced": list(outcome.replaced) if outcome is not None else [],
    }
