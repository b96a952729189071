"""Provider- and tool-sourced text in the tray shows as plain text, control and bidi characters neutralised
(issue 12, finding 7).

The tray's text is drawn outside Switchover's widgets: a tooltip and notifications that a desktop reads as
markup (or Qt's own tooltip, which guesses rich text), and menu entries where `&` makes a mnemonic and a tab
starts a shortcut. A provider controls its error messages, model ids and labels; a shell file or a tool's
config controls what a conflict quotes.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction, QTextDocument
from PySide6.QtGui import Qt as QtGui
from PySide6.QtWidgets import QMenu

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
from switchover.ui.icons import TrayState
from switchover.ui.safe_text import TRAY_LINE_LIMIT, TRAY_TEXT_LIMIT
from switchover.ui.tray import Tray
from tests.support.provider_server import ProviderServer, Reply
from tests.ui.app_support import close_app, started_tray_app

HTML = "<b>All good</b><img src=x><a href='https://evil.example'>fix</a>"
TERMINAL = "\x1b]0;pwned\x07\x1b[2J\x9b31m"  # set title, clear screen, C1 CSI
BIDI = "\u202egnp.exe\u200b\ufeff"  # right-to-left override, zero-width space, BOM
HOSTILE = f"{HTML} & Co {TERMINAL}{BIDI}\nsecond line\u2028third\r\n\tfourth"
LONG = "x" * 20_000


def _rendered(html: str) -> str:
    """What a markup renderer shows a reader (tags applied, entities decoded)."""
    document = QTextDocument()
    document.setHtml(html)
    return document.toPlainText()


def _displayed(menu_text: str) -> str:
    """What a menu entry shows: `&&` is a literal `&`, a single `&` marks a mnemonic and is not shown."""
    return re.sub(r"&(.)", r"\1", menu_text)


def _unsafe(text: str) -> list[str]:
    """Characters a reader would not see as themselves: controls (line breaks included), format (bidi...)."""
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]


@pytest.fixture
def tray(qapp: Any) -> Iterator[Tray]:
    found = Tray()
    yield found
    found.hide()
    found.menu.deleteLater()
    found.deleteLater()


@pytest.mark.parametrize("dbus", [False, True], ids=["qt-widgets", "dbus-host"])
def test_tooltip_shows_hostile_text_literally_line_by_line(tray: Tray, dbus: bool) -> None:
    tray.dbus = dbus
    tray.set_state(TrayState.DOWN, f"Switchover\n{HOSTILE}\n{LONG}")
    tip = tray.icon.toolTip()
    if not dbus:
        assert QtGui.mightBeRichText(tip), "Qt's tooltip must not guess: the text is explicitly rich, escaped"
    shown = _rendered(tip).split("\n")
    assert shown[0] == "Switchover"
    assert shown[1] == (HTML + " & Co \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe\\u200b\\ufeff")
    assert shown[2:5] == ["second line", "third", "fourth"]  # every kind of line break is a break
    assert all(not _unsafe(line) for line in shown), shown
    assert all(len(line) <= TRAY_LINE_LIMIT for line in shown) and shown[5].endswith("…")
    assert len(_rendered(tip)) <= TRAY_TEXT_LIMIT
    assert "<img" not in tip and "<b>" not in tip  # nothing the renderer could act on


@pytest.mark.parametrize("dbus", [False, True], ids=["qt-balloon", "dbus-notification"])
def test_notifications_show_hostile_text_literally(tray: Tray, dbus: bool) -> None:
    tray.dbus = dbus
    tray.notify(f"Switched to {HTML}\n{TERMINAL}", f"{HOSTILE}\n{LONG}")
    assert tray.last_message is not None
    title, body = tray.last_message
    # A notification's summary is plain text everywhere (the spec; Qt's balloon draws it as plain text).
    assert title.startswith("Switched to " + HTML) and "\\x1b]0;pwned" in title
    assert not _unsafe(title) and len(title) <= 100
    # The body is markup for a D-Bus notification server (Pango-like: entities decoded, line breaks kept),
    # plain text in Qt's balloon.
    shown = html.unescape(re.sub(r"<[^>]*>", "", body)) if dbus else body
    lines = shown.split("\n")
    assert lines[0] == HTML + " & Co \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe\\u200b\\ufeff"
    assert lines[1:4] == ["second line", "third", "fourth"]
    assert all(not _unsafe(line) for line in lines) and len(shown) <= TRAY_TEXT_LIMIT
    if dbus:
        assert "<img" not in body and "&lt;img src=x&gt;" in body


# ---------------------------------------------------------------- the menu, from a real provider's answers

EVIL_MODEL = "<b>m</b>&x"  # a valid model id: `<`, `>` and `&` are printable
EVIL_LABEL = "<i>Evil</i> & Co"  # a valid label


@pytest.fixture
def evil_app(qapp: Any, qtbot: Any, isolated_home: Path) -> Iterator[Any]:
    """Claude Code on a provider whose label and model are markup and whose error message is hostile."""
    server = ProviderServer().start()
    server.on_any(Reply.json({"error": {"message": f"{HOSTILE} {LONG}", "type": "server_error"}}, 500))
    with edit_store() as store:
        store.add(Provider("evil", (Endpoint.make(Protocol.ANTHROPIC, server.url),), (EVIL_MODEL,),
                           credential=Credential.none(), label=EVIL_LABEL))
        store.section("failover")["mode"] = "off"
    claude = isolated_home / ".claude" / "settings.json"
    claude.parent.mkdir(parents=True)
    claude.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": server.url, "ANTHROPIC_MODEL": EVIL_MODEL}}))
    ctl = started_tray_app(qapp, qtbot)
    yield ctl
    close_app(qapp, ctl)
    server.close()


def _actions(menu: QMenu) -> Iterator[QAction]:
    for action in menu.actions():
        if action.isSeparator():
            continue
        yield action
        sub = action.menu()
        if isinstance(sub, QMenu):
            yield from _actions(sub)


def test_every_tray_menu_entry_and_tooltip_shows_provider_text_literally(evil_app: Any, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: "evil/anthropic" in evil_app.health.latest and evil_app.health.running is None,
                    timeout=15000)
    tray = evil_app.tray
    qtbot.waitUntil(lambda: tray.state is TrayState.DOWN, timeout=5000)
    tray.menu.aboutToShow.emit()
    entries = [(_displayed(a.text()), a) for a in _actions(tray.menu)]
    for shown, _action in entries:
        assert not _unsafe(shown) and len(shown) <= TRAY_LINE_LIMIT, repr(shown)
    # The tool's entry names the provider and model exactly as they are (the `&` is no mnemonic).
    tool = next(s for s, _a in entries if s.startswith("Claude Code — "))
    assert tool.startswith(f"Claude Code — {EVIL_LABEL} · {EVIL_MODEL}"), tool
    # The provider's message: one line, its markup visible, shortened; in full (as text) on hover, its escape
    # sequences and bidi controls shown as escapes.
    reason = next((s, a) for s, a in entries if "All good" in s and not s.startswith("Claude Code"))
    assert "The provider said: “<b>All good</b><img src=x>" in reason[0] and reason[0].endswith("…"), reason[0]
    hover = reason[1].toolTip()
    assert QtGui.mightBeRichText(hover) and "<img" not in hover
    assert f"{HTML} & Co \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e" in _rendered(hover), _rendered(hover)
    # The model choice in the provider's submenu shows the id itself.
    assert any(s == EVIL_MODEL for s, _a in entries)
    # The icon's tooltip says the same, literally.
    tip = _rendered(tray.icon.toolTip())
    assert f"Claude Code — {EVIL_LABEL} · {EVIL_MODEL}" in tip and not any(_unsafe(x) for x in tip.split("\n"))
