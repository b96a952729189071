"""Untrusted text in Qt widgets is shown as text, never interpreted as HTML.

QLabel, QMessageBox and tooltips guess "rich text" when a string looks like HTML, so a provider's error
message, a model id or a server's version could otherwise style, hide or fake what the user reads (or pull
in an image). Every widget that shows such text gets it through here: plain text with an explicit format,
or HTML built from escaped pieces.
"""

from __future__ import annotations

import re
from html import escape
from typing import overload

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox

from switchover.core.terminal import terminal_safe
from switchover.ui.kit.palette import Tone, span

TRAY_LINE_LIMIT = 160  # characters in one tray menu entry or tooltip line
TRAY_TEXT_LIMIT = 1200  # characters in a whole tooltip or notification body
_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")


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


# ---------------------------------------------------------------- the tray
# The tray shows text outside Switchover's widgets: a menu exported over D-Bus, a tooltip and notifications
# drawn by the desktop (which read markup), or, without a StatusNotifier host, Qt's own tooltip (guesses rich
# text) and balloon (plain). Provider- and tool-sourced text there is one line per entry, control and bidi
# characters shown as visible escapes (as on the terminal), bounded in length, and made inert for whichever
# renderer will read it.


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int = TRAY_LINE_LIMIT) -> str:
    """`text` as one plain line: line breaks become spaces, control/bidi characters visible escapes, at most
    `limit` characters."""
    return _shorten(terminal_safe(_BREAKS.sub(" ", text).strip(), newlines=False), limit)


def plain_lines(text: str, limit: int = TRAY_TEXT_LIMIT, width: int = TRAY_LINE_LIMIT) -> str:
    """`text` line by line through `one_line` (at most `width` characters each; line breaks kept as breaks),
    at most `limit` characters in all."""
    lines = (one_line(line, width) for line in _BREAKS.split(text) if line.strip())
    return _shorten("\n".join(lines), limit)


def menu_text(text: str, limit: int = TRAY_LINE_LIMIT) -> str:
    """An entry's text in a menu: `one_line`, with `&` doubled so it shows as itself, never as a mnemonic."""
    return one_line(text, limit).replace("&", "&&")


def neutralise_menu(menu: QMenu) -> None:
    """Every entry of `menu` and its submenus through `menu_text` (the tray menu carries no mnemonics)."""
    for action in menu.actions():
        if action.isSeparator():
            continue
        action.setText(menu_text(action.text()))
        sub = action.menu()
        if isinstance(sub, QMenu):
            neutralise_menu(sub)


def plain_tooltip(text: str) -> str:
    """A tooltip of untrusted text for a menu entry: `plain_lines`, shown literally (see `tooltip`)."""
    return tooltip(plain_lines(text, width=TRAY_TEXT_LIMIT)) or ""


def tray_speaks_dbus() -> bool:
    """Whether Qt shows the tray through D-Bus (StatusNotifierItem and desktop notifications, whose bodies are
    markup) rather than its own widgets. Qt's Unix theme picks D-Bus when a StatusNotifier watcher runs."""
    if QGuiApplication.platformName() not in ("xcb", "wayland"):
        return False
    try:
        from PySide6.QtDBus import QDBusConnection
    except ImportError:  # pragma: no cover - QtDBus ships with PySide6 on Linux
        return False
    bus = QDBusConnection.sessionBus()
    interface = bus.interface() if bus.isConnected() else None
    if interface is None:
        return False
    reply = interface.isServiceRegistered("org.kde.StatusNotifierWatcher")
    return bool(reply.value()) if reply.isValid() else False


def tray_tooltip(text: str, *, dbus: bool) -> str:
    """The tray icon's tooltip: escaped lines for a StatusNotifier host (it reads HTML), an explicitly rich,
    escaped tooltip for Qt's own (which would otherwise guess)."""
    lines = plain_lines(text)
    return html_lines(lines.split("\n")) if dbus else (tooltip(lines) or "")


def tray_notification(title: str, text: str, *, dbus: bool) -> tuple[str, str]:
    """A notification's title and body. Over D-Bus the summary is plain and the body markup (escaped here; line
    breaks stay breaks there); Qt's own balloon shows both as plain text."""
    body = plain_lines(text)
    return one_line(title, 100), escape(body, quote=False) if dbus else body


__all__ = [
    "error_html", "escape", "html_lines", "menu_text", "neutralise_menu", "one_line", "plain_box", "plain_lines",
    "plain_tooltip", "show_error", "show_html", "show_plain", "tooltip", "tray_notification", "tray_speaks_dbus",
    "tray_tooltip",
]
