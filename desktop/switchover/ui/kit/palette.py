"""Semantic colours (good, warning, bad, muted, accent) that stay readable on whatever palette is active.

No widget names a colour. Each tone starts from a hue and is then darkened (on light backgrounds) or
lightened (on dark ones) just enough to reach WCAG AA contrast, 4.5:1, against every background text of
that tone sits on: the window, the view base and the alternate row colour. So a status in red is as
readable on a dark or high-contrast desktop as on the default light one, and "muted" help text is a real
grey that passes, unlike `palette(placeholder-text)` (3.4–3.9:1 on common themes).

Colours are computed from the application palette when asked for, so table cells (which ask on every paint)
follow a theme change at once; labels toned with `tint()` are re-toned on the application's palette change.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from enum import StrEnum
from html import escape

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QLabel, QWidget
from shiboken6 import isValid

AA_NORMAL_TEXT = 4.5  # WCAG 2.x AA for body text
_TARGET = 4.6  # a little margin over AA: rounding to 8-bit channels must not drop below it


class Tone(StrEnum):
    GOOD = "good"  # ok, done, works
    WARN = "warn"  # slow, rate limited, needs attention
    BAD = "bad"  # failed, blocked, error
    MUTED = "muted"  # help text, "not checked", not installed
    ACCENT = "accent"  # links and highlights in text


# Hues chosen for light backgrounds (Tailwind's 700 shades); adjusted per background below.
_HUES: dict[Tone, str] = {
    Tone.GOOD: "#15803d",
    Tone.WARN: "#b45309",
    Tone.BAD: "#b91c1c",
    Tone.ACCENT: "#1d4ed8",
}


def relative_luminance(colour: QColor) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1 (same) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """`a` moved a share `t` (0..1) of the way towards `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def _worst(colour: QColor, backgrounds: Iterable[QColor]) -> float:
    return min(contrast_ratio(colour, bg) for bg in backgrounds)


def readable(colour: QColor, backgrounds: Iterable[QColor], target: float = _TARGET) -> QColor:
    """`colour`, moved towards black or white (whichever the backgrounds contrast with) until it reaches
    `target` against every background; the hue is kept as far as the contrast allows."""
    backgrounds = list(backgrounds)
    if _worst(colour, backgrounds) >= target:
        return colour
    dark_backgrounds = sum(relative_luminance(bg) for bg in backgrounds) / len(backgrounds) < 0.18
    extreme = QColor("#ffffff") if dark_backgrounds else QColor("#000000")
    lo, hi = 0.0, 1.0
    for _ in range(24):  # bisect the smallest shift that passes
        mid = (lo + hi) / 2
        if _worst(_mix(colour, extreme, mid), backgrounds) >= target:
            hi = mid
        else:
            lo = mid
    return _mix(colour, extreme, hi)


def backgrounds(palette: QPalette | None = None) -> list[QColor]:
    """The backgrounds text of a tone may sit on: window, view base, alternate rows."""
    palette = palette or QGuiApplication.palette()
    roles = (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase)
    return [palette.color(QPalette.ColorGroup.Active, role) for role in roles]


def colour(tone: Tone, palette: QPalette | None = None) -> QColor:
    """The colour of `tone` on `palette` (default: the application's), at least 4.5:1 on its backgrounds."""
    palette = palette or QGuiApplication.palette()
    bgs = backgrounds(palette)
    if tone is Tone.MUTED:
        # A grey between the text and the background: as faint as AA allows, so it still reads as secondary.
        text = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
        base = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
        lo, hi = 0.0, 1.0
        for _ in range(24):
            mid = (lo + hi) / 2
            if _worst(_mix(text, base, mid), bgs) >= _TARGET:
                lo = mid
            else:
                hi = mid
        return readable(_mix(text, base, lo), bgs)
    return readable(QColor(_HUES[tone]), bgs)


# Chart series (fills, not text): a qualitative set (Tableau 10) told apart by hue, each moved just enough to
# reach the 3:1 that WCAG asks of graphics against the window behind the chart.
_SERIES = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f")
_SERIES_OTHER = "#bab0ac"
SERIES_COUNT = len(_SERIES)
GRAPHICS_CONTRAST = 3.0


def series_colour(index: int | None, palette: QPalette | None = None) -> QColor:
    """The fill of chart series `index` (None: the "others" series), readable as a shape on `palette`."""
    palette = palette or QGuiApplication.palette()
    hue = _SERIES_OTHER if index is None else _SERIES[index % len(_SERIES)]
    window = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Window)
    return readable(QColor(hue), [window], target=GRAPHICS_CONTRAST)


def css(tone: Tone, palette: QPalette | None = None) -> str:
    """`#rrggbb` for style sheets and rich text."""
    return colour(tone, palette).name()


def span(text: str, tone: Tone, bold: bool = False) -> str:
    """`text` (escaped here: it may come from a provider) as rich text in the tone's colour."""
    body = f"<b>{escape(text)}</b>" if bold else escape(text)
    return f"<span style='color:{css(tone)}'>{body}</span>"


class _Retinter(QObject):
    """Re-tones registered labels when the application palette changes (light ↔ dark at run time)."""

    def __init__(self) -> None:
        super().__init__()
        self.widgets: weakref.WeakKeyDictionary[QWidget, Tone] = weakref.WeakKeyDictionary()
        app = QGuiApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ApplicationPaletteChange and watched is QGuiApplication.instance():
            for widget, tone in list(self.widgets.items()):
                if isValid(widget):
                    _apply(widget, tone)
                else:  # its C++ side is gone (e.g. a closed window) while Python still holds the wrapper
                    self.widgets.pop(widget, None)
        return False


_retinters: list[_Retinter] = []  # one, made with the first tinted widget (a QApplication exists by then)


def _apply(widget: QWidget, tone: Tone) -> None:
    widget.setStyleSheet(f"color: {css(tone)};")


def tint(widget: QWidget, tone: Tone) -> QWidget:
    """Show `widget`'s text in `tone` now and after any palette change."""
    if not _retinters:
        _retinters.append(_Retinter())
    _retinters[0].widgets[widget] = tone
    _apply(widget, tone)
    return widget


def muted_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """Secondary (help) text: wraps, plain text, muted tone."""
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    tint(label, Tone.MUTED)
    return label


__all__ = [
    "AA_NORMAL_TEXT",
    "Tone",
    "backgrounds",
    "colour",
    "contrast_ratio",
    "css",
    "muted_label",
    "readable",
    "relative_luminance",
    "series_colour",
    "span",
    "tint",
]
