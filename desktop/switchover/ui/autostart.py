"""Start at login, the native way per OS: XDG autostart entry, macOS LaunchAgent, Windows HKCU Run key.

Pure logic (no Qt): what to write where, given the command that launches the app.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import shlex
import sys
from pathlib import Path

from switchover import APP_ID, APP_NAME
from switchover.core.fileio import atomic_write

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command() -> list[str]:
    """How to start this installation's app: the frozen executable, else this Python with `-m switchover`."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "switchover"]


def xdg_autostart_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / f"{APP_ID}.desktop"


def launch_agent_file() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{APP_ID}.plist"


def desktop_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Keep your coding tools pointed at a model provider that works\n"
        f"Exec={shlex.join(command)}\n"
        f"Icon={APP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def launch_agent(command: list[str]) -> bytes:
    return plistlib.dumps(
        {"Label": APP_ID, "ProgramArguments": command, "RunAtLoad": True, "ProcessType": "Interactive"}
    )


def windows_command(command: list[str]) -> str:
    import subprocess

    return subprocess.list2cmdline(command)


class Autostart:
    """Enable, disable and query start-at-login for `platform` (defaults to this one)."""

    def __init__(self, platform: str | None = None, command: list[str] | None = None) -> None:
        self.platform = platform or sys.platform
        self.command = command or launch_command()

    def is_enabled(self) -> bool:
        if self.platform == "win32":
            return self._windows_value() is not None
        return self._file().is_file()

    def enable(self) -> None:
        if self.platform == "win32":
            self._windows_set(windows_command(self.command))
        elif self.platform == "darwin":
            atomic_write(self._file(), launch_agent(self.command), mode=0o644)
        else:
            atomic_write(self._file(), desktop_entry(self.command).encode("utf-8"), mode=0o644)

    def disable(self) -> None:
        if self.platform == "win32":
            self._windows_set(None)
        else:
            self._file().unlink(missing_ok=True)

    def set_enabled(self, enabled: bool) -> None:
        if enabled:
            self.enable()
        else:
            self.disable()

    def _file(self) -> Path:
        return launch_agent_file() if self.platform == "darwin" else xdg_autostart_file()

    def _windows_value(self) -> str | None:
        return _registry_get(APP_NAME)

    def _windows_set(self, value: str | None) -> None:
        _registry_set(APP_NAME, value)


if sys.platform == "win32":  # pragma: no cover - Windows only
    import winreg

    def _registry_get(name: str) -> str | None:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _type = winreg.QueryValueEx(key, name)
                return str(value)
        except FileNotFoundError:
            return None

    def _registry_set(name: str, value: str | None) -> None:
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            if value is None:
                with contextlib.suppress(FileNotFoundError):
                    winreg.DeleteValue(key, name)
            else:
                winreg.SetValueEx(key, name, 0, winreg.REG_SZ, value)

else:

    def _registry_get(*_args: object) -> str | None:
        raise OSError("the Windows registry exists only on Windows")

    def _registry_set(*_args: object) -> None:
        raise OSError("the Windows registry exists only on Windows")
