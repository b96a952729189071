"""Shell scripts that export variables, rendered for each shell by that shell's own quoting rules.

`switchover env` and the shell-environment target (`env.sh`) describe *what* to export as data
(`EnvScript`); `render(script, shell)` turns it into text, quoting every value once, for the shell that will
run it. Nothing is filtered or rewritten after quoting (that is how a quoted newline once became code), and
every value, whatever it holds, comes back out of the shell byte for byte:

* POSIX shells (sh, dash, bash, zsh): a value is left bare only when it is made of ``A-Z a-z 0-9 _ @ + , . / : -``
  and does not start with ``-``; anything else goes in single quotes, where nothing is special, and a single
  quote is written ``'\\''``. No shell expands anything inside single quotes, including newlines.
* fish: single quotes too, but fish treats ``\\\\`` and ``\\'`` as escapes inside them, so both are escaped.

NUL cannot be held by any shell variable: a value containing it is refused (`ValueError`).

`parse_posix_exports` reads back a script written by `render(…, "sh")` for `current()`; it understands the
quoting `render` produces (and common hand-edits), and raises `ValueError` for anything unterminated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

POSIX_SHELLS = ("sh", "bash", "zsh", "dash")
SHELLS = (*POSIX_SHELLS, "fish")
KEY_VARIABLE = "_switchover_key"

_BARE = re.compile(r"^[A-Za-z0-9_@+,./:][A-Za-z0-9_@+,./:-]*$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class KeyRef:
    """Stands for the key the script fetched at run time with its key command (never the key itself)."""


KEY = KeyRef()


@dataclass(frozen=True)
class EnvScript:
    """Variables to export. Values are literal strings, or `KEY`: the output of `key_command`, run once."""

    exports: tuple[tuple[str, str | KeyRef], ...]
    key_command: tuple[str, ...] | None = None
    comments: tuple[str, ...] = ()


def posix_quote(value: str) -> str:
    _check(value)
    if _BARE.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def fish_quote(value: str) -> str:
    _check(value)
    if _BARE.match(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _check(value: str) -> None:
    if "\0" in value:
        raise ValueError("a shell variable cannot hold a NUL character")


def _comment(text: str) -> str:
    """One comment line: characters that would end it (or hide in it) are replaced, never interpreted."""
    return "# " + "".join(c if c.isprintable() else "?" for c in text)


def render(script: EnvScript, shell: str) -> str:
    """The script as text for `shell` (one of `SHELLS`)."""
    if shell not in SHELLS:
        raise ValueError(f"unknown shell {shell!r}; expected one of {', '.join(SHELLS)}")
    for name, _ in script.exports:
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a shell variable name")
    fish = shell == "fish"
    quote = fish_quote if fish else posix_quote
    lines = [_comment(c) for c in script.comments]
    uses_key = script.key_command is not None and any(isinstance(v, KeyRef) for _, v in script.exports)
    if uses_key:
        assert script.key_command is not None
        command = " ".join(quote(arg) for arg in script.key_command)
        lines.append(f"set {KEY_VARIABLE} ({command})" if fish else f'{KEY_VARIABLE}="$({command})"')
    for name, value in script.exports:
        if isinstance(value, KeyRef):
            if not uses_key:
                raise ValueError(f"{name} refers to the key but the script has no key command")
            text = f'"${KEY_VARIABLE}"'
        else:
            text = quote(value)
        lines.append(f"set -gx {name} {text}" if fish else f"export {name}={text}")
    if uses_key:
        lines.append(f"set -e {KEY_VARIABLE}" if fish else f"unset {KEY_VARIABLE}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- reading back


def parse_posix_exports(text: str) -> dict[str, str]:
    """`NAME -> value` of every `export NAME=VALUE` in a POSIX script (later ones win).

    Values are unquoted as a POSIX shell would, except that `$…` is kept as written (we never run anything).
    Raises `ValueError` for an unterminated quote.
    """
    values: dict[str, str] = {}
    for words in _statements(text):
        if len(words) >= 2 and words[0] == "export":
            for word in words[1:]:
                name, equals, value = word.partition("=")
                if equals and _NAME.match(name):
                    values[name] = value
    return values


def _statements(text: str) -> Iterable[list[str]]:
    words: list[str] = []
    word: list[str] = []
    in_word = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            i += 1
        elif c in "\n;":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            if words:
                yield words
            words = []
            i += 1
        elif c == "#" and not in_word:
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ValueError("unterminated single quote")
            word.append(text[i + 1 : end])
            in_word = True
            i = end + 1
        elif c == '"':
            i += 1
            while True:
                if i >= n:
                    raise ValueError("unterminated double quote")
                d = text[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < n and text[i + 1] in '$`"\\\n':
                    if text[i + 1] != "\n":
                        word.append(text[i + 1])
                    i += 2
                    continue
                word.append(d)
                i += 1
            in_word = True
        elif c == "\\":
            if i + 1 < n and text[i + 1] != "\n":
                word.append(text[i + 1])
                in_word = True
            i += 2
        else:
            word.append(c)
            in_word = True
            i += 1
    if in_word:
        words.append("".join(word))
    if words:
        yield words
