"""The one entry point: no subcommand launches the desktop app, any subcommand runs the CLI.

Qt is imported only on the app path, so scripts calling the CLI never pay for it (or need a display).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] == "app":
        from switchover.ui.app import run_app

        code: int = run_app(args[1:])
        return code
    from switchover.cli.main import run_cli

    return run_cli(args)


if __name__ == "__main__":
    sys.exit(main())
