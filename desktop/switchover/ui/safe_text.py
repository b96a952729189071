"""Untrusted text in Qt widgets is shown as text, never interpreted as HTML.

QLabel, QMessageBox and tooltips guess "rich text" when a string looks like HTML, so a provider's error
message, a model id or a server's version could otherwise style, hide or fake what the user reads (or pull
in an image). Every widget that shows such text gets it through here: plain text with an explicit format,
or HTML built from escaped pieces.
"""

from __future__ import annotations

from html import escape
from typing import overload

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from switchover.ui.kit.palette import Tone, span


def show_plain(label: QLabel, text: str) -> None:
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)


def show_html(label: QLabel, html: str) -> None:
    """`html` must be built from constant markup and `escape()`d pieces (see `error_html`)."""
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setText(html)


def error_html(message: object) -> str:
    return span(str(message), Tone.BAD)


def show_error(label: QLabel, message: object) -> None:
    show_html(label, error_html(message))


def html_lines(lines: list[str]) -> str:
    """Plain lines as HTML, one per line."""
    return "<br>".join(escape(line) for line in lines)


@overload
def tooltip(text: str) -> str: ...
@overload
def tooltip(text: None) -> None: ...
def tooltip(text: str | None) -> str | None:
    """A tooltip that shows `text` literally (tooltips, too, guess rich text)."""
    if not text:
        return text
    return "<p style='white-space:pre-wrap'>" + escape(text) + "</p>"


def plain_box(box: QMessageBox) -> QMessageBox:
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


__all__ = ["error_html", "escape", "html_lines", "plain_box", "show_error", "show_html", "show_plain", "tooltip"]
