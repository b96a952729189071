"""Cline CLI: the provider entry and `lastUsedProvider` in `~/.cline/data/settings/providers.json`.

Verified against the pinned CLI (docs/real-tools.md): a turn uses `providers[lastUsedProvider].settings`
(`provider`, `model`, `baseUrl`, `apiKey`). Custom provider ids need a registration we could not make work,
so Switchover uses Cline's own `openai-compatible` or `anthropic` entry and replaces its `settings`; the user's
other providers are kept. Cline has no indirect key: without `apiKey` it reads a fixed variable
(OPENAI_API_KEY / ANTHROPIC_API_KEY), which would send whatever key the user's shell exports there to this
provider, so the key is written into the file, which Cline keeps private (0600) and which `switchover
exposure` lists. Cline re-saves the file on every run (it stamps `updatedAt`), so `settled_form` tells the
engine which changes are Cline's own.

The VS Code extension keeps its settings in VS Code's own storage (state database + OS secret storage), which
no outside program can edit safely; Switchover switches the CLI only.

In effect (from the pinned CLI's code): a terminal run takes `-P`/`-m`/`-k`, else `lastUsedProvider`; no
project file names a provider. When an editor runs Cline as its agent (`cline --acp`), `$CLINE_PROVIDER`,
`$CLINE_MODEL` and `$CLINE_API_KEY` win over providers.json: `current()` names each that is set to something
else. `$CLINE_DIR`, `$CLINE_DATA_DIR` and `$CLINE_PROVIDER_SETTINGS_PATH` move the file itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from switchover.core import safejson
from switchover.core.providers import Endpoint, Protocol
from switchover.core.switching.contract import (
    CurrentChoice,
    FoundKey,
    Override,
    SwitchPlan,
    SwitchRequest,
    Target,
    ToolEnv,
)
from switchover.targets import common

SETTINGS_VERSION = 1
# Cline requires `updatedAt` on every entry and restamps it on each run; a fixed value keeps plans
# deterministic (planning the same switch twice gives the same bytes).
NEW_ENTRY_STAMP = "1970-01-01T00:00:00.000Z"
# Cline's provider id per wire protocol. Its Anthropic client wants the /v1 in the base URL.
_PROVIDER = {Protocol.OPENAI_CHAT: "openai-compatible", Protocol.ANTHROPIC: "anthropic"}
_PROTOCOL_OF_PROVIDER = {kind: protocol for protocol, kind in _PROVIDER.items()}
# What Cline itself rewrites in this file on every run (see `settled_form`).
_ENTRY_BOOKKEEPING = ("updatedAt", "tokenSource")
# Variables an editor's Cline agent (ACP) reads before providers.json: {name: (what it decides, settings key)}.
_ACP_VARIABLES = {"CLINE_PROVIDER": ("the provider", "provider"), "CLINE_MODEL": ("the model", "model"),
                  "CLINE_API_KEY": ("the key", "apiKey")}


def _base_url(endpoint: Endpoint) -> str:
    if endpoint.protocol is Protocol.ANTHROPIC:
        return endpoint.base_url.rstrip("/") + "/v1"
    return endpoint.base_url


class Cline(Target):
    id = "cline"
    label = "Cline CLI"
    protocols = (Protocol.OPENAI_CHAT, Protocol.ANTHROPIC)
    binaries = ("cline",)
    overriding_env = (*_ACP_VARIABLES, "CLINE_DIR", "CLINE_DATA_DIR", "CLINE_PROVIDER_SETTINGS_PATH")
    accompanying_env = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")  # read only when providers.json has no apiKey

    def cline_dir(self, env: ToolEnv) -> Path:
        override = env.environ.get("CLINE_DIR", "").strip()
        return Path(override) if override else env.home / ".cline"

    def providers_path(self, env: ToolEnv) -> Path:
        """Cline's own lookup: CLINE_PROVIDER_SETTINGS_PATH, else CLINE_DATA_DIR, else CLINE_DIR/data."""
        explicit = env.environ.get("CLINE_PROVIDER_SETTINGS_PATH", "").strip()
        if explicit:
            return Path(explicit)
        data = env.environ.get("CLINE_DATA_DIR", "").strip()
        return (Path(data) if data else self.cline_dir(env) / "data") / "settings" / "providers.json"

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.providers_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.cline_dir(env).is_dir()

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("json", self.providers_path(env))
        if doc is None:
            return None
        provider_id = doc.get(("lastUsedProvider",))
        settings = doc.get(("providers", str(provider_id), "settings")) if provider_id else None
        if not isinstance(settings, dict):
            return CurrentChoice(base_url=None, model=None, protocol=None, detail="no provider chosen")
        protocol = _PROTOCOL_OF_PROVIDER.get(str(provider_id))
        base_url = settings.get("baseUrl")
        if protocol is Protocol.ANTHROPIC and isinstance(base_url, str):
            base_url = base_url.rstrip("/").removesuffix("/v1")
        return CurrentChoice(
            base_url=base_url if isinstance(base_url, str) else None,
            model=settings.get("model"),
            protocol=protocol,
            detail=f"provider {provider_id}",
            overrides=self._environment_overrides(env, settings),
        )

    def _environment_overrides(self, env: ToolEnv, settings: dict[str, Any]) -> tuple[Override, ...]:
        """The ACP variables set to something else than `settings` says (values are never shown)."""
        return tuple(
            Override(f"{what} comes from ${var} when an editor runs Cline as its agent (ACP), not from "
                     "providers.json", None, var)
            for var, (what, key) in _ACP_VARIABLES.items()
            if (value := env.environ.get(var, "").strip()) and value != settings.get(key)
        )

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.providers_path(env)
        doc = common.load_existing("json", path)
        provider_id = doc.get(("lastUsedProvider",)) if doc is not None else None
        if doc is None or not provider_id:
            return None
        found = common.key_in_file(path, f"providers.{provider_id}.settings.apiKey",
                                   doc.get(("providers", str(provider_id), "settings", "apiKey")), env)
        if found is None:  # without apiKey Cline reads a fixed variable
            protocol = _PROTOCOL_OF_PROVIDER.get(str(provider_id))
            var = "ANTHROPIC_API_KEY" if protocol is Protocol.ANTHROPIC else "OPENAI_API_KEY"
            return common.key_from_env(var, env) if env.environ.get(var) else None
        return found

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        loaded = common.load("json", self.providers_path(env))
        doc = loaded.doc
        provider_id = _PROVIDER[endpoint.protocol]
        if loaded.before is None:
            doc.set(("version",), SETTINGS_VERSION)
        settings: dict[str, Any] = {
            "provider": provider_id,
            "apiKey": common.plaintext_key(request),
            "model": request.model,
            "baseUrl": _base_url(endpoint),
        }
        entry_path = ("providers", provider_id)
        if isinstance(doc.get(entry_path), dict):
            doc.set((*entry_path, "settings"), settings)
        else:
            doc.set(entry_path, {"settings": settings, "updatedAt": NEW_ENTRY_STAMP, "tokenSource": "manual"})
        doc.set(("lastUsedProvider",), provider_id)
        overrides = self._environment_overrides(env, settings)
        notes = ["New Cline runs pick this up."]
        if request.small_model:
            notes.append("Cline has no small-model setting; it uses the main model throughout.")
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(
                loaded.change(new_file_mode=common.PRIVATE_MODE, holds_secret=common.needs_key(request.provider))),
            notes=tuple(notes),
            overrides=overrides,
        )

    def settled_form(self, path: Path, data: bytes) -> bytes | None:  # noqa: ARG002 - one file only
        """providers.json as data, minus what Cline restamps on each run (`updatedAt`, `tokenSource`, an
        empty `modes`) and its re-serialisation; anything else that changed is still a change."""
        try:
            parsed = safejson.loads(data)
        except ValueError:
            return data  # not JSON: compare the bytes
        if not isinstance(parsed, dict):
            return data
        if parsed.get("modes") == {}:
            parsed.pop("modes")
        providers = parsed.get("providers")
        if isinstance(providers, dict):
            for entry in providers.values():
                if isinstance(entry, dict):
                    for key in _ENTRY_BOOKKEEPING:
                        entry.pop(key, None)
        return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()

