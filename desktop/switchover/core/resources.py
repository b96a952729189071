"""Find the shipped data files (provider presets, icons) in a checkout, a wheel or a frozen bundle."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    for candidate in (_PACKAGE_DIR / "resources", _PACKAGE_DIR.parent.parent / "resources"):
        if (candidate / "providers.toml").is_file():
            return candidate
    raise FileNotFoundError(f"Switchover's resources folder is missing (looked beside {_PACKAGE_DIR})")


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def load_data_file(path: Path, schema_version: int, what: str) -> dict[str, Any]:
    """Parse a shipped TOML data file (presets, error signatures) and check its schema version."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(path, str(exc)) from exc
    if data.get("schema_version") != schema_version:
        raise ConfigFileError(path, f"unsupported {what} schema_version {data.get('schema_version')!r}")
    return data
