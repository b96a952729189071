"""The headless CLI. Never imports Qt: scripts, terminals and services rely on it starting fast anywhere.

Subcommands live in `switchover.cli.commands.*`; each module has `register(subparsers)` and is discovered
automatically (listed in `COMMAND_ORDER` for help ordering).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from switchover import __version__
from switchover.cli.help import SuggestingParser, decorate
from switchover.core.errors import SwitchoverError

if TYPE_CHECKING:
    from switchover.cli.context import CliContext

log = logging.getLogger(__name__)

COMMAND_ORDER = ("status", "providers", "keys", "check", "balance", "usage", "prices", "switching", "run", "adopt",
                 "failover", "gateway")
# Which module registers each command, so running one imports only its module: `switchover key NAME` is a
# key helper that tools call often, and must not pay for httpx, targets and failover. Help and unknown
# commands still load every module; a test checks this table against what the modules register.
COMMAND_MODULES = {
    "status": "status",
    "provider": "providers",
    "presets": "providers",
    "key": "keys",
    "check": "check",
    "discover": "check",
    "balance": "balance",
    "prices": "prices",
    "usage": "usage",
    "tools": "switching",
    "use": "switching",
    "undo": "switching",
    "history": "switching",
    "exposure": "switching",
    "env": "switching",
    "run": "run",
    "import": "adopt",
    "chain": "failover",
    "watch": "failover",
    "failover": "failover",
    "gateway": "gateway",
}


def _command_modules() -> list[str]:
    import pkgutil

    import switchover.cli.commands as package

    found = [info.name for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")]
    rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
    return sorted(found, key=lambda name: (rank.get(name, len(rank)), name))


def build_parser(only_for: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (with `only_for`, a command name) one holding just that command's module."""
    parser = SuggestingParser(
        prog="switchover",
        description=(
            "Keep your coding tools pointed at a model provider that works. "
            "Without a command, `switchover` starts the desktop app."
        ),
    )
    parser.add_argument("--version", action="version", version=f"switchover {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = [COMMAND_MODULES[only_for]] if only_for in COMMAND_MODULES else _command_modules()
    for name in modules:
        module = importlib.import_module(f"switchover.cli.commands.{name}")
        module.register(subparsers)
    return decorate(parser)


def run_cli(argv: Sequence[str], ctx: CliContext | None = None) -> int:
    argv = list(argv)
    if argv == ["--version"]:  # answered before anything is imported: scripts and packagers call it
        ((ctx.stdout if ctx else None) or sys.stdout).write(f"switchover {__version__}\n")
        return 0
    from switchover.cli.context import CliContext
    from switchover.core.fileio import describe_os_error
    from switchover.core.logs import setup_logging
    from switchover.core.secrets import redact

    ctx = ctx or CliContext()
    parser = build_parser(only_for=argv[0] if argv and "-h" not in argv and "--help" not in argv else None)
    args = parser.parse_args(argv)
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
    except OSError as exc:  # the environment, not a bug: disk full, ulimit -f, permissions, read-only folders
        log.info("command %s failed: %s", args.command, exc)
        message = describe_os_error(exc)
        return ctx.fail(message[:1].upper() + message[1:] + ".")
    except Exception as exc:  # a bug: say so, keep the details (redacted) in the log
        log.exception("unexpected error in %s", args.command)
        return ctx.fail(f"unexpected internal error ({type(exc).__name__}: {redact(str(exc))}); see the log", 70)


if __name__ == "__main__":
    sys.exit(run_cli(sys.argv[1:]))
