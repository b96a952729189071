"""The desktop app's controller in tests: started as the app starts it, and torn down without leaks."""

from __future__ import annotations

from typing import Any


def started_tray_app(qapp: Any, qtbot: Any) -> Any:
    """An `AppController` with its tray object (offscreen has no tray host; the object model still works),
    started without a window, once its first read of the tools arrived."""
    from switchover.ui.app import AppController

    ctl = AppController(qapp, use_tray=True)
    with qtbot.waitSignal(ctl.tools.tools_loaded, timeout=10000):
        ctl.start(show_window=False)
    return ctl


def close_app(qapp: Any, ctl: Any) -> None:
    """The window closed for good, background work stopped, the quit hook released, the controller deleted."""
    if ctl.window is not None:
        ctl.window.allow_close = True
        ctl.window.close()
        ctl.window.deleteLater()
    ctl.shutdown()
    qapp.aboutToQuit.disconnect(ctl.shutdown)
    ctl.deleteLater()
