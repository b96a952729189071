"""The one entry point: no subcommand launches the desktop app, any subcommand runs the CLI.

Qt is imported only on the app path, so scripts calling the CLI never pay for it (or need a display).
"""

from __future__ import annotations

import sys

APP_OPTIONS = ("--show", "--quit-after")


def wants_app(args: list[str]) -> bool:
    """No arguments, `app`, or only the app's own options (`switchover --show`)."""
    return not args or args[0] == "app" or args[0].split("=")[0] in APP_OPTIONS


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_app(args):
        from switchover.ui.app import run_app

        code: int = run_app(args[1:] if args and args[0] == "app" else args)
        return code
    from switchover.cli.main import run_cli

    return run_cli(args)


if __name__ == "__main__":
    sys.exit(main())
