"""Text that is safe to put on a terminal (or in a log someone will `cat`), whatever a provider sent.

Provider error messages, model ids, server versions and labels are untrusted. Printed raw, escape sequences
in them can clear the screen, set the window title, write the clipboard (OSC 52), hide text, or fake an
"all good" line; bidi controls can reorder what the user reads. `terminal_safe` keeps every printable
character and shows everything else as a visible escape (`\\x1b`, `\\u202e`), so the user sees what was sent
and the terminal interprets none of it. `json_text` does the same for JSON output: the JSON stays valid and
means the same, only such characters are written as `\\uXXXX` escapes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

# Characters a terminal may act on or that hide/reorder text: C0 (minus newline/tab when allowed), DEL, C1,
# line/paragraph separators and Unicode format characters (bidi controls, zero-width, BOM, ...).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]|[^\x00-\x7f]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _needs_escape(char: str) -> bool:
    code = ord(char)
    if code < 0x80:
        return (code < 0x20 and char not in "\n\t") or code == 0x7F
    return code <= 0x9F or char in "\u2028\u2029" or unicodedata.category(char) == "Cf"


def terminal_safe(text: str, *, newlines: bool = True) -> str:
    """`text` with every control, separator and format character shown as an escape, never interpreted.

    With `newlines=False` newlines and tabs are escaped too (for one-line fields such as a table cell).
    """
    def fix(match: re.Match[str]) -> str:
        char = match.group(0)
        return _escape(char) if _needs_escape(char) else char

    text = _UNSAFE.sub(fix, text)
    if not newlines:
        text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text


def json_text(data: Any, indent: int | None = 2) -> str:
    """`json.dumps` (readable Unicode kept) with terminal-active characters escaped as `\\uXXXX`."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}" if _needs_escape(m.group(0)) else m.group(0), text)
