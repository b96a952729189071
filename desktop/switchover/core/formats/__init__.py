"""Format-preserving editors for the config files coding tools read.

`load_document(kind, text, path)` / `load_bytes(kind, data, path)` return a `ConfigDocument` with
`get/has/set/delete/append/dumps`; `to_bytes(doc)` encodes it back (keeping a UTF-8 BOM if the file had one).
Parse errors raise `ConfigFileError(path, message, line, column)` and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import ConfigDocument, DocPath, PathKey, dotted
from switchover.core.formats.dotenv_doc import DotenvDocument
from switchover.core.formats.json_doc import JsonDocument
from switchover.core.formats.jsonc_doc import JsoncDocument
from switchover.core.formats.toml_doc import TomlDocument
from switchover.core.formats.yaml_doc import YamlDocument

KINDS: dict[str, Callable[[str, Path], ConfigDocument]] = {
    "json": JsonDocument,
    "jsonc": JsoncDocument,
    "toml": TomlDocument,
    "yaml": YamlDocument,
    "dotenv": DotenvDocument,
}

_BOM = "\ufeff"


def load_document(kind: str, text: str, path: Path) -> ConfigDocument:
    """Parse `text` (the content of `path`, used in error messages) as `kind`: json|jsonc|toml|yaml|dotenv."""
    try:
        cls = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {', '.join(KINDS)}") from None
    bom = text.startswith(_BOM)
    try:
        document = cls(text[1:] if bom else text, path)
    except RecursionError:  # e.g. 100 000 nested brackets: a parser's stack, not a config
        raise ConfigFileError(path, "is nested too deeply to be a config file") from None
    document.bom = bom
    return document


def decode(data: bytes, path: Path) -> str:
    """UTF-8 text of a config file, or a clear error naming the file and the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigFileError(
            path, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from None


def load_bytes(kind: str, data: bytes | None, path: Path) -> ConfigDocument:
    """Parse file bytes; `None` (the file does not exist) gives an empty document to fill in."""
    return load_document(kind, "" if data is None else decode(data, path), path)


def to_bytes(document: ConfigDocument) -> bytes:
    text = document.dumps()
    return ((_BOM if document.bom else "") + text).encode("utf-8")


def kind_for_path(path: Path) -> str:
    """A best guess from the file name, for callers that do not know the format up front."""
    name = path.name.lower()
    if name == ".env" or name.endswith(".env"):
        return "dotenv"
    suffix = path.suffix.lower()
    return {".json": "json", ".jsonc": "jsonc", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}.get(
        suffix, "json"
    )


__all__ = [
    "KINDS",
    "ConfigDocument",
    "DocPath",
    "DotenvDocument",
    "JsonDocument",
    "JsoncDocument",
    "PathKey",
    "TomlDocument",
    "YamlDocument",
    "decode",
    "dotted",
    "kind_for_path",
    "load_bytes",
    "load_document",
    "to_bytes",
]
