"""The user's own providers, fallback chains and settings, in one versioned TOML file.

The file never holds a key (credentials are references: keychain, env var, none). A file that fails to
parse or validate raises `ConfigFileError` naming file and line, and is never overwritten. Sections owned by
other subsystems (e.g. failover) are kept as plain tables they validate themselves.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from switchover.core import paths, validation
from switchover.core.errors import ConfigFileError, UnknownProviderError, ValidationError
from switchover.core.fileio import atomic_write_text
from switchover.core.filelock import locked
from switchover.core.providers import (
    DEFAULT_AUTH,
    AuthStyle,
    Credential,
    Endpoint,
    Protocol,
    Provider,
    validate_name,
    validate_url,
)
from switchover.core.suggestions import did_you_mean
from switchover.core.switching.trust import untrusted_reason

SCHEMA_VERSION = 1
_HEADER = (
    "Switchover's store: your providers, fallback chains and settings. Keys are never kept here\n"
    "(they live in the OS keychain or in the environment variable named by `credential`).\n"
    "Prefer the `switchover` commands; hand edits are fine while the app is not running."
)
_LINE_RE = re.compile(r"line (\d+)(?:, column (\d+))?")


@dataclass(frozen=True)
class ChainEntry:
    """One choice in a fallback chain: provider plus model (None = the provider's default model)."""

    provider: str
    model: str | None = None

    @classmethod
    def parse(cls, text: str) -> ChainEntry:
        provider, _, model = text.partition("/")
        return cls(validate_name(provider), validation.optional_model_id(model, f"model of {text!r}"))

    def __str__(self) -> str:
        return f"{self.provider}/{self.model}" if self.model else self.provider


@dataclass
class Store:
    providers: dict[str, Provider] = field(default_factory=dict)
    chains: dict[str, list[ChainEntry]] = field(default_factory=dict)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    def get(self, name: str) -> Provider:
        try:
            return self.providers[name]
        except KeyError:
            known = ", ".join(sorted(self.providers)) or "none yet"
            raise UnknownProviderError(
                f"No provider named {name!r}.{did_you_mean(name, self.providers)} (Configured: {known}.) "
                "Add one with `switchover provider add`."
            ) from None

    def add(self, provider: Provider, replace: bool = False) -> None:
        if provider.name in self.providers and not replace:
            raise ValidationError(
                f"A provider named {provider.name!r} exists already; remove it first or pick another name."
            )
        self.providers[provider.name] = provider

    def remove(self, name: str) -> Provider:
        provider = self.get(name)
        del self.providers[name]
        for tool, chain in list(self.chains.items()):
            self.chains[tool] = [entry for entry in chain if entry.provider != name]
        return provider

    def section(self, name: str) -> dict[str, Any]:
        """A table owned by another subsystem (created empty on first use)."""
        return self.sections.setdefault(name, {})


# ---------------------------------------------------------------- parsing


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def _provider_from_table(name: str, raw: dict[str, Any]) -> Provider:
    validate_name(name)
    auth_raw = raw.get("auth", {})
    endpoints_raw = raw.get("endpoints")
    if not isinstance(endpoints_raw, dict) or not endpoints_raw:
        raise ValidationError("needs an [endpoints] table with at least one protocol URL")
    endpoints = []
    for proto_name, url in endpoints_raw.items():
        try:
            protocol = Protocol(proto_name)
        except ValueError:
            allowed = ", ".join(p.value for p in Protocol)
            raise ValidationError(f"unknown protocol {proto_name!r} (allowed: {allowed})") from None
        if not isinstance(url, str):
            raise ValidationError(f"endpoint {proto_name} must be a URL string")
        auth = AuthStyle(auth_raw[proto_name]) if proto_name in auth_raw else None
        endpoints.append(Endpoint.make(protocol, url, auth))
    models = raw.get("models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise ValidationError("models must be a list of model id strings")
    models_url = raw.get("models_url")
    for key in ("small_model", "label", "preset", "credential", "models_url", "models_auth"):
        if key in raw and not isinstance(raw[key], str):
            raise ValidationError(f"{key} must be a string")
    return Provider(  # the Provider checks every field against switchover.core.validation
        name=name,
        endpoints=tuple(endpoints),
        models=tuple(models),
        small_model=raw.get("small_model") or None,
        credential=Credential.parse(str(raw.get("credential", "keychain"))),
        label=str(raw.get("label", "")),
        preset=raw.get("preset") or None,
        models_url=validate_url(models_url, "models_url") if models_url else None,
        models_auth=AuthStyle(raw["models_auth"]) if raw.get("models_auth") else None,
    )


def parse_store(text: str, path: Path) -> Store:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _LINE_RE.search(str(exc))
        line = int(match.group(1)) if match else None
        column = int(match.group(2)) if match and match.group(2) else None
        if line is None and "end of document" in str(exc):
            line = max(1, len(text.splitlines()))
        raise ConfigFileError(path, f"not valid TOML: {exc}", line, column) from exc
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        newer = isinstance(version, int) and version > SCHEMA_VERSION
        hint = " (the file is newer than this program; upgrade Switchover)" if newer else ""
        raise ConfigFileError(
            path,
            f"schema_version is {version!r}; this Switchover understands {SCHEMA_VERSION}{hint}",
            _line_of(text, "schema_version"),
        )
    store = Store(path=path)
    providers = data.get("providers", {})
    if not isinstance(providers, dict):
        raise ConfigFileError(path, "[providers] must be a table", _line_of(text, "providers"))
    for name, raw in providers.items():
        try:
            if not isinstance(raw, dict):
                raise ValidationError("must be a table")
            store.providers[name] = _provider_from_table(name, raw)
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            raise ConfigFileError(
                path, f"provider {name!r}: {exc}", _line_of(text, f"[providers.{name}")
            ) from exc
    chains = data.get("chains", {})
    if not isinstance(chains, dict):
        raise ConfigFileError(path, "[chains] must be a table", _line_of(text, "chains"))
    for tool, entries in chains.items():
        try:
            if not isinstance(entries, list):
                raise ValidationError("must be a list of 'provider/model' strings")
            store.chains[tool] = [ChainEntry.parse(str(e)) for e in entries]
        except ValidationError as exc:
            raise ConfigFileError(path, f"chain {tool!r}: {exc}", _line_of(text, tool)) from exc
    store.sections = {
        key: value
        for key, value in data.items()
        if key not in ("schema_version", "providers", "chains") and isinstance(value, dict)
    }
    return store


# ---------------------------------------------------------------- rendering


def _provider_table(provider: Provider) -> Any:
    import tomlkit

    table = tomlkit.table()
    if provider.label:
        table["label"] = provider.label
    if provider.preset:
        table["preset"] = provider.preset
    table["credential"] = provider.credential.to_store()
    table["models"] = list(provider.models)
    if provider.small_model:
        table["small_model"] = provider.small_model
    if provider.models_url:
        table["models_url"] = provider.models_url
    if provider.models_auth:
        table["models_auth"] = provider.models_auth.value
    endpoints = tomlkit.table()
    auth = tomlkit.table()
    for endpoint in provider.endpoints:
        endpoints[endpoint.protocol.value] = endpoint.base_url
        if endpoint.auth != DEFAULT_AUTH[endpoint.protocol]:
            auth[endpoint.protocol.value] = endpoint.auth.value
    table["endpoints"] = endpoints
    if len(auth):
        table["auth"] = auth
    return table


def render_store(store: Store) -> str:
    import tomlkit  # only writers pay for it: reading the store is tomllib (`switchover key` stays light)

    doc = tomlkit.document()
    for line in _HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    doc["schema_version"] = SCHEMA_VERSION
    providers = tomlkit.table()
    for name in store.providers:
        providers[name] = _provider_table(store.providers[name])
    doc["providers"] = providers
    chains = tomlkit.table()
    for tool, entries in store.chains.items():
        chains[tool] = [str(e) for e in entries]
    doc["chains"] = chains
    for key, value in store.sections.items():
        doc[key] = value
    return tomlkit.dumps(doc)


# ---------------------------------------------------------------- load / save


def load_store(path: Path | None = None) -> Store:
    """Read the store; a missing file is an empty store, a broken one raises and stays untouched."""
    path = path or paths.store_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Store(path=path)
    except IsADirectoryError:
        raise ConfigFileError(path, "is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot be read: {exc.strerror}") from exc
    for checked in (path.parent, path):  # a store others can write could send a provider's key elsewhere
        reason = untrusted_reason(checked)
        if reason:
            raise ConfigFileError(path, f"{checked} {reason}, so the store cannot be trusted (someone else could "
                                        f"have changed where a provider's key is sent); run `chmod go-w {checked}` "
                                        "after checking it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigFileError(path, "is not UTF-8 text", line) from exc
    return parse_store(text, path)


def save_store(store: Store, path: Path | None = None) -> Path:
    path = path or store.path or paths.store_file()
    paths.ensure_private_dir(path.parent)
    return atomic_write_text(path, render_store(store), mode=0o600)


def _lock_path(path: Path) -> Path:
    return path.with_name("." + path.name + ".lock")


@contextlib.contextmanager
def edit_store(path: Path | None = None) -> Iterator[Store]:
    """Load, let the caller change, then save, all under one lock so concurrent edits never lose data."""
    path = path or paths.store_file()
    with locked(_lock_path(path), what=f"the store {path}"):
        store = load_store(path)
        yield store
        save_store(store, path)
