"""Whether Switchover's own state can be trusted before acting on it.

The switch journal tells recovery and undo which files to write and with which bytes. Anyone who can write to
the data folder can plant an entry ("in progress", restore ~/.bashrc from this backup), so before recovery or
undo acts on the journal:

* the data folder, its journal and backup folders, and every journal file read must be owned by this user and
  not writable by group or others (`require_private`);
* a record may name only a file that the tool it names declares as one of its config files, and its backup
  must sit inside the backup folder (`check_record`); the recorded hashes are checked by the engine before
  any byte is written.

On Windows (no POSIX owner/mode bits) the folder check is skipped; the path checks still apply.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from switchover.core.errors import SwitchoverError
from switchover.core.fileio import resolve_target

if TYPE_CHECKING:
    from switchover.core.switching.contract import Target, ToolEnv


class UntrustedStateError(SwitchoverError):
    """Switchover's own files could have been changed by someone else; nothing was acted on."""


def untrusted_reason(path: Path) -> str | None:
    """Why `path` (a folder or file of ours) cannot be trusted, or None (also when it does not exist)."""
    if os.name != "posix":
        return None
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be checked ({exc.strerror or exc})"
    if info.st_uid != os.geteuid():
        return f"belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o022:
        who = "group and others" if info.st_mode & 0o022 == 0o022 else (
            "others" if info.st_mode & 0o002 else "its group")
        return f"is writable by {who} (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def require_private(paths: Iterable[Path], what: str) -> None:
    """Refuse (UntrustedStateError) when any of `paths` is not the user's own, private to writes."""
    for path in paths:
        reason = untrusted_reason(path)
        if reason:
            fix = f"chmod go-w {path}" if "writable" in reason else f"check who put {path} there"
            raise UntrustedStateError(
                f"{path} {reason}, so {what} cannot be trusted: someone else could have planted an entry that "
                f"makes Switchover write to your files. Nothing was changed. Check the folder's contents, then "
                f"run `{fix}` (Switchover keeps its folders at mode 0700)."
            )


def declared_files(targets: Iterable[Target], env: ToolEnv) -> dict[str, set[str]]:
    """tool id -> the real paths of the config files that tool declares (what a switch may write)."""
    out: dict[str, set[str]] = {}
    for target in targets:
        try:
            paths = tuple(target.detect(env).config_paths)
        except Exception:  # a tool that cannot even say where its files are cannot be written by recovery
            paths = ()
        out[target.id] = {str(resolve_target(Path(p))) for p in paths}
    return out


def check_record(tool: str, path: str, backup: str | None, declared: Mapping[str, set[str]], data_dir: Path,
                 backup_dir: Path) -> str | None:
    """Why a journal record must not be acted on (None when it may): path not declared, backup outside."""
    if str(resolve_target(Path(path))) not in declared.get(tool, set()) or path != str(resolve_target(Path(path))):
        return f"{path} is not a config file of {tool!r}; the journal entry was not written by Switchover"
    if backup is not None:
        real_backup = Path(os.path.realpath(data_dir / backup))
        root = Path(os.path.realpath(backup_dir))
        if root not in real_backup.parents:
            return f"the backup for {path} lies outside {backup_dir}; the journal entry was not written by Switchover"
    return None
