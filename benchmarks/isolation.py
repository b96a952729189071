"""The scratch home every benchmark runs in: HOME, the XDG folders and Switchover's own folders inside a
temporary folder, so a benchmark never reads or writes the real user's files."""

from __future__ import annotations

from pathlib import Path


def home_env(home: Path, config: Path | None = None, data: Path | None = None,
             extra_dirs: tuple[str, ...] = ()) -> dict[str, str]:
    """Create `home`'s XDG folders (and `extra_dirs`) and return the variables that point everything there.
    Switchover's config and data folders default to their XDG places inside `home`."""
    for sub in (".config", ".local/share", ".local/state", ".cache", *extra_dirs):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_STATE_HOME": str(home / ".local/state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "SWITCHOVER_CONFIG_DIR": str(config or home / ".config" / "switchover"),
        "SWITCHOVER_DATA_DIR": str(data or home / ".local/share" / "switchover"),
    }
