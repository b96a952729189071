"""The headless CLI. Never imports Qt: scripts, terminals and services rely on it starting fast anywhere.

Subcommands live in `switchover.cli.commands.*`; each module has `register(subparsers)` and is discovered
automatically (listed in `COMMAND_ORDER` for help ordering).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from collections.abc import Sequence

from switchover import __version__
from switchover.cli.context import CliContext
from switchover.core.errors import SwitchoverError
from switchover.core.logs import setup_logging
from switchover.core.secrets import redact

log = logging.getLogger(__name__)

COMMAND_ORDER = ("status", "providers", "keys", "check", "switching", "failover")


def _command_modules() -> list[str]:
    import switchover.cli.commands as package

    found = [info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")]
    rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
    return sorted(found, key=lambda name: (rank.get(name, len(rank)), name))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="switchover",
        description=(
            "Keep your coding tools pointed at a model provider that works. "
            "Without a command, `switchover` starts the desktop app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"switchover {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _command_modules():
        module = importlib.import_module(f"switchover.cli.commands.{name}")
        module.register(subparsers)
    return parser


def run_cli(argv: Sequence[str], ctx: CliContext | None = None) -> int:
    ctx = ctx or CliContext()
    parser = build_parser()
    args = parser.parse_args(list(argv))
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(ctx.stdout)
        return 2
    setup_logging()
    try:
        code: int = handler(args, ctx)
        return code
    except SwitchoverError as exc:
        log.info("command %s failed: %s", args.command, exc)
        return ctx.fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug: say so, keep the details (redacted) in the log
        log.exception("unexpected error in %s", args.command)
        return ctx.fail(f"unexpected internal error ({type(exc).__name__}: {redact(str(exc))}); see the log", 70)


if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:]))
