"""The grammar of every string Switchover accepts from outside: model ids, provider names, labels, URLs and
environment-variable names.

Values come from the CLI, the store file, presets, the wizard, the provider dialog, model lists served by
providers and local servers. Any of them can be hostile, and Switchover writes them into shell scripts and
into config files that tools expand (OpenCode `{env:…}`/`{file:…}`, Gemini CLI and Qwen Code `${VAR}`,
Continue `${{ … }}`, shells `$(…)` and backticks). So each kind of value has one grammar, checked here and
nowhere else, at every boundary; writers still encode every value with the format's own rules.

Grammar (documented for users in the errors below):

* **model id**: 1-256 printable characters; no whitespace, no control or line-separator characters (C0, C1,
  U+2028/U+2029, bidi and other format characters), and none of ``{ } $ ` `` (characters tools expand).
* **provider name**: 1-40 of ``a-z 0-9 . _ -``, starting with a letter or digit.
* **label** (display name): 1-80 printable characters, no surrounding spaces, none of ``{ } $ ` ``.
* **URL**: http or https with a host, at most 2048 characters of the URL alphabet (RFC 3986: ASCII letters,
  digits and ``- . _ ~ : / ? # [ ] @ ! & ' ( ) * + , ; = %``); so no whitespace, control characters,
  ``{ } $ ` `` or non-ASCII (write an international host in its ``xn--`` form); no user:password part.
* **environment-variable name**: ``[A-Za-z_][A-Za-z0-9_]*``, at most 128 characters.

Every check returns the value unchanged or raises `ValidationError` with a message naming the field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from switchover.core.errors import ValidationError

MODEL_ID_MAX = 256
LABEL_MAX = 80
URL_MAX = 2048
ENV_VAR_MAX = 128
PROVIDER_NAME_MAX = 40

# Characters some tool or shell expands inside the values Switchover writes.
EXPANDED_CHARS = frozenset("{}$`")

_PROVIDER_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
_ENV_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_URL_ALPHABET = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!&'()*+,;=%"
)


_CONTROL_NAMES = {"\0": "NUL", "\t": "TAB", "\n": "LINE FEED", "\x0b": "VERTICAL TAB", "\x0c": "FORM FEED",
                  "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x7f": "DELETE", "\x85": "NEXT LINE",
                  "\x9b": "CONTROL SEQUENCE INTRODUCER"}


def describe_char(char: str) -> str:
    """A character as a user can recognise it in an error: `'$'`, `U+2028 LINE SEPARATOR`."""
    if char.isprintable() and not char.isspace():
        return repr(char)
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code


def shown(value: str, limit: int = 60) -> str:
    """A rejected value, safe to print in one line: quoted, control and format characters escaped, cut."""
    return repr(value if len(value) <= limit else value[:limit]) + ("…" if len(value) > limit else "")


_LINE_SEPARATORS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _char_problem(char: str, *, spaces: bool) -> str | None:
    if char in EXPANDED_CHARS:
        return "expanded by some tools or shells"
    if char == " " and spaces:
        return None
    if char in _LINE_SEPARATORS:
        return "a line separator"
    if char.isspace():
        return "whitespace"
    if unicodedata.category(char) == "Cf":
        return "an invisible format character"
    if not char.isprintable():
        return "a control character"
    return None


def _chars_problem(value: str, *, spaces: bool) -> str | None:
    """"contains X (why), Y (why)" for the first few distinct characters that are not allowed."""
    bad: dict[str, str] = {}
    for char in value:
        if char not in bad:
            problem = _char_problem(char, spaces=spaces)
            if problem:
                bad[char] = problem
    if not bad:
        return None
    listed = [f"{describe_char(c)} ({why})" for c, why in list(bad.items())[:3]]
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return "contains " + ", ".join(listed) + more


def model_id_problem(value: object) -> str | None:
    """Why `value` is not a valid model id (None when it is)."""
    problem = _text_problem(value, MODEL_ID_MAX)
    if problem is not None:
        return problem
    assert isinstance(value, str)
    return _chars_problem(value, spaces=False)


def model_id(value: object, field: str = "model id") -> str:
    """`value` if it is a valid model id, else `ValidationError` naming `field`."""
    return _checked(value, model_id_problem(value), field,
                    f"Model ids are 1-{MODEL_ID_MAX} printable characters without spaces, control characters "
                    "or any of { } $ `.")


def optional_model_id(value: object, field: str = "model id") -> str | None:
    return None if value is None or value == "" else model_id(value, field)


def split_model_ids(values: Iterable[object]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Model ids from a list a server or file sent: (the valid ones, a note for each one dropped).

    A list entry that fails the grammar is never written anywhere; the note says which and why (escaped).
    """
    kept: list[str] = []
    notes: list[str] = []
    for value in values:
        problem = model_id_problem(value)
        if problem is None:
            assert isinstance(value, str)
            kept.append(value)
        else:
            notes.append(f"Ignored the model id {_quoted(value)}: it {problem}.")
    return tuple(kept), tuple(notes)


