#!/usr/bin/env python3
"""The core story, timed in the real app (offscreen Qt, real local providers, the real failover monitor):

    outage → the tray says which tool and why → one click on the suggestion → switched and verified

Claude Code uses "Primary" (a stand-in on 127.0.0.1); its fallback order is Primary → Backup; failover
suggests (the default mode). At T0 Primary starts answering like a region block. Measured: when the tray's
tooltip and menu name the tool and the reason; when the suggestion is in the menu; then the user's clicks
(open the tray menu, click "Switch now" in the suggestion's submenu: opening a submenu is a hover) and the
time until Claude Code's config points at Backup and the post-switch check says it answers.

    .venv/bin/python benchmarks/core_story.py [--interval S]   # the monitor's check interval (default 60)

With the default 60 s interval and two hard failures in a row (the policy's default) detection takes one
interval plus the quick re-check after a failure; `--interval 5` shows the same story fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.isolation import home_env  # noqa: E402


def isolate(home: Path) -> None:
    os.environ.update(home_env(home))
    os.environ.update({
        "PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.FileKeyring",
        "SWITCHOVER_TEST_KEYRING": str(home / "keyring.json"),
    })
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.chdir(home)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=60.0, help="failover monitor interval in seconds")
    args = parser.parse_args()
    isolate(Path(tempfile.mkdtemp(prefix="switchover-story-")) / "home")

    from tests.support.provider_server import ProviderServer

    primary = ProviderServer().start().play("anthropic", "ok", ("model-p",))
    backup = ProviderServer().start().play("anthropic", "ok", ("model-b",))
    try:
        return run(primary, backup, args.interval)
    finally:
        primary.close()
        backup.close()


def run(primary: object, backup: object, interval: float) -> int:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from switchover.core.providers import Credential, Endpoint, Protocol, Provider
    from switchover.core.store import ChainEntry, edit_store
    from switchover.services.switching import make_engine, switch_request

    providers = {name: Provider(name, (Endpoint.make(Protocol.ANTHROPIC, server.url),),  # type: ignore[attr-defined]
                                (model,), credential=Credential.none(), label=name.title())
                 for name, server, model in (("primary", primary, "model-p"), ("backup", backup, "model-b"))}
    with edit_store() as store:
        for provider in providers.values():
            store.add(provider)
        store.chains["claude-code"] = [ChainEntry("primary", "model-p"), ChainEntry("backup", "model-b")]
        store.section("failover").update({"mode": "suggest", "interval_s": interval})
    settings = Path(os.environ["HOME"]) / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text("{}\n")
    make_engine().use(switch_request(providers["primary"], "model-p"), ["claude-code"])

    app = QApplication(["switchover"])
    from switchover.ui.app import AppController

    controller = AppController(app, use_tray=True)
    notes: list[tuple[float, str, str]] = []
    assert controller.tray is not None
    real_notify = controller.tray.notify

    def notify(title: str, text: str, on_click: object = None) -> None:
        notes.append((time.monotonic(), title, text))
        real_notify(title, text, on_click)  # type: ignore[arg-type]

    controller.tray.notify = notify  # type: ignore[method-assign]

    def wait(predicate: object, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():  # type: ignore[operator]
                return time.monotonic()
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()
            QCoreApplication.processEvents()
        return None

    tray = controller.tray
    controller.start(show_window=False)
    if wait(lambda: "Claude Code — Primary · model-p · works" in tray.icon.toolTip(), 30) is None:
        print("the app never said Claude Code works:", tray.icon.toolTip())
        return 1
    rounds: list[float] = []
    controller.failover.results_arrived.connect(lambda _r: rounds.append(time.monotonic()))
    if wait(lambda: bool(rounds), interval + 30) is None:
        print("the failover monitor never ran a round")
        return 1
    # The outage starts half an interval after the monitor's round: on average that is when it strikes.
    wait(lambda: False, interval / 2)
    t0 = time.monotonic()
    primary.play("anthropic", "region_blocked")  # type: ignore[attr-defined]
    seen = wait(lambda: "Claude Code — Primary · model-p · blocked in your region" in tray.icon.toolTip(),
                interval * 3 + 30)
    suggested = wait(lambda: bool(controller.status.pending()), interval * 3 + 30)
    if seen is None or suggested is None:
        print("no outage seen / no suggestion:", tray.icon.toolTip())
        return 1

    clicks = 0
    tray.menu.aboutToShow.emit()  # click 1: open the tray menu
    clicks += 1
    user_start = time.monotonic()
    entry = next(a for a in tray.menu.actions() if a.text().startswith("Suggested: Claude Code → Backup"))
    switch_now = next(a for a in entry.menu().actions() if a.text() == "Switch now")  # hover opens the submenu
    switch_now.trigger()  # click 2
    clicks += 1
    verified = wait(lambda: any(t.startswith("Switched") and "✓" in text for _at, t, text in notes), 60)
    points_at_backup = json.loads(settings.read_text())["env"]["ANTHROPIC_BASE_URL"] == backup.url  # type: ignore[attr-defined]
    tooltip_ok = wait(lambda: "Claude Code — Backup · model-b · works" in tray.icon.toolTip(), 30)
    controller.shutdown()
    if verified is None or not points_at_backup:
        print("not verified:", notes, tray.icon.toolTip())
        return 1
    print(f"monitor interval {interval:.0f} s, hard failures before 'down': 2 (defaults otherwise); the outage "
          f"starts {interval / 2:.0f} s after a monitor round")
    print(f"outage → tray names the tool and why (tooltip, menu): {seen - t0:6.2f} s")
    print(f"outage → suggestion in the menu:                     {suggested - t0:6.2f} s")
    print(f"clicks: {clicks} (open the tray menu; 'Switch now' in the suggestion's submenu)")
    print(f"click → switched and verified (notification ✓):      {verified - user_start:6.2f} s")
    if tooltip_ok is not None:
        print(f"click → tooltip says Claude Code works on Backup:    {tooltip_ok - user_start:6.2f} s")
    print(f"notification: {notes[-1][1]}: {notes[-1][2].splitlines()[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
