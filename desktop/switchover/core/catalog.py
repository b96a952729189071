"""Provider presets shipped as data in resources/providers.toml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from switchover.core import validation
from switchover.core.balance.spec import BalanceSpec
from switchover.core.errors import ConfigFileError, UnknownProviderError, ValidationError
from switchover.core.providers import AuthStyle, Credential, Endpoint, Protocol, Provider, validate_url
from switchover.core.resources import load_data_file, resource

CATALOG_SCHEMA = 1


@dataclass(frozen=True)
class Preset:
    id: str
    label: str
    endpoints: tuple[Endpoint, ...]
    models: tuple[str, ...]
    small_models: tuple[str, ...]
    needs_key: bool
    local: bool = False
    region: str | None = None
    key_env: str | None = None
    models_url: str | None = None
    models_auth: AuthStyle | None = None
    default_port: int | None = None
    notes: str = ""
    balance: BalanceSpec | None = None  # a documented balance API (issue 18)
    # Protocols a provider serves for some of its models only: protocol -> those models (anything else is
    # refused there, so tools use another of its protocols, or the gateway translates).
    protocol_models: dict[Protocol, tuple[str, ...]] = field(default_factory=dict)

    @property
    def protocols(self) -> tuple[Protocol, ...]:
        return tuple(e.protocol for e in self.endpoints)

    def serves(self, protocol: Protocol, model: str) -> bool:
        """Whether `model` is served over `protocol` (true unless the catalog limits that protocol)."""
        limited = self.protocol_models.get(protocol)
        return limited is None or model in limited

    def to_provider(
        self,
        name: str,
        models: tuple[str, ...] = (),
        small_model: str | None = None,
        credential: Credential | None = None,
    ) -> Provider:
        """A user provider from this preset; URLs are copied so a later catalog change never moves it."""
        chosen = models or self.models
        return Provider(
            name=name,
            endpoints=self.endpoints,
            models=chosen,
            small_model=small_model or (self.small_models[0] if self.small_models else None),
            credential=credential or (Credential.keychain() if self.needs_key else Credential.none()),
            label=self.label,
            preset=self.id,
            models_url=self.models_url,
            models_auth=self.models_auth,
        )


class Catalog:
    def __init__(self, presets: dict[str, Preset]):
        self._presets = presets

    def __iter__(self) -> Iterator[Preset]:
        return iter(self._presets.values())

    def __len__(self) -> int:
        return len(self._presets)

    def ids(self) -> list[str]:
        return list(self._presets)

    def get(self, preset_id: str) -> Preset:
        try:
            return self._presets[preset_id]
        except KeyError:
            known = ", ".join(sorted(self._presets))
            raise UnknownProviderError(f"Unknown preset {preset_id!r}. Known presets: {known}") from None

    def find(self, preset_id: str) -> Preset | None:
        return self._presets.get(preset_id)


def _parse_preset(preset_id: str, raw: dict[str, Any], path: Path) -> Preset:
    try:
        auth_overrides = {Protocol(k): AuthStyle(v) for k, v in raw.get("auth", {}).items()}
        endpoints = tuple(
            Endpoint.make(Protocol(proto), url, auth_overrides.get(Protocol(proto)))
            for proto, url in raw["endpoints"].items()
        )
        validation.provider_name(preset_id, "preset id")
        models = tuple(validation.model_id(m, "model id") for m in raw.get("models", ()))
        small_models = tuple(validation.model_id(m, "small model id") for m in raw.get("small_models", ()))
        key_env = raw.get("key_env")
        models_url = raw.get("models_url")
        return Preset(
            id=preset_id,
            label=validation.label(raw["label"]),
            endpoints=endpoints,
            models=models,
            small_models=small_models,
            needs_key=bool(raw["needs_key"]),
            local=bool(raw.get("local", False)),
            region=raw.get("region"),
            key_env=validation.env_var_name(key_env, "key_env") if key_env is not None else None,
            models_url=validate_url(models_url, "models_url") if models_url is not None else None,
            models_auth=AuthStyle(raw["models_auth"]) if "models_auth" in raw else None,
            default_port=raw.get("default_port"),
            notes=str(raw.get("notes", "")),
            balance=BalanceSpec.from_table(raw["balance"]) if "balance" in raw else None,
            protocol_models={
                Protocol(proto): tuple(validation.model_id(m, "model id") for m in listed)
                for proto, listed in raw.get("protocol_models", {}).items() if proto != "checked"
            },
        )
    except (KeyError, ValueError, TypeError, ValidationError) as exc:
        raise ConfigFileError(path, f"preset {preset_id!r} is invalid: {exc}") from exc


def load_catalog(path: Path | None = None) -> Catalog:
    path = path or resource("providers.toml")
    data = load_data_file(path, CATALOG_SCHEMA, "catalog")
    presets = {pid: _parse_preset(pid, raw, path) for pid, raw in data.get("presets", {}).items()}
    return Catalog(presets)


@cache
def default_catalog() -> Catalog:
    return load_catalog()


def serves(provider: Provider, protocol: Protocol, model: str, catalog: Catalog | None = None) -> bool:
    """Whether a provider made from a preset serves `model` over `protocol` (see `Preset.protocol_models`)."""
    if not provider.preset:
        return True
    preset = (catalog or default_catalog()).find(provider.preset)
    return preset is None or preset.serves(protocol, model)
