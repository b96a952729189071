"""Start at login writes (and removes) the native entry in the isolated home."""

from __future__ import annotations

import configparser
import os
import plistlib
from pathlib import Path

from switchover import APP_ID
from switchover.ui.autostart import Autostart, xdg_autostart_file


def test_xdg_entry_enable_disable() -> None:
    autostart = Autostart("linux", ["/opt/switchover/bin/switchover"])
    entry = Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / f"{APP_ID}.desktop"
    assert xdg_autostart_file() == entry
    assert not autostart.is_enabled()
    autostart.enable()
    assert autostart.is_enabled()
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(entry)
    section = parser["Desktop Entry"]
    assert section["Exec"] == "/opt/switchover/bin/switchover"
    assert section["Type"] == "Application"
    assert section["Icon"] == APP_ID
    autostart.disable()
    assert not entry.exists()
    autostart.disable()  # idempotent


def test_exec_line_quotes_paths_with_spaces() -> None:
    Autostart("linux", ["/home/me/My Apps/python", "-m", "switchover"]).enable()
    text = xdg_autostart_file().read_text()
    assert "Exec='/home/me/My Apps/python' -m switchover\n" in text


def test_macos_launch_agent(isolated_home: Path) -> None:
    autostart = Autostart("darwin", ["/Applications/Switchover.app/Contents/MacOS/Switchover"])
    autostart.enable()
    plist = isolated_home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    data = plistlib.loads(plist.read_bytes())
    assert data["Label"] == APP_ID
    assert data["ProgramArguments"] == ["/Applications/Switchover.app/Contents/MacOS/Switchover"]
    assert data["RunAtLoad"] is True
    assert autostart.is_enabled()
    autostart.disable()
    assert not plist.exists()


def test_settings_page_toggles_autostart(controller: object, qtbot: object) -> None:
    from switchover.core.store import load_store
    from switchover.ui.pages.settings import SettingsPage

    window = controller.open_window("settings")  # type: ignore[attr-defined]
    page = window.pages["settings"]
    assert isinstance(page, SettingsPage)
    page.autostart = Autostart("linux", ["switchover"])
    page.login_check.setChecked(True)
    page.interval_spin.setValue(15)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):  # type: ignore[attr-defined]
        page.save_button.click()
    assert xdg_autostart_file().is_file()
    app = load_store().sections["app"]
    assert app["start_at_login"] is True
    assert app["check_interval_s"] == 900
    page.login_check.setChecked(False)
    with qtbot.waitSignal(controller.state.store_changed, timeout=5000):  # type: ignore[attr-defined]
        page.save_button.click()
    assert not xdg_autostart_file().exists()
