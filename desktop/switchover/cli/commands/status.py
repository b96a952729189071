"""`switchover status`: one screen that says what is configured and whether the keychain works."""

from __future__ import annotations

import argparse
from typing import Any

from switchover import __version__
from switchover.cli.context import CliContext, add_json_flag
from switchover.core import paths


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="show providers, tools and keychain state")
    add_json_flag(parser)
    parser.set_defaults(handler=run_status)


def collect_status(ctx: CliContext) -> dict[str, Any]:
    store = ctx.store()
    keychain = ctx.keychain().status()
    return {
        "version": __version__,
        "config_dir": str(paths.config_dir()),
        "data_dir": str(paths.data_dir()),
        "store": str(store.path),
        "providers": [
            {"name": p.name, "label": p.display_name, "credential": p.credential.to_store(), "local": p.is_local}
            for p in store.providers.values()
        ],
        "chains": {tool: [str(e) for e in chain] for tool, chain in store.chains.items()},
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
    else:
        ctx.out(f"Providers: {', '.join(p['name'] for p in data['providers'])}")
    for tool, chain in data["chains"].items():
        ctx.out(f"Chain {tool}: {' → '.join(chain)}")
    return 0
