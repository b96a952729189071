"""Goose: our own custom provider file `custom_providers/custom_switchover.json` + provider/model in
config.yaml. Goose reads keys from its keyring or the environment; our provider names a variable
(`api_key_env`), never a key. The file shape follows Goose's `DeclarativeProviderConfig` (source);
Goose itself is not on a package registry here, so it was not run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from switchover.core.providers import Endpoint, Protocol
from switchover.core.switching.contract import (
    CurrentChoice,
    FileChange,
    FoundKey,
    SwitchPlan,
    SwitchRequest,
    Target,
    ToolEnv,
)
from switchover.targets import common

PROVIDER_ID = "custom_switchover"  # Goose's own prefix for declarative providers
_ENGINE = {Protocol.OPENAI_CHAT: "openai", Protocol.ANTHROPIC: "anthropic", Protocol.OLLAMA: "ollama"}
# Goose wants the full endpoint path in base_url.
_ENDPOINT_PATH = {Protocol.OPENAI_CHAT: "/chat/completions", Protocol.ANTHROPIC: "/v1/messages", Protocol.OLLAMA: ""}
DEFAULT_CONTEXT = 128_000
OWNED_KEYS = (("GOOSE_PROVIDER",), ("GOOSE_MODEL",), ("active_provider",), ("providers", PROVIDER_ID))


def full_url(endpoint: Endpoint) -> str:
    return endpoint.base_url.rstrip("/") + _ENDPOINT_PATH[endpoint.protocol]


class Goose(Target):
    id = "goose"
    label = "Goose"
    protocols = (Protocol.OPENAI_CHAT, Protocol.ANTHROPIC, Protocol.OLLAMA)
    binaries = ("goose",)
    overriding_env = ("GOOSE_PROVIDER", "GOOSE_MODEL")  # the environment wins over config.yaml

    def config_dir(self, env: ToolEnv) -> Path:
        if common.windows(env):
            return common.appdata(env) / "Block" / "goose" / "config"
        return env.xdg_config_home() / "goose"

    def config_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / "config.yaml"

    def provider_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / "custom_providers" / f"{PROVIDER_ID}.json"

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.config_path(env), self.provider_path(env))

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("yaml", self.config_path(env))
        if doc is None:
            return None
        provider = doc.get(("active_provider",)) or doc.get(("GOOSE_PROVIDER",))
        model = doc.get(("providers", str(provider), "model")) or doc.get(("GOOSE_MODEL",))
        # Goose reads GOOSE_PROVIDER / GOOSE_MODEL from the environment before config.yaml.
        overrides = common.environment_overrides(self.label, env, {
            var: what for var, what, written in (("GOOSE_PROVIDER", "the provider", provider),
                                                 ("GOOSE_MODEL", "the model", model))
            if env.environ.get(var) and env.environ.get(var) != written})
        provider = env.environ.get("GOOSE_PROVIDER") or provider
        model = env.environ.get("GOOSE_MODEL") or model
        custom = common.load_existing("json", self.config_dir(env) / "custom_providers" / f"{provider}.json")
        base_url = custom.get(("base_url",)) if custom else None
        engine = custom.get(("engine",)) if custom else None
        protocol = next((p for p, e in _ENGINE.items() if e == engine), None)
        if protocol is not None and isinstance(base_url, str):
            base_url = base_url.removesuffix(_ENDPOINT_PATH[protocol]) if _ENDPOINT_PATH[protocol] else base_url
        return CurrentChoice(base_url=base_url, model=model, protocol=protocol, detail=f"provider {provider}",
                             overrides=overrides)

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        doc = common.load_existing("yaml", self.config_path(env))
        if doc is None:
            return None
        provider = doc.get(("active_provider",)) or doc.get(("GOOSE_PROVIDER",))
        custom = common.load_existing("json", self.config_dir(env) / "custom_providers" / f"{provider}.json")
        var = custom.get(("api_key_env",)) if custom is not None else None
        if not isinstance(var, str) or not var:
            return None
        found = common.key_from_env(var, env)
        secrets = self.config_dir(env) / "secrets.yaml"  # Goose's file store when its keyring is off
        stored = common.load_existing("yaml", secrets)
        value = stored.get((var,)) if stored is not None else None
        if found.value is None and not found.ours and isinstance(value, str) and value.strip():
            return FoundKey(f"{common.home_path(secrets, env)} {var}", value=value.strip(), env_var=var)
        return found

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        config = common.load("yaml", self.config_path(env))
        config.doc.set(("GOOSE_PROVIDER",), PROVIDER_ID)
        config.doc.set(("GOOSE_MODEL",), request.model)
        if config.doc.has(("active_provider",)):  # the newer shape wins over the flat keys when present
            config.doc.set(("active_provider",), PROVIDER_ID)
            config.doc.set(("providers", PROVIDER_ID, "model"), request.model)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(config.change(), self._provider_file(env, request, endpoint)),
            notes=("Restart Goose to pick this up.", *common.env_key_note(self.label, request.provider, env,
                                                                           request.key_file)),
        )

    def _provider_file(self, env: ToolEnv, request: SwitchRequest, endpoint: Endpoint) -> FileChange | None:
        """The whole file is ours, so it is generated rather than edited (but must still parse)."""
        path = self.provider_path(env)
        before = common.read_bytes(path)
        if before is not None:
            common.load("json", path)  # a broken file is reported, never silently replaced
        data: dict[str, Any] = {
            "name": PROVIDER_ID,
            "engine": _ENGINE[endpoint.protocol],
            "display_name": f"{request.provider.display_name} (Switchover)",
            "description": "Written by Switchover; switching again replaces this file.",
            "base_url": full_url(endpoint),
            "models": [{"name": m, "context_limit": DEFAULT_CONTEXT} for m in common.model_list(request)],
            "supports_streaming": True,
        }
        # `api_key_env` is a required field (a file without it is skipped by Goose); "" plus
        # `requires_auth: false` is how newer Goose versions spell "no key".
        if common.needs_key(request.provider):
            data["api_key_env"] = common.key_env_var(request.provider)
        else:
            data["api_key_env"] = ""
            data["requires_auth"] = False
        after = (json.dumps(data, indent=2) + "\n").encode("utf-8")
        if after == before:
            return None
        return FileChange(path, before, after, new_file_mode=common.PRIVATE_MODE)

