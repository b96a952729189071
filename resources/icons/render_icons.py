"""Regenerate Switchover's icons: SVG sources from the templates below, PNGs rendered from them with QtSvg.

Run from the repository root: `.venv/bin/python resources/icons/render_icons.py`. The output is committed;
running it again gives the same files, so an icon change is a reviewable diff of this script.

Layout written:
  hicolor/scalable/apps/io.github.switchover.Switchover.svg    app icon (freedesktop theme layout)
  hicolor/<N>x<N>/apps/io.github.switchover.Switchover.png     N in 16..512
  tray/tray-<state>-<theme>.svg and tray/tray-<state>-<theme>-<N>.png
    state: ok | degraded | down | unknown; theme: light (dark glyph for light panels) | dark (light glyph)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_ID = "io.github.switchover.Switchover"
HERE = Path(__file__).resolve().parent
APP_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
TRAY_SIZES = (16, 22, 24, 32, 48, 64)

# Two opposing arrows: "switch over". Drawn on a 64x64 grid, thick enough to read at 16 px.
ARROWS = (
    '<path d="M12 21 H46 M37 12 L47 21 L37 30" />'
    '<path d="M52 43 H18 M27 34 L17 43 L27 52" />'
)

APP_SVG = f"""<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">
      <stop offset="0" stop-color="#2563eb"/>
      <stop offset="1" stop-color="#0d9488"/>
    </linearGradient>
  </defs>
  <rect x="2" y="2" width="60" height="60" rx="14" fill="url(#bg)"/>
  <g fill="none" stroke="#ffffff" stroke-width="6.5" stroke-linecap="round" stroke-linejoin="round">
    {ARROWS}
  </g>
</svg>
"""

STATE_COLOURS = {
    "ok": "#16a34a",  # green: every active endpoint healthy
    "degraded": "#f59e0b",  # amber: something slow or an alternative down
    "down": "#dc2626",  # red: an endpoint a tool is using is down
    "unknown": "#9ca3af",  # grey: not checked yet
}
GLYPH = {"light": "#1f2937", "dark": "#f3f4f6"}
# The badge is ringed in the panel's own colour so it reads as cut out of the glyph.
PANEL = {"light": "#f3f4f6", "dark": "#1f2937"}
BADGE_MARK = {
    "ok": "",
    "degraded": "",
    "down": '<path d="M50 43 V51" stroke="#ffffff" stroke-width="3.5" stroke-linecap="round"/>'
    '<circle cx="50" cy="56" r="2" fill="#ffffff"/>',
    "unknown": "",
}


def tray_svg(state: str, theme: str) -> str:
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <g fill="none" stroke="{GLYPH[theme]}" stroke-width="7" stroke-linecap="round" stroke-linejoin="round">
    {ARROWS}
  </g>
  <circle cx="50" cy="50" r="13" fill="{STATE_COLOURS[state]}" stroke="{PANEL[theme]}" stroke-width="3"/>
  {BADGE_MARK[state]}
</svg>
"""


def render_png(svg_path: Path, size: int, out: Path) -> None:
    from switchover.ui.icons import render_svg

    out.parent.mkdir(parents=True, exist_ok=True)
    if not render_svg(svg_path, size).save(str(out), "PNG"):
        raise SystemExit(f"could not write {out}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication(sys.argv[:1])
    app_svg = HERE / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    app_svg.parent.mkdir(parents=True, exist_ok=True)
    app_svg.write_text(APP_SVG, encoding="utf-8")
    for size in APP_SIZES:
        render_png(app_svg, size, HERE / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png")
    for state in STATE_COLOURS:
        for theme in GLYPH:
            svg = HERE / "tray" / f"tray-{state}-{theme}.svg"
            svg.parent.mkdir(parents=True, exist_ok=True)
            svg.write_text(tray_svg(state, theme), encoding="utf-8")
            for size in TRAY_SIZES:
                render_png(svg, size, HERE / "tray" / f"tray-{state}-{theme}-{size}.png")
    del app
    print(f"icons written under {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
