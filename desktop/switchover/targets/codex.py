"""Codex CLI: our own `[model_providers.switchover]` table in config.toml, key by an auth command.

Codex speaks only the Responses API (`wire_api = "responses"`), so chat-only providers are refused with a
message saying so. The ChatGPT login in `auth.json` is never touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from switchover.core.catalog import serves
from switchover.core.formats.document import DocPath, dotted
from switchover.core.providers import AuthStyle, Protocol
from switchover.core.switching.contract import (
    CurrentChoice,
    FoundKey,
    Override,
    SwitchPlan,
    SwitchRequest,
    Target,
    TargetRefusal,
    ToolEnv,
)
from switchover.targets import common

PROVIDER_ID = common.OWNED_ID
# Built into Codex: cannot be redefined, and what `model_provider` means when it names one of them.
BUILTIN_BASE_URLS = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://localhost:11434/v1",
    "lmstudio": "http://localhost:1234/v1",
}
OWNED_KEYS = (("model",), ("model_provider",), ("model_providers", PROVIDER_ID))
MANAGED = Path("/etc/codex/managed_config.toml")  # legacy managed config: above every other layer


def _trusted(user: object, folder: Path) -> bool:
    """Whether the user config trusts `folder` (or a folder it is in) as a project."""
    projects = common.walk_plain(user, ("projects",))
    if not isinstance(projects, dict):
        return False
    return any(isinstance(projects.get(str(f)), dict) and projects[str(f)].get("trust_level") == "trusted"
               for f in (folder, *folder.parents))


class Codex(Target):
    id = "codex"
    label = "Codex CLI"
    protocols = (Protocol.OPENAI_RESPONSES,)
    binaries = ("codex",)
    accompanying_env = ("OPENAI_API_KEY", "OPENAI_BASE_URL")  # only Codex's built-in openai provider reads them

    def home(self, env: ToolEnv) -> Path:
        override = env.environ.get("CODEX_HOME")
        return Path(override) if override else env.home / ".codex"

    def config_path(self, env: ToolEnv) -> Path:
        return self.home(env) / "config.toml"

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        project = [env.cwd / ".codex" / "config.toml"] if env.cwd else []
        system = [] if common.windows(env) else [Path("/etc/codex/config.toml"), MANAGED]
        return common.existing([*project, *system])

    def layers(self, env: ToolEnv, user: object) -> list[tuple[common.Layer, dict[DocPath, str]]]:
        """Configs Codex ranks above the user file, lowest first, with the keys each may decide.

        Verified with codex 0.169.0: a project's `.codex/config.toml` counts only when the user config trusts
        the project (`[projects."<dir>"] trust_level = "trusted"`), and only for `model`: `model_provider` and
        `model_providers` there are ignored. The legacy managed file sits above everything.
        """
        found: list[tuple[common.Layer, dict[DocPath, str]]] = []
        if env.cwd is not None and _trusted(user, env.cwd):
            project = env.cwd / ".codex" / "config.toml"
            if project.is_file():
                found.append((common.Layer(project, "toml", "this project's .codex/config.toml"),
                              {("model",): "the model"}))
        if not common.windows(env) and MANAGED.is_file():
            found.append((common.Layer(MANAGED, "toml", "the managed Codex config (set by an administrator)"),
                          {("model",): "the model", ("model_provider",): "the provider"}))
        return found

    def _effective(self, env: ToolEnv, user: object) -> tuple[tuple[Override, ...], dict[DocPath, object]]:
        overrides: list[Override] = []
        decided: tuple[DocPath, ...] = (("model",), ("model_provider",))
        effective = {key: common.walk_plain(user, key) for key in decided}
        for layer, keys in self.layers(env, user):
            found, values = common.layered(self.label, user, [layer], keys)
            overrides += found
            for key in keys:
                if any(o.path == layer.path and o.key == dotted(key) for o in found):
                    effective[key] = values[key]
        return tuple(overrides), effective

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.config_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.home(env).is_dir()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("toml", self.config_path(env))
        if doc is None:
            return None
        overrides, effective = self._effective(env, doc.data)
        provider_id = str(effective.get(("model_provider",)) or "openai")
        table = doc.get(("model_providers", provider_id))
        if isinstance(table, dict):
            base_url = table.get("base_url")
            wire = table.get("wire_api", "responses")
            protocol = Protocol.OPENAI_RESPONSES if wire == "responses" else Protocol.OPENAI_CHAT
        else:
            base_url, protocol = BUILTIN_BASE_URLS.get(provider_id), Protocol.OPENAI_RESPONSES
        model = effective.get(("model",))
        return CurrentChoice(
            base_url=base_url,
            model=str(model) if model is not None else None,
            protocol=protocol,
            detail=f"model_provider = {provider_id}",
            overrides=overrides,
        )

    def auth_path(self, env: ToolEnv) -> Path:
        return self.home(env) / "auth.json"

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.config_path(env)
        doc = common.load_existing("toml", path)
        if doc is None:
            return None
        provider_id = doc.get(("model_provider",)) or "openai"
        table = doc.get(("model_providers", provider_id))
        where = f"{common.home_path(path, env)} model_providers.{provider_id}"
        if isinstance(table, dict):
            auth = table.get("auth")
            if isinstance(auth, dict) and auth.get("command"):
                command = [auth["command"], *(auth.get("args") or [])]
                if common.is_our_key_command(command):
                    return FoundKey(f"{where}.auth", ours=True)
                return FoundKey(f"{where}.auth", note="Codex runs a key command of yours; Switchover does not run it")
            env_key = table.get("env_key")
            if isinstance(env_key, str) and env_key:
                return common.key_from_env(env_key, env, AuthStyle.BEARER)
            return common.key_in_file(path, f"{where}.experimental_bearer_token",
                                      table.get("experimental_bearer_token"), env, AuthStyle.BEARER)
        if provider_id != "openai":
            return None
        login = common.load_existing("json", self.auth_path(env))
        stored = login.get(("OPENAI_API_KEY",)) if login is not None else None
        if isinstance(stored, str) and stored.strip():
            # Codex's own login file: read, never edited (so no plaintext to take out of it).
            return FoundKey(f"{common.home_path(self.auth_path(env), env)} OPENAI_API_KEY", value=stored.strip(),
                            auth=AuthStyle.BEARER)
        if env.environ.get("OPENAI_API_KEY"):
            return common.key_from_env("OPENAI_API_KEY", env, AuthStyle.BEARER)
        if login is not None and login.get(("tokens",)):
            return FoundKey(common.home_path(self.auth_path(env), env),
                            note="signed in with a ChatGPT account: there is no API key to take over")
        return None

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        if not serves(request.provider, endpoint.protocol, request.model):
            raise TargetRefusal(
                f"{request.provider.display_name} serves the Responses API Codex speaks only for some models, "
                f"not {request.model}. Pick one of those, or go through the gateway, which translates: "
                f"switchover use {request.provider.name}/{request.model} --tool codex --via-gateway"
            )
        config = common.load("toml", self.config_path(env))
        table: dict[str, Any] = {
            "name": f"{request.provider.display_name} (Switchover)",
            "base_url": endpoint.base_url,
            "wire_api": "responses",
        }
        if common.needs_key(request.provider):
            command, *args = request.key_command
            table["auth"] = {"command": command, "args": args}
        config.doc.set(("model",), request.model)
        config.doc.set(("model_provider",), PROVIDER_ID)
        config.doc.set(("model_providers", PROVIDER_ID), table)
        notes = ["Restart Codex to pick this up."]
        if request.small_model:
            notes.append("Codex has no small-model setting; it uses the main model throughout.")
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(config.change()),
            overrides=self._effective(env, config.doc.data)[0],
            notes=tuple(notes),
        )
