"""`switchover run [--provider P] [--model M] -- TOOL ARGS…`: any tool, pointed at a provider for one run.

For tools Switchover has no target for: the tool is started with the chosen provider's environment (what
`switchover env` prints, plus a few env-only tools' variables, see `switchover.targets.run_env`). The key is
fetched from the keychain now and placed only in the child's environment; nothing is written anywhere. On
POSIX the tool replaces this process (signals, terminal and exit status are the tool's own).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from switchover.cli.context import CliContext
from switchover.core import validation
from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.providers import Provider


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run any command with a provider's environment (key fetched now, never written)",
        description="Run TOOL with ANTHROPIC_*/OPENAI_* (as `switchover env` prints them, key included) and "
        "GitHub Copilot CLI's COPILOT_PROVIDER_* pointing at PROVIDER, for tools Switchover has no target "
        "for. The key lives only in TOOL's environment; with the local gateway enabled and running, TOOL goes "
        "through it and holds only the gateway's token.",
    )
    parser.add_argument("--provider", help="provider (default: the one of the last switch)")
    parser.add_argument("--model", help="model (default: the last switch's, else the provider's first)")
    parser.add_argument("--small-model", metavar="MODEL", help="small/fast model, for tools that have one")
    parser.add_argument("--direct", action="store_true",
                        help="talk to the provider directly even when the local gateway is enabled and running")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- TOOL ARGS",
                        help="the command to run, after --")
    parser.set_defaults(handler=run_run)


def choice(ctx: CliContext, provider_name: str | None, model: str | None,
           small_model: str | None) -> tuple[Provider, str, str | None]:
    """The same defaults as `switchover env`: the last switch's provider and model, else the provider's."""
    from switchover.cli.commands.switching import _last_switch
    from switchover.services.switching import make_engine

    last = _last_switch(make_engine()) if not provider_name or not model else None
    name = provider_name or (last.provider if last else None)
    if not name:
        raise SwitchoverError("No switch yet to take the provider from; name one: switchover run --provider NAME "
                              "-- TOOL ...")
    provider = ctx.store().get(name)
    same = last is not None and last.provider == name
    model = model or (last.model if same and last else None) or provider.default_model
    if not model:
        raise ValidationError(f"{provider.display_name} lists no models; name one with --model")
    small = small_model or (last.small_model if same and last else provider.small_model)
    validation.model_id(model, "model")  # the journal is a file too: never trust what it names
    validation.optional_model_id(small, "small model")
    return provider, model, small


def run_run(args: argparse.Namespace, ctx: CliContext) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        return ctx.fail("Name the command to run after --, e.g. switchover run -- aider --message hi", 2)
    provider, model, small = choice(ctx, args.provider, args.model, args.small_model)
    from switchover.services.run import child_environment, route

    chosen = route(ctx.store(), provider, model, small, command, ctx.keychain, direct=args.direct)
    if chosen.via_gateway:
        ctx.warn(f"through the Switchover gateway (route {chosen.via_gateway} -> {provider.name}/{model}); "
                 "--direct bypasses it")
    return launch(command, child_environment(os.environ, chosen), ctx)


def launch(command: Sequence[str], env: Mapping[str, str], ctx: CliContext) -> int:
    """Start `command` with `env`: exec on POSIX (this process becomes the tool), a child on Windows."""
    try:
        if os.name == "nt":
            return subprocess.call(list(command), env=dict(env))
        ctx.stdout.flush()
        ctx.stderr.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execvpe(command[0], list(command), dict(env))
    except FileNotFoundError:
        return ctx.fail(f"{command[0]}: command not found", 127)
    except PermissionError:
        return ctx.fail(f"{command[0]}: permission denied", 126)
    except OSError as exc:
        return ctx.fail(f"{command[0]}: cannot be started ({exc.strerror or exc})", 126)
    return 0  # not reached on POSIX: execvpe does not return
