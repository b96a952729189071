"""Under Xvfb with a real XEmbed tray host: the app docks its icon, and right-clicking opens the menu."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import REPO_ROOT
from tests.ui.test_app_process import finish, wait_ready
from tests.ui.xserver import XServerWithTray, missing_binaries

pytestmark = pytest.mark.xvfb

_GEOMETRY = re.compile(r"(\d+)x(\d+)\+(-?\d+)\+(-?\d+)\s+\+(-?\d+)\+(-?\d+)")


def our_windows(tree: str) -> list[tuple[str, tuple[int, int, int, int]]]:
    """(line, (w, h, abs_x, abs_y)) for each window of the app (WM_CLASS "switchover" "Switchover")."""
    found = []
    for line in tree.splitlines():
        if '("switchover" "Switchover")' in line:
            m = _GEOMETRY.search(line)
            if m:
                w, h, _x, _y, ax, ay = map(int, m.groups())
                found.append((line, (w, h, ax, ay)))
    return found


@pytest.mark.skipif(bool(missing_binaries()), reason=f"needs {', '.join(missing_binaries())}")
def test_tray_icon_docks_and_menu_opens(tmp_path: Path) -> None:
    if shutil.which("xdotool") is None:
        pytest.skip("needs xdotool to click the tray icon")
    with XServerWithTray() as x:
        env = x.env()
        env["PYTHONPATH"] = REPO_ROOT
        env["SWITCHOVER_CONFIG_DIR"] = str(tmp_path / "cfg")
        env["SWITCHOVER_DATA_DIR"] = str(tmp_path / "data")
        env["SWITCHOVER_REPORT_READY"] = "1"
        app = subprocess.Popen(
            [sys.executable, "-m", "switchover", "--quit-after", "7000"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            ready = wait_ready(app)
            assert ready["tray"] is True  # isSystemTrayAvailable() and the icon is shown
            assert ready["window"] is False  # with a tray, the app starts quietly
            # The icon is embedded in trayer's panel (a child of the "panel" window).
            tree = x.tree()
            panel_part = tree.split('("panel" "trayer")', 1)[1]
            docked = our_windows(panel_part.split('("trayer" "Trayer")', 1)[0])
            assert docked, tree
            _line, (w, h, ax, ay) = docked[0]
            assert 16 <= w <= 64 and 16 <= h <= 64
            subprocess.run(
                ["xdotool", "mousemove", str(ax + w // 2), str(ay + h // 2), "click", "3"],
                env=env, check=True, timeout=10,
            )
            menu = None
            deadline = time.monotonic() + 5
            while menu is None and time.monotonic() < deadline:
                popups = [g for _l, g in our_windows(x.tree()) if g[1] > 60]  # taller than an icon
                menu = popups[0] if popups else None
                time.sleep(0.1)
            assert menu is not None, x.tree()
            assert menu[0] >= 120  # wide enough for "Open Switchover…"
        finally:
            code, _out, err = finish(app)
        assert code == 0, err
        assert "QSystemTrayIcon" not in err  # no "system tray unavailable" style warnings
