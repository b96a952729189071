"""Find the shipped data files (provider presets, icons) in a checkout, a wheel or a frozen bundle."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    for candidate in (_PACKAGE_DIR / "resources", _PACKAGE_DIR.parent.parent / "resources"):
        if (candidate / "providers.toml").is_file():
            return candidate
    raise FileNotFoundError(f"Switchover's resources folder is missing (looked beside {_PACKAGE_DIR})")


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
