"""Icons shipped under resources/icons (rendered by resources/icons/render_icons.py)."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPainter, QPalette

from switchover import APP_ID
from switchover.core.resources import resource

APP_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
TRAY_SIZES = (16, 22, 24, 32, 48, 64)


class TrayState(StrEnum):
    """What the tray badge says, worst first wins: a tool's active endpoint down beats anything slow."""

    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"
    UNKNOWN = "unknown"


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    for size in APP_SIZES:
        icon.addFile(str(resource("icons", "hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")))
    return icon


def panel_is_dark() -> bool:
    """Guess the panel colour from the palette (Vorta does the same on `paletteChanged`)."""
    palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


@cache
def tray_icon(state: TrayState, dark_panel: bool) -> QIcon:
    theme = "dark" if dark_panel else "light"
    icon = QIcon()
    for size in TRAY_SIZES:
        icon.addFile(str(resource("icons", "tray", f"tray-{state.value}-{theme}-{size}.png")))
    return icon


def render_svg(svg_path: Path, size: int) -> QImage:
    """Rasterise an SVG at `size`×`size` (the build scripts' one renderer for PNG, .ico and .icns)."""
    from PySide6.QtSvg import QSvgRenderer  # build-time only: the running app loads PNGs

    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise ValueError(f"{svg_path}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image