def provider_name(value: object, field: str = "provider name") -> str:
    if not isinstance(value, str) or not _PROVIDER_NAME_RE.match(value):
        raise ValidationError(
            f"Invalid {field} {_quoted(value)}: it is not allowed. Use 1-{PROVIDER_NAME_MAX} lowercase letters, "
            "digits, '.', '_' or '-', starting with a letter or digit (e.g. 'deepseek' or 'ollama-laptop')."
        )
    return value


def label_problem(value: object) -> str | None:
    problem = _text_problem(value, LABEL_MAX)
    if problem is not None:
        return problem
    assert isinstance(value, str)
    if value != value.strip():
        return "starts or ends with whitespace"
    return _chars_problem(value, spaces=True)


def label(value: object, field: str = "label") -> str:
    return _checked(value, label_problem(value), field,
                    f"Labels are 1-{LABEL_MAX} printable characters without control characters or any of {{ }} $ `.")


def url_problem(value: object) -> str | None:
    """Why `value` is not a well-formed http(s) URL (None when it is); no policy about http vs https."""
    problem = _text_problem(value, URL_MAX)
    if problem is not None:
        return problem
    assert isinstance(value, str)
    for char in value:
        if char not in _URL_ALPHABET:
            why = _char_problem(char, spaces=False)
            if why is None and ord(char) > 0x7F:
                why = "not ASCII: write an international host name in its xn-- form, percent-encode the path"
            return f"contains {describe_char(char)} ({why or 'not allowed in a URL: percent-encode it'})"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL with a host, e.g. https://api.example.com/v1"
    if parts.username is not None or parts.password is not None:
        return "carries a user name or password; store the key with --key-stdin instead"
    return None


def url(value: object, field: str = "URL") -> str:
    """`value` if it is a well-formed http(s) URL, else `ValidationError` naming `field`."""
    return _checked(value, url_problem(value), field)


def env_var_name(value: object, field: str = "environment variable name") -> str:
    if not isinstance(value, str) or len(value) > ENV_VAR_MAX or not _ENV_VAR_RE.match(value):
        raise ValidationError(
            f"Invalid {field} {_quoted(value)}: use letters, digits and '_', not starting with a digit "
            f"(at most {ENV_VAR_MAX} characters), e.g. DEEPSEEK_API_KEY."
        )
    return value


KEY_MAX = 4096


def api_key_problem(value: str) -> str | None:
    """Why `value` cannot be a provider key (never quoting it): keys are one token of printable characters."""
    if not value:
        return "is empty"
    if len(value) > KEY_MAX:
        return f"is longer than {KEY_MAX} characters"
    if any(c.isspace() or not c.isprintable() for c in value):
        return "contains whitespace, a line break or a control character"
    return None


def _text_problem(value: object, limit: int) -> str | None:
    """What every text field checks first: text, not empty, at most `limit` characters."""
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if not value:
        return "is empty"
    if len(value) > limit:
        return f"is {len(value)} characters long; at most {limit} are allowed"
    return None


def _checked(value: object, problem: str | None, field: str, rule: str = "") -> str:
    """`value` when `problem` is None, else `ValidationError` naming `field`, the problem and the rule."""
    if problem:
        raise ValidationError(f"Invalid {field} {_quoted(value)}: it {problem}." + (f" {rule}" if rule else ""))
    assert isinstance(value, str)
    return value


def _quoted(value: object) -> str:
    return shown(value) if isinstance(value, str) else f"({type(value).__name__})"


__all__ = [
    "EXPANDED_CHARS",
    "KEY_MAX",
    "LABEL_MAX",
    "MODEL_ID_MAX",
    "URL_MAX",
    "api_key_problem",
    "describe_char",
    "env_var_name",
    "label",
    "label_problem",
    "model_id",
    "model_id_problem",
    "optional_model_id",
    "provider_name",
    "shown",
    "split_model_ids",
    "url",
    "url_problem",
]
