"""Factory Droid: our own `customModels` entries in `~/.factory/settings.json` + the session default model.

Verified against the pinned CLI (docs/real-tools.md): settings.json is strict JSON; a custom model is picked by
its `id` from `sessionDefaultSettings.model`; `apiKey` may be `${VAR}`, expanded from the environment at
start, so the file names a variable, never a key. (`apiKeyHelper` exists but Droid strips it from user
settings; only organisation-managed settings may run a command.) Our entries carry ids starting with
`custom:switchover:`, so switching again replaces only our own entries.

In effect: Droid resolves `sessionDefaultSettings.model` by level, highest first: runtime settings
(`--settings FILE` / `$FACTORY_RUNTIME_SETTINGS_PATH`), `.factory/` folders from the working directory up to
the project root, the user's `settings.local.json`, then `settings.json` (the pinned CLI's `ta()` ranking;
organisation-managed settings rank below the user's). `current()` applies that order and names what wins.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import ConfigDocument
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

ID_PREFIX = "custom:switchover:"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MARKER = " (Switchover)"
# Droid's `provider` per wire protocol. Anthropic's base URL is the root (Droid appends /v1/messages); the
# OpenAI kinds take the URL ending in /v1. Anthropic first: Droid's agent loop is tuned for it.
_PROVIDER = {
    Protocol.ANTHROPIC: "anthropic",
    Protocol.OPENAI_RESPONSES: "openai",
    Protocol.OPENAI_CHAT: "generic-chat-completion-api",
}
_PROTOCOL_OF_PROVIDER = {kind: protocol for protocol, kind in _PROVIDER.items()}
MODEL_KEY = ("sessionDefaultSettings", "model")


def model_id(model: str) -> str:
    return ID_PREFIX + model


def _is_ours(entry: object) -> bool:
    return isinstance(entry, dict) and str(entry.get("id", "")).startswith(ID_PREFIX)


class FactoryDroid(Target):
    id = "factory-droid"
    label = "Factory Droid"
    protocols = (Protocol.ANTHROPIC, Protocol.OPENAI_RESPONSES, Protocol.OPENAI_CHAT)
    binaries = ("droid",)
    # Set where Droid starts but not here, these make it read other settings than the ones Switchover edits.
    overriding_env = ("FACTORY_HOME_OVERRIDE", "FACTORY_RUNTIME_SETTINGS_PATH")

    def factory_dir(self, env: ToolEnv) -> Path:
        override = env.environ.get("FACTORY_HOME_OVERRIDE")
        return (Path(override) if override else env.home) / ".factory"

    def settings_path(self, env: ToolEnv) -> Path:
        return self.factory_dir(env) / "settings.json"

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.settings_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.factory_dir(env).is_dir()

    def layers(self, env: ToolEnv) -> list[common.Layer]:
        """Settings Droid ranks above the user's settings.json, lowest first (see the module's docstring)."""
        found = [common.Layer(self.factory_dir(env) / "settings.local.json", "json", "your settings.local.json")]
        for folder in reversed(common.parents_until_home(env, stop_at_git=True)):  # the project root first
            for name in ("settings.json", "settings.local.json"):
                found.append(common.Layer(folder / ".factory" / name, "json", f"the .factory/{name} of {folder}"))
        runtime = env.environ.get("FACTORY_RUNTIME_SETTINGS_PATH", "").strip()
        if runtime:
            found.append(common.Layer(Path(runtime), "json", "the runtime settings ($FACTORY_RUNTIME_SETTINGS_PATH)"))
        return [layer for layer in found if layer.path.is_file()]

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        """Files Droid layers over the user's settings.json (see `layers`)."""
        return tuple(layer.path for layer in self.layers(env))

    def _effective(self, env: ToolEnv, data: object) -> tuple[tuple[Override, ...], object, list[Any]]:
        """(what ranks above the user settings `data`, the model id Droid picks, every custom model entry)."""
        chosen = _model_of(data)
        found: list[Override] = []
        winner: tuple[common.Layer, str, str] | None = None  # (layer, model id, key)
        entries = _entries(data)
        for layer in self.layers(env):  # lowest first: the last one that sets a model wins
            try:
                layer_data = common.load("json", layer.path).doc.data
            except ConfigFileError as exc:
                found.append(Override(f"{layer.role} cannot be read ({exc.detail}), so {self.label} may not start "
                                      "as switched", layer.path, ""))
                continue
            entries += _entries(layer_data)
            model = _model_of(layer_data)
            if model is not None:
                legacy = not isinstance(common.walk_plain(layer_data, MODEL_KEY), str)
                winner = (layer, model, "model" if legacy else "sessionDefaultSettings.model")
        if winner is not None and winner[1] != chosen:
            layer, chosen, key = winner
            found.append(Override(f"{layer.role} sets the model, and {self.label} ranks it above your user "
                                  "settings", layer.path, key))
        return tuple(found), chosen, entries

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("json", self.settings_path(env))
        if doc is None:
            return None
        overrides, chosen, entries = self._effective(env, doc.data)  # the user file's own model if none wins
        entry = find_custom_model(entries, chosen)
        if entry is None:
            return CurrentChoice(base_url=None, model=chosen if isinstance(chosen, str) else None, protocol=None,
                                 detail="a Factory-hosted model" if chosen else "no model set", overrides=overrides)
        protocol = _PROTOCOL_OF_PROVIDER.get(str(entry.get("provider")))
        return CurrentChoice(
            base_url=entry.get("baseUrl"),
            model=entry.get("model"),
            protocol=protocol,
            detail=f"custom model {chosen}",
            overrides=overrides,
        )

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.settings_path(env)
        doc = common.load_existing("json", path)
        if doc is None:
            return None
        entries = doc.get(("customModels",))
        entry = find_custom_model(entries if isinstance(entries, list) else [], doc.get(MODEL_KEY) or doc.get(
            ("model",)))
        api_key = entry.get("apiKey") if entry is not None else None
        if isinstance(api_key, str) and (match := _ENV_REF.fullmatch(api_key.strip())):
            return common.key_from_env(match.group(1), env)  # `${VAR}`, expanded by Droid at start
        return common.key_in_file(path, "customModels[].apiKey", api_key, env) if entry is not None else None

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        settings = common.load("json", self.settings_path(env))
        doc = settings.doc
        _remove_ours(doc)
        provider = request.provider
        api_key = f"${{{common.key_env_var(provider)}}}" if common.needs_key(provider) else common.LOCAL_DUMMY_KEY
        for model in common.model_list(request):
            entry: dict[str, Any] = {
                "id": model_id(model),
                "model": model,
                "displayName": f"{model} ({provider.display_name}){MARKER}",
                "baseUrl": _base_url(endpoint),
                "apiKey": api_key,
                "provider": _PROVIDER[endpoint.protocol],
            }
            doc.append(("customModels",), entry)
        doc.set(MODEL_KEY, model_id(request.model))
        notes = ["Start a new Droid session to pick this up."]
        if request.small_model:
            notes.append("Droid has no small-model setting; the small model is listed in /model only.")
        notes.append("Droid still needs your Factory login (or FACTORY_API_KEY) to start, even for custom models.")
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(settings.change()),
            notes=(*notes, *common.env_key_note(self.label, provider, env, request.key_file)),
            overrides=self._effective(env, doc.data)[0],
        )


