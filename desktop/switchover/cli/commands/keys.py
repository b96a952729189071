"""`switchover key NAME`: the one command that prints a key, for tools' key-helper hooks to call."""

from __future__ import annotations

import argparse
from typing import Any

from switchover.cli.context import CliContext


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "key",
        help="print a provider's key (for tools' key-helper commands; nothing else prints keys)",
    )
    parser.add_argument("name")
    parser.set_defaults(handler=run_key)


def run_key(args: argparse.Namespace, ctx: CliContext) -> int:
    provider = ctx.store().get(args.name)
    key = ctx.keys().resolve(provider)
    if key is None:
        return ctx.fail(f"Provider {provider.name!r} needs no key.")
    ctx.stdout.write(key + "\n")
    return 0
