"""Zed: our own `language_models.openai_compatible.Switchover` entry and the `provider`/`model` inside
`agent.default_model` (its other keys, e.g. `enable_thinking`, and comments stay).

Zed never takes a key from settings.json: it reads `SWITCHOVER_API_KEY` (derived from our provider id) or
the key the user pastes into its Agent settings, which Zed keeps in the OS keychain per API URL. Shape checked
against Zed's source (`OpenAiCompatibleAvailableModel`: `name`, required `max_tokens`); not run for real.

Legacy `assistant`: Zed migrates settings in memory on every load (crates/migrator, migration 2025-05-05
renames the top-level `assistant` key to `agent`; 2025-05-08 comments out the first of two `agent` keys). So
of `agent` and `assistant` the one written *later* in the file is the one Zed uses, whole; Switchover edits
that one and says the other is ignored.
"""

from __future__ import annotations

import re
from pathlib import Path

from switchover.core.formats.document import ConfigDocument
from switchover.core.providers import Protocol
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

PROVIDER_ID = "Switchover"
KEY_VAR = "SWITCHOVER_API_KEY"  # Zed: <PROVIDER ID IN UPPER SNAKE CASE>_API_KEY
DEFAULT_MAX_TOKENS = 128_000  # Zed requires a context size per model; providers rarely publish one by API
OWNED_KEYS = (("language_models", "openai_compatible", PROVIDER_ID), ("agent", "default_model"))
AGENT_KEYS = ("agent", "assistant")  # the current name and the legacy one Zed migrates


def agent_key(doc: ConfigDocument) -> str:
    """The top-level key Zed takes its agent settings from: the later of `agent` / `assistant` in the file."""
    data = doc.data if isinstance(doc.data, dict) else {}
    present = [key for key in data if key in AGENT_KEYS]
    return present[-1] if present else "agent"


class Zed(Target):
    id = "zed"
    label = "Zed"
    protocols = (Protocol.OPENAI_CHAT,)
    binaries = ("zed", "zeditor")

    def config_dir(self, env: ToolEnv) -> Path:
        if common.windows(env):
            return common.appdata(env) / "Zed"
        return env.xdg_config_home() / "zed"  # also ~/.config/zed on macOS

    def settings_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / "settings.json"

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return common.existing([env.cwd / ".zed" / "settings.json"] if env.cwd else [])

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.settings_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("jsonc", self.settings_path(env))
        if doc is None:
            return None
        key = agent_key(doc)
        provider = doc.get((key, "default_model", "provider"))
        entry = doc.get(("language_models", "openai_compatible", str(provider)))
        base_url = entry.get("api_url") if isinstance(entry, dict) else None
        return CurrentChoice(
            base_url=base_url,
            model=doc.get((key, "default_model", "model")),
            protocol=Protocol.OPENAI_CHAT if base_url else None,
            detail=f"provider {provider}" if provider else "no default model",
            overrides=self._switched_off(env, doc, key),
        )

    def _switched_off(self, env: ToolEnv, doc: ConfigDocument, key: str) -> tuple[Override, ...]:
        """Zed's AI features turned off altogether: nothing uses the default model."""
        path = self.settings_path(env)
        found = []
        if doc.get(("disable_ai",)) is True:
            found.append(Override("Zed's AI features are turned off", path, "disable_ai"))
        if doc.get((key, "enabled")) is False:
            found.append(Override("Zed's agent is turned off", path, f"{key}.enabled"))
        return tuple(found)

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        doc = common.load_existing("jsonc", self.settings_path(env))
        provider = doc.get(("agent", "default_model", "provider")) if doc is not None else None
        if not isinstance(provider, str) or not provider:
            return None
        var = re.sub(r"[^A-Z0-9]", "_", provider.upper()) + "_API_KEY"
        found = common.key_from_env(var, env)  # otherwise the key is in Zed's own keychain entry
        return found if found.value is not None or found.ours else None

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        settings = common.load("jsonc", self.settings_path(env))
        entry = {
            "api_url": endpoint.base_url,
            "available_models": [
                {"name": model, "max_tokens": DEFAULT_MAX_TOKENS} for model in common.model_list(request)
            ],
        }
        settings.doc.set(("language_models", "openai_compatible", PROVIDER_ID), entry)
        key = agent_key(settings.doc)
        selection = settings.doc.get((key, "default_model"))
        if isinstance(selection, dict):  # edit inside it: sibling keys (enable_thinking, ...) and comments stay
            settings.doc.set((key, "default_model", "provider"), PROVIDER_ID)
            settings.doc.set((key, "default_model", "model"), request.model)
        else:
            settings.doc.set((key, "default_model"), {"provider": PROVIDER_ID, "model": request.model})
        legacy = _legacy_note(settings.doc, key)
        name = request.provider.name
        key_note = (
            f"Zed keeps the gateway token in its own keychain, filed by API URL: paste the output of "
            f"`switchover gateway token` once in Zed's Agent settings under “{PROVIDER_ID}” (the token never "
            "changes when the gateway re-routes), or start Zed with "
            f"{KEY_VAR}=\"$(switchover gateway token)\"."
            if request.key_file is not None
            else f"Zed reads the key from ${KEY_VAR} or from its own keychain, where it files keys by API URL: paste "
            f"the key once per provider in Zed's Agent settings under “{PROVIDER_ID}”, or start Zed with "
            f"{KEY_VAR}=\"$(switchover key {name})\"."
            if common.needs_key(request.provider)
            else f"Keyless server: if Zed asks for a key for “{PROVIDER_ID}”, enter {common.LOCAL_DUMMY_KEY}."
        )
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(settings.change()),
            warnings=common.override_warnings(self.label, self.override_paths(env), "jsonc", OWNED_KEYS) + legacy,
            overrides=self._switched_off(env, settings.doc, key),
            notes=("Zed applies settings edits live.", key_note),
        )


def _legacy_note(doc: ConfigDocument, used: str) -> tuple[str, ...]:
    data = doc.data if isinstance(doc.data, dict) else {}
    if not all(key in data for key in AGENT_KEYS):
        return ()
    ignored = next(key for key in AGENT_KEYS if key != used)
    return (
        f"settings.json has both “agent” and the legacy “assistant”: Zed migrates “assistant” to “agent” and "
        f"keeps only the later of the two, so it uses “{used}” (switched) and ignores “{ignored}”; merge them "
        "into one “agent” to keep settings from both.",
    )
