"""Write the man pages from the CLI's own argparse definitions with argparse-manpage, so they cannot drift:

  switchover(1)          every command (the parser of `switchover.cli.main.build_parser`)
  switchover-COMMAND(1)  one page per command, like git-commit(1): `man switchover-use`
  switchover-app(1)      the desktop app's options (`switchover.ui.app.app_parser`)

Runs in the build venv (argparse-manpage and Switchover are installed there).
Usage: manpages.py OUT_DIR DATE   (DATE: YYYY-MM-DD, the release date, for reproducible pages)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from argparse_manpage.manpage import Manpage

from switchover import __version__
from switchover.cli.main import build_parser
from switchover.ui.app import app_parser

MANUAL = "Switchover Manual"
SUMMARY = "keep your coding tools pointed at a model provider that works"
HOMEPAGE = "https://github.com/switchover/switchover"


def subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[argparse.ArgumentParser, str]]:
    """Each command's parser and one-line help, in the order `switchover --help` lists them."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {name: (sub, helps[name]) for name, sub in action.choices.items()
            if name in helps and helps[name] != argparse.SUPPRESS}


def render(parser: argparse.ArgumentParser, page: str, summary: str, date: str, see_also: list[str]) -> str:
    manpage = Manpage(parser)
    manpage.prog = page  # the page's name (title, NAME): "switchover-use"; the synopsis keeps "switchover use"
    manpage.description = summary
    manpage.source = f"switchover {__version__}"
    manpage.manual = MANUAL
    manpage.date = date
    manpage.add_section("see also", ">", ",\n".join(rf"\fB{name.replace('-', chr(92) + '-')}\fR(1)"
                                                   for name in see_also))
    text = str(manpage)
    return text.rstrip("\n") + f"\n.SH HOMEPAGE\n{HOMEPAGE}\n"


def write_pages(out: Path, date: str) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    cli = build_parser()
    commands = subcommands(cli)
    names = ["switchover-app", *(f"switchover-{name}" for name in commands)]
    pages = {"switchover": render(cli, "switchover", SUMMARY, date, names)}
    app = app_parser()
    app.prog = "switchover app"
    pages["switchover-app"] = render(
        app, "switchover-app", "the desktop app: tray icon, main window and first-run wizard", date,
        ["switchover"],
    )
    for name, (sub, summary) in commands.items():
        pages[f"switchover-{name}"] = render(sub, f"switchover-{name}", summary, date, ["switchover"])
    written = []
    for page, text in pages.items():
        path = out / f"{page}.1"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("date")
    args = parser.parse_args(argv)
    for path in write_pages(args.out, args.date):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
