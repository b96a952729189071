"""Where Switchover keeps its own files.

Everything honours `SWITCHOVER_CONFIG_DIR` / `SWITCHOVER_DATA_DIR` first, then the XDG variables (through
platformdirs), so tests and power users can isolate all state in one place.
"""

from __future__ import annotations

import os
from pathlib import Path

_APP = "switchover"


def config_dir() -> Path:
    """The user store (`switchover.toml`) lives here."""
    override = os.environ.get("SWITCHOVER_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs  # imported only when no override names the folder

    return Path(platformdirs.user_config_dir(_APP, appauthor=False, roaming=True))


def data_dir() -> Path:
    """Backups, the switch journal and health history live here."""
    override = os.environ.get("SWITCHOVER_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs  # imported only when no override names the folder

    return Path(platformdirs.user_data_dir(_APP, appauthor=False))


def state_dir() -> Path:
    """Logs and small app state (window geometry, "wizard done")."""
    override = os.environ.get("SWITCHOVER_DATA_DIR")
    if override:
        return Path(override) / "state"
    import platformdirs  # imported only when no override names the folder

    return Path(platformdirs.user_state_dir(_APP, appauthor=False))


def store_file() -> Path:
    return config_dir() / "switchover.toml"


def log_dir() -> Path:
    return state_dir() / "log"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700 (whatever the umask: `mkdir -p` would give the parents
    0777 under umask 000); our data names providers and files, and backups may hold keys. Existing folders are
    left as they are: whether they can be trusted is the journal's check (`switchover.core.switching.trust`)."""
    make_private_dirs(path)
    return path


def make_private_dirs(path: Path) -> None:
    """`mkdir -p path`, each folder it creates 0700 regardless of the umask."""
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)
