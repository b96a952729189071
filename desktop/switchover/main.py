"""The one entry point: no subcommand launches the desktop app, any subcommand runs the CLI.

Qt is imported only on the app path, so scripts calling the CLI never pay for it (or need a display). Before
Qt is loaded, the app path checks there is a display to open windows on: Qt itself would abort the process
(SIGABRT, exit 134) with a plugin message that does not say the command line works without one.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping

APP_OPTIONS = ("--show", "--quit-after")
CLI_HINT = "The command line works without a display: try `switchover status` or `switchover --help`."


def wants_app(args: list[str]) -> bool:
    """No arguments, `app`, or only the app's own options (`switchover --show`)."""
    return not args or args[0] == "app" or args[0].split("=")[0] in APP_OPTIONS


def _loads(library: str) -> bool:
    import ctypes

    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True


def display_problem(environ: Mapping[str, str], platform: str = sys.platform,
                    loads: Callable[[str], bool] = _loads) -> str | None:
    """Why the desktop app cannot open a window here, or None. Only Linux/BSD desktops need checking: macOS and
    Windows always have their window system; an explicit QT_QPA_PLATFORM (offscreen, vnc…) is trusted."""
    if platform.startswith(("win", "darwin")):
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if chosen and chosen not in ("xcb", "wayland"):
        return None
    if not chosen and not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        return "There is no graphical display here (neither $DISPLAY nor $WAYLAND_DISPLAY is set), so the " \
               "desktop app cannot open."
    uses_xcb = chosen == "xcb" or (not chosen and not environ.get("WAYLAND_DISPLAY"))
    if uses_xcb and not loads("libxcb-cursor.so.0"):
        return "The desktop app needs the X11 cursor library (libxcb-cursor.so.0), which is not installed. " \
               "Install it (Debian/Ubuntu: sudo apt install libxcb-cursor0) and start Switchover again."
    return None


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--version"]:  # before any import: scripts, packagers and tools' probes call it
        from switchover import __version__

        print(f"switchover {__version__}")
        return 0
    if wants_app(args):
        frozen = getattr(sys, "frozen", False)  # a bundle carries its own Qt libraries: only the display counts
        problem = display_problem(os.environ, loads=(lambda _lib: True) if frozen else _loads)
        if problem is not None:
            print(f"switchover: {problem}\n{CLI_HINT}", file=sys.stderr)
            return 1
        from switchover.ui.app import run_app

        code: int = run_app(args[1:] if args and args[0] == "app" else args)
        return code
    from switchover.cli.main import run_cli

    return run_cli(args)


if __name__ == "__main__":
    sys.exit(main())
