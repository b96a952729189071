"""Every wizard page renders (offscreen) with real content; with SWITCHOVER_SCREENSHOT_DIR set, the pictures
are saved there for the README (`docs/screenshots/wizard-*.png`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from switchover.ui.taskman import TaskManager
from switchover.ui.wizard import SetupWizard
from tests.support.fixtures import provider_server
from tests.support.provider_server import ProviderServer
from tests.ui.wizard_support import (
    BAD_KEY,
    GOOD_KEY,
    go_next,
    make_world,
    new_wizard,
    services_for,
    start_servers,
    tasks,
    type_key,
    wait_idle,
)

__all__ = ["provider_server", "tasks"]
PAGES = ("welcome", "tools", "local", "cloud", "fallback", "finish")


def distinct_colours(image: QImage, step: int = 7) -> int:
    seen = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            seen.add(image.pixel(x, y))
    return len(seen)


def shoot(wizard: SetupWizard, name: str, folder: Path) -> QImage:
    image = wizard.grab().toImage()
    image.save(str(folder / f"wizard-{name}.png"))
    return image


def test_every_page_renders(qtbot: Any, tasks: TaskManager, isolated_home: Path, tmp_path: Path,
                            provider_server: Callable[..., ProviderServer]) -> None:
    folder = Path(os.environ.get("SWITCHOVER_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    world = make_world(isolated_home, start_servers(provider_server))
    wizard = new_wizard(qtbot, tasks, services_for(world, can_switch=True))
    wizard.resize(900, 640)
    shots = {"welcome": shoot(wizard, "welcome", folder)}
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    for tool in ("zed", "goose"):
        wizard.tools_page.set_managed(tool, False)
    shots["tools"] = shoot(wizard, "tools", folder)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    wizard.local_page.set_picked(0, True)
    shots["local"] = shoot(wizard, "local", folder)
    go_next(qtbot, wizard)
    type_key(qtbot, wizard, "moonshot", BAD_KEY)
    wizard.cloud_page.select("moonshot", False)
    type_key(qtbot, wizard, "deepseek", GOOD_KEY)
    type_key(qtbot, wizard, "moonshot", BAD_KEY)
    shots["cloud"] = shoot(wizard, "cloud", folder)
    wizard.cloud_page.select("moonshot", False)
    wizard.cloud_page.select("deepseek")
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    shots["fallback"] = shoot(wizard, "fallback", folder)
    go_next(qtbot, wizard)
    wait_idle(qtbot, wizard)
    page = wizard.finish_page
    page.switch_box.setChecked(True)
    qtbot.waitUntil(lambda: not page.previewing, timeout=15_000)
    shots["finish"] = shoot(wizard, "finish", folder)
    for name in PAGES:
        image = shots[name]
        assert image.width() >= 800 and image.height() >= 500, name
        assert distinct_colours(image) > 20, f"{name} looks blank"
        assert (folder / f"wizard-{name}.png").stat().st_size > 10_000, name
    wizard.reject()
    assert world.untouched() == []
