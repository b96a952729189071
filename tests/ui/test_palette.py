"""Colours come from one palette and reach WCAG AA (4.5:1) on light, dark and high-contrast palettes
(issue 14, finding 9); no widget module names a colour of its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QPalette

from switchover.ui.kit import palette
from switchover.ui.kit.palette import AA_NORMAL_TEXT, Tone, contrast_ratio

UI = Path(palette.__file__).resolve().parent.parent


def make_palette(window: str, base: str, alternate: str, text: str) -> QPalette:
    p = QPalette()
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, QColor(window))
        p.setColor(group, QPalette.ColorRole.Base, QColor(base))
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor(alternate))
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text):
            p.setColor(group, role, QColor(text))
    return p


PALETTES = {
    "light (Fusion)": ("#efefef", "#ffffff", "#f7f7f7", "#000000"),
    "light (Breeze)": ("#eff0f1", "#fcfcfc", "#eff0f1", "#232629"),
    "dark (Breeze Dark)": ("#31363b", "#232629", "#31363b", "#eff0f1"),
    "dark (Adwaita)": ("#242424", "#1e1e1e", "#303030", "#ffffff"),
    "high contrast": ("#000000", "#000000", "#1c1c1c", "#ffffff"),
    "high contrast inverse": ("#ffffff", "#ffffff", "#f0f0f0", "#000000"),
}


@pytest.mark.parametrize("name", PALETTES)
@pytest.mark.parametrize("tone", list(Tone))
def test_every_tone_reaches_aa_on_every_background(qapp: Any, name: str, tone: Tone) -> None:
    pal = make_palette(*PALETTES[name])
    fg = palette.colour(tone, pal)
    for bg in palette.backgrounds(pal):
        ratio = contrast_ratio(fg, bg)
        assert ratio >= AA_NORMAL_TEXT, f"{tone} {fg.name()} on {bg.name()} ({name}): {ratio:.2f}:1"


def test_the_old_hard_coded_colours_failed_on_dark_and_grey_help_text_failed_on_light(qapp: Any) -> None:
    """The finding, measured: what the widgets used before does not pass; the palette's tones do."""
    dark = make_palette(*PALETTES["dark (Adwaita)"])
    light = make_palette(*PALETTES["light (Fusion)"])
    old_red = QColor("#b91c1c")
    assert contrast_ratio(old_red, dark.color(QPalette.ColorRole.Base)) < 3.2
    assert contrast_ratio(palette.colour(Tone.BAD, dark), dark.color(QPalette.ColorRole.Base)) >= AA_NORMAL_TEXT
    placeholder = QColor(0, 0, 0, 128)  # Qt's default placeholder text: half-transparent text colour
    blended = QColor.fromRgbF(*(0.5 * c + 0.5 * w for c, w in zip(
        placeholder.getRgbF()[:3], light.color(QPalette.ColorRole.Window).getRgbF()[:3], strict=True)))
    assert contrast_ratio(blended, light.color(QPalette.ColorRole.Window)) < AA_NORMAL_TEXT


def test_tones_keep_their_meaning_dark_tones_are_lighter(qapp: Any) -> None:
    light = palette.colour(Tone.BAD, make_palette(*PALETTES["light (Fusion)"]))
    dark = palette.colour(Tone.BAD, make_palette(*PALETTES["dark (Adwaita)"]))
    assert dark.lightness() > light.lightness()
    assert light.red() > light.green() and dark.red() > dark.green()  # still red


def test_tinted_label_follows_a_palette_change(qapp: Any, qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication

    label = palette.muted_label("help text")
    qtbot.addWidget(label)
    before = label.styleSheet()
    old = QApplication.palette()
    try:
        QApplication.setPalette(make_palette(*PALETTES["dark (Adwaita)"]))
        qtbot.waitUntil(lambda: label.styleSheet() != before, timeout=2000)
        colour = QColor(re.search(r"#[0-9a-f]{6}", label.styleSheet()).group(0))  # type: ignore[union-attr]
        assert contrast_ratio(colour, QColor("#242424")) >= AA_NORMAL_TEXT
    finally:
        QApplication.setPalette(old)


def test_no_widget_module_names_a_colour() -> None:
    """Every colour comes from `ui/kit/palette.py` (the tray icons are images, rendered at build time)."""
    pattern = re.compile(r"#[0-9a-fA-F]{6}\b|QColor\(\s*['\"]|color:\s*(gray|grey|red|green)"
                         r"|palette\(placeholder-text\)|GlobalColor\.(dark)?(red|green|gray|yellow)", re.IGNORECASE)
    offenders = []
    for path in UI.rglob("*.py"):
        if path.name == "palette.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(UI)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