def find_custom_model(entries: list[Any], chosen: object) -> dict[str, Any] | None:
    """The entry Droid picks for the model id `chosen`, resolved as Droid does: an explicit `id`, else
    `custom:<displayName with spaces as dashes>-<n>` (n counts earlier entries of the same name), else
    `custom:<model>`."""
    if not isinstance(chosen, str) or not chosen.startswith("custom:"):
        return None
    seen: dict[str, int] = {}
    by_model = None
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        name = "-".join(str(entry.get("displayName") or entry.get("model") or "").split())
        index = seen.get(name, 0)
        seen[name] = index + 1
        entry_id = entry.get("id") if isinstance(entry.get("id"), str) else f"custom:{name}-{index}"
        if entry_id == chosen:
            return entry
        if by_model is None and f"custom:{entry.get('model')}" == chosen:
            by_model = entry
    return by_model


def _model_of(data: object) -> str | None:
    """The model id a settings file picks: `sessionDefaultSettings.model`, else (Droid moves it there) a
    legacy top-level `model`."""
    model = common.walk_plain(data, MODEL_KEY)
    if not isinstance(model, str):
        model = common.walk_plain(data, ("model",))
    return model if isinstance(model, str) and model else None


def _entries(data: object) -> list[Any]:
    found = common.walk_plain(data, ("customModels",))
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def _base_url(endpoint: Endpoint) -> str:
    return endpoint.base_url.rstrip("/") if endpoint.protocol is Protocol.ANTHROPIC else endpoint.base_url


def _remove_ours(doc: ConfigDocument) -> None:
    """Drop our entries, leaving the user's own custom models in place (and in order)."""
    entries = doc.get(("customModels",))
    if not isinstance(entries, list):
        return
    for index in reversed(range(len(entries))):
        if _is_ours(entries[index]):
            doc.delete(("customModels", index))
