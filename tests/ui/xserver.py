"""Start a private Xvfb display with a real XEmbed system tray (Debian's `trayer`) for tests and screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def missing_binaries() -> list[str]:
    return [b for b in ("Xvfb", "trayer", "xwininfo") if shutil.which(b) is None]


def _free_display() -> int:
    for number in range(90, 190):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number between :90 and :189")


class XServerWithTray:
    """`with XServerWithTray() as x:` gives `x.display` (":N") with a tray panel docked top-right."""

    def __init__(self, width: int = 1280, height: int = 800) -> None:
        self.size = (width, height)
        self.display = ""
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> XServerWithTray:
        number = _free_display()
        self.display = f":{number}"
        xvfb = subprocess.Popen(
            ["Xvfb", self.display, "-screen", "0", f"{self.size[0]}x{self.size[1]}x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.procs.append(xvfb)
        self._wait(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), "Xvfb")
        trayer = subprocess.Popen(
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "24",
             "--transparent", "false", "--tint", "0xdddddd", "--SetDockType", "true"],
            env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.procs.append(trayer)
        self._wait(lambda: '"panel" "trayer"' in self.tree(), "trayer")
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env["QT_QPA_PLATFORM"] = "xcb"
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def tree(self) -> str:
        result = subprocess.run(
            ["xwininfo", "-root", "-tree"], env=self.env(), capture_output=True, text=True, check=False, timeout=10
        )
        return result.stdout

    def _wait(self, ready: object, what: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(ready) and ready():
                return
            time.sleep(0.05)
        raise RuntimeError(f"{what} did not start on {self.display}")
