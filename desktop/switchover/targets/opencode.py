"""OpenCode: our own `provider.switchover` entry plus top-level `model`/`small_model`.

The key is written as `{env:VAR}`: OpenCode substitutes it at start, so no secret lands on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from switchover.core.providers import Endpoint, Protocol
from switchover.core.switching.contract import CurrentChoice, SwitchPlan, SwitchRequest, Target, ToolEnv
from switchover.targets import common

PROVIDER_ID = common.OWNED_ID
SCHEMA_URL = "https://opencode.ai/config.json"
# The AI SDK package OpenCode loads per protocol; the Anthropic SDK wants the /v1 in its base URL.
_NPM = {
    Protocol.OPENAI_CHAT: "@ai-sdk/openai-compatible",
    Protocol.ANTHROPIC: "@ai-sdk/anthropic",
    Protocol.OPENAI_RESPONSES: "@ai-sdk/openai",
}
_PROTOCOL_OF_NPM = {npm: protocol for protocol, npm in _NPM.items()}
OWNED_KEYS = (("model",), ("small_model",), ("provider", PROVIDER_ID))


def sdk_base_url(endpoint: Endpoint) -> str:
    if endpoint.protocol is Protocol.ANTHROPIC:
        return endpoint.base_url.rstrip("/") + "/v1"
    return endpoint.base_url


class OpenCode(Target):
    id = "opencode"
    label = "OpenCode"
    protocols = (Protocol.OPENAI_CHAT, Protocol.ANTHROPIC, Protocol.OPENAI_RESPONSES)
    binaries: tuple[str, ...] = ("opencode",)
    schema_url = SCHEMA_URL  # forks (Kilo Code) publish their own schema URL

    def config_dir(self, env: ToolEnv) -> Path:
        return env.xdg_config_home() / "opencode"  # ~/.config on every platform (xdg-basedir)

    def config_path(self, env: ToolEnv) -> Path:
        override = env.environ.get("OPENCODE_CONFIG")
        if override:
            return Path(override)
        folder = self.config_dir(env)
        return common.first_existing(
            (folder / "opencode.jsonc", folder / "opencode.json", folder / "config.json"),
            folder / "opencode.json",
        )

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        if env.cwd is None:
            return ()
        names = ("opencode.json", "opencode.jsonc", ".opencode/opencode.json", ".opencode/opencode.jsonc")
        return common.existing(env.cwd / n for n in names)

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.config_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("jsonc", self.config_path(env))
        if doc is None:
            return None
        provider_id, _, model = str(doc.get(("model",)) or "").partition("/")
        entry = doc.get(("provider", provider_id)) if provider_id else None
        entry = entry if isinstance(entry, dict) else {}
        options = entry.get("options")
        options = options if isinstance(options, dict) else {}
        protocol = _PROTOCOL_OF_NPM.get(str(entry.get("npm")))
        base_url = options.get("baseURL")
        if protocol is Protocol.ANTHROPIC and isinstance(base_url, str):
            base_url = base_url.rstrip("/").removesuffix("/v1")
        small = str(doc.get(("small_model",)) or "").partition("/")[2] or None
        return CurrentChoice(
            base_url=base_url,
            model=model or None,
            protocol=protocol,
            small_model=small,
            detail=f"provider {provider_id}" if provider_id else "no model set",
        )

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        config = common.load("jsonc", self.config_path(env))
        if config.before is None:  # OpenCode inserts it on its first run otherwise, rewriting the file
            config.doc.set(("$schema",), self.schema_url)
        provider = request.provider
        if not common.needs_key(provider):
            api_key = common.LOCAL_DUMMY_KEY
        elif request.key_file is not None:  # the gateway token: read from its 0600 file, no env.sh needed
            api_key = f"{{file:{request.key_file}}}"
        else:
            api_key = f"{{env:{common.key_env_var(provider)}}}"
        entry: dict[str, Any] = {
            "npm": _NPM[endpoint.protocol],
            "name": f"{provider.display_name} (Switchover)",
            "options": {"baseURL": sdk_base_url(endpoint), "apiKey": api_key},
            "models": {model: {} for model in common.model_list(request)},
        }
        config.doc.set(("provider", PROVIDER_ID), entry)
        config.doc.set(("model",), f"{PROVIDER_ID}/{request.model}")
        small = f"{PROVIDER_ID}/{request.small_model}" if request.small_model else None
        common.set_or_delete(config.doc, ("small_model",), small)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=request.small_model,
            changes=common.changes(config.change()),
            warnings=common.override_warnings(self.label, self.override_paths(env), "jsonc", OWNED_KEYS),
            notes=(f"Restart {self.label} to pick this up.",
                   *(() if request.key_file is not None else common.env_key_note(self.label, provider, env))),
        )
