"""Where provider variables are set outside the tools' own configs: the current environment and the shell
start-up files (bash, zsh, fish, ~/.profile, systemd's environment.d), with the file and line.

An exported `ANTHROPIC_BASE_URL` or `OPENAI_API_KEY` can win over what Switchover writes into a tool's config,
or leak a key to every program started from that shell; the surfaces show what was found and what to do.
Reading only: nothing here edits a user's start-up files.
"""

from __future__ import annotations

import contextlib
import glob
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 1024 * 1024  # start-up files are small; a huge one is not read

# `export VAR=…`, `VAR=…`, `declare -x VAR=…`, `typeset -x VAR=…`, `export VAR` (POSIX shells, env files)
_POSIX = re.compile(r"^\s*(?:(?:export|declare\s+-[a-zA-Z]*x[a-zA-Z]*|typeset\s+-[a-zA-Z]*x[a-zA-Z]*)\s+)?"
                    r"([A-Za-z_][A-Za-z0-9_]*)(=|\s*$)")
_POSIX_EXPORT_LIST = re.compile(r"^\s*export\s+((?:[A-Za-z_][A-Za-z0-9_]*\s*)+)$")
# fish: `set -gx VAR value`, `set --export VAR …`, `set -Ux VAR …`
_FISH = re.compile(r"^\s*set\s+(?:-[a-zA-Z]+\s+|--[a-z]+\s+)*([A-Za-z_][A-Za-z0-9_]*)\b")
_FISH_EXPORTS = re.compile(r"(?:^|\s)(?:-[a-zA-Z]*x[a-zA-Z]*|--export)(?:\s|$)")


@dataclass(frozen=True)
class VariableSetting:
    """One place a variable is set: the running environment, or a start-up file's line."""

    var: str
    path: Path | None  # None: the current environment
    line: int | None = None

    def where(self, home: Path | None = None) -> str:
        if self.path is None:
            return "the current environment"
        shown = str(self.path)
        if home is not None:
            with contextlib.suppress(ValueError):
                shown = "~/" + self.path.relative_to(home).as_posix()
        return f"{shown} line {self.line}" if self.line else shown


def startup_files(home: Path, environ: Mapping[str, str]) -> list[Path]:
    """The user's shell start-up files that exist, in the order shells read them."""
    zdot = Path(environ.get("ZDOTDIR") or home)
    config = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
    candidates = [
        home / ".profile", home / ".bash_profile", home / ".bash_login", home / ".bashrc",
        zdot / ".zshenv", zdot / ".zprofile", zdot / ".zshrc", zdot / ".zlogin",
        config / "fish" / "config.fish",
        *sorted(Path(p) for p in glob.glob(str(config / "fish" / "conf.d" / "*.fish"))),
        *sorted(Path(p) for p in glob.glob(str(config / "environment.d" / "*.conf"))),
    ]
    seen: set[Path] = set()
    found = []
    for path in candidates:
        if path not in seen and path.is_file():
            seen.add(path)
            found.append(path)
    return found


def assignments(text: str, fish: bool) -> list[tuple[int, str]]:
    """(line number, variable) for every line that sets and exports a variable (comments skipped)."""
    found: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if fish:
            match = _FISH.match(line)
            if match and _FISH_EXPORTS.search(line.split(match.group(1), 1)[0] + " "):
                found.append((number, match.group(1)))
            continue
        listed = _POSIX_EXPORT_LIST.match(line)
        if listed:
            found.extend((number, name) for name in listed.group(1).split())
            continue
        match = _POSIX.match(line)
        if match and (match.group(2) == "=" or line.startswith(("export", "declare", "typeset"))):
            found.append((number, match.group(1)))
    return found


def find_settings(names: Collection[str], home: Path, environ: Mapping[str, str],
                  files: list[Path] | None = None) -> list[VariableSetting]:
    """Where each of `names` is set: the current environment first, then start-up files by line."""
    wanted = set(names)
    settings = [VariableSetting(var, None) for var in sorted(wanted) if environ.get(var)]
    for path in files if files is not None else startup_files(home, environ):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        fish = path.suffix == ".fish"
        settings.extend(VariableSetting(var, path, line) for line, var in assignments(text, fish) if var in wanted)
    return settings


__all__ = ["VariableSetting", "assignments", "find_settings", "startup_files"]
