"""Zed: our own `language_models.openai_compatible.Switchover` entry and `agent.default_model`.

Zed never takes a key from settings.json: it reads `SWITCHOVER_API_KEY` (derived from our provider id) or
the key the user pastes into its Agent settings, which Zed keeps in the OS keychain per API URL. Shape checked
against Zed's source (`OpenAiCompatibleAvailableModel`: `name`, required `max_tokens`); not run for real.
"""

from __future__ import annotations

from pathlib import Path

from switchover.core.providers import Protocol
from switchover.core.switching.contract import CurrentChoice, SwitchPlan, SwitchRequest, Target, ToolEnv
from switchover.targets import common

PROVIDER_ID = "Switchover"
KEY_VAR = "SWITCHOVER_API_KEY"  # Zed: <PROVIDER ID IN UPPER SNAKE CASE>_API_KEY
DEFAULT_MAX_TOKENS = 128_000  # Zed requires a context size per model; providers rarely publish one by API
OWNED_KEYS = (("language_models", "openai_compatible", PROVIDER_ID), ("agent", "default_model"))


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
        provider = doc.get(("agent", "default_model", "provider"))
        entry = doc.get(("language_models", "openai_compatible", str(provider)))
        base_url = entry.get("api_url") if isinstance(entry, dict) else None
        return CurrentChoice(
            base_url=base_url,
            model=doc.get(("agent", "default_model", "model")),
            protocol=Protocol.OPENAI_CHAT if base_url else None,
            detail=f"provider {provider}" if provider else "no default model",
        )

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
        settings.doc.set(("agent", "default_model"), {"provider": PROVIDER_ID, "model": request.model})
        name = request.provider.name
        key_note = (
            f"Zed reads the key from ${KEY_VAR} or from its own keychain, where it files keys by API URL: paste "
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
            warnings=common.override_warnings(self.label, self.override_paths(env), "jsonc", OWNED_KEYS),
            notes=("Zed applies settings edits live.", key_note),
        )
