"""Where Switchover keeps its own files.

Everything honours `SWITCHOVER_CONFIG_DIR` / `SWITCHOVER_DATA_DIR` first, then the XDG variables (through
platformdirs), so tests and power users can isolate all state in one place.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_APP = "switchover"


def config_dir() -> Path:
    """The user store (`switchover.toml`) lives here."""
    override = os.environ.get("SWITCHOVER_CONFIG_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(_APP, appauthor=False, roaming=True))


def data_dir() -> Path:
    """Backups, the switch journal and health history live here."""
    override = os.environ.get("SWITCHOVER_DATA_DIR")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(_APP, appauthor=False))


def state_dir() -> Path:
    """Logs and small app state (window geometry, "wizard done")."""
    override = os.environ.get("SWITCHOVER_DATA_DIR")
    if override:
        return Path(override) / "state"
    return Path(platformdirs.user_state_dir(_APP, appauthor=False))


def store_file() -> Path:
    return config_dir() / "switchover.toml"


def log_dir() -> Path:
    return state_dir() / "log"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only; our data may name providers and files."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
