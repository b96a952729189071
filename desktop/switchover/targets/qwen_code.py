"""Qwen Code: our entries in `modelProviders.<protocol>` (marked by a name suffix) + selected auth/model.

The shape is the one verified against the pinned CLI (docs/real-tools.md): `model.name` selects the entry
of `modelProviders.<security.auth.selectedType>` whose `id` matches. Qwen Code reads keys from the
environment by name (`envKey`), so settings.json names a variable, never a key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import ConfigDocument, DocPath
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

MARKER = " (Switchover)"
SETTINGS_VERSION = 4  # Qwen migrates (and reformats) a file without "$version" on its first run
_AUTH_TYPE = {Protocol.OPENAI_CHAT: "openai", Protocol.ANTHROPIC: "anthropic", Protocol.GEMINI: "gemini"}
_PROTOCOL_OF_AUTH = {auth: protocol for protocol, auth in _AUTH_TYPE.items()}
OWNED_KEYS = (("security", "auth", "selectedType"), ("model", "name"))
_DECIDING: dict[DocPath, str] = {
    ("model", "name"): "the model (model.name)",
    ("security", "auth", "selectedType"): "the provider type (security.auth.selectedType)",
}
_TOKEN_KEY = ("security", "auth", "apiKey")  # written only with Switchover's gateway token
GATEWAY_TOKEN_PREFIX = "swo-gw-"  # how the gateway token begins (switchover.gateway.token.TOKEN_PREFIX)


def _is_ours(entry: object) -> bool:
    return isinstance(entry, dict) and str(entry.get("name", "")).endswith(MARKER)


class QwenCode(Target):
    id = "qwen-code"
    label = "Qwen Code"
    protocols = (Protocol.OPENAI_CHAT, Protocol.ANTHROPIC, Protocol.GEMINI)
    binaries = ("qwen",)
    overriding_env = ("OPENAI_BASE_URL", "OPENAI_API_KEY", "OPENAI_MODEL")  # Qwen's env shortcuts

    def config_dir(self, env: ToolEnv) -> Path:
        return env.home / ".qwen"

    def settings_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / "settings.json"

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return common.existing([env.cwd / ".qwen" / "settings.json"] if env.cwd else [])

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.settings_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def layers(self, env: ToolEnv) -> list[common.Layer]:
        project = env.cwd / ".qwen" / "settings.json" if env.cwd else None
        if project is None or not project.is_file() or project == self.settings_path(env):
            return []
        return [common.Layer(project, "jsonc", "this project's .qwen/settings.json")]

    def _effective(self, env: ToolEnv, data: object) -> tuple[tuple[Override, ...], dict[str, Any], str | None,
                                                                object]:
        """Overrides, the modelProviders entry Qwen Code will use, its auth type and the model id."""
        overrides, effective = common.layered(self.label, data, self.layers(env), _DECIDING)
        found = list(overrides)
        auth_type = effective.get(("security", "auth", "selectedType"))
        model = effective.get(("model", "name"))
        entries = common.walk_plain(data, ("modelProviders", str(auth_type)))
        entries = [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        entry = next((e for e in entries if e.get("id") == model), {})
        if entry and not _is_ours(entry) and any(_is_ours(e) and e.get("id") == model for e in entries):
            found.append(Override(f"your own modelProviders.{auth_type} entry “{entry.get('name', model)}” has the "
                                  "same id and comes first, and Qwen Code uses the first", self.settings_path(env),
                                  f"modelProviders.{auth_type}"))
        var = entry.get("envKey")
        shadow = self._dotenv_setting(env, str(var)) if _is_ours(entry) and var else None
        if shadow is not None:
            found.append(Override(f"a .env file Qwen Code reads before ~/.qwen/.env sets ${var}", shadow, str(var)))
        return tuple(found), entry, str(auth_type) if auth_type else None, model

    def _dotenv_setting(self, env: ToolEnv, var: str) -> Path | None:
        """The project .env (`.qwen/.env` or `.env`, from the cwd upwards) that sets `var`, if any."""
        for folder in common.parents_until_home(env):
            for path in (folder / ".qwen" / ".env", folder / ".env"):
                if not path.is_file():
                    continue
                try:
                    if common.load("dotenv", path).doc.has((var,)):
                        return path
                except ConfigFileError:
                    continue
        return None

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("jsonc", self.settings_path(env))
        if doc is None:
            return None
        overrides, entry, auth_type, model = self._effective(env, doc.data)
        return CurrentChoice(
            base_url=entry.get("baseUrl"),
            model=str(model) if model is not None else None,
            protocol=_PROTOCOL_OF_AUTH.get(str(auth_type)),
            detail=f"auth type {auth_type}",
            overrides=overrides,
        )

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.settings_path(env)
        doc = common.load_existing("jsonc", path)
        if doc is None:
            return None
        auth_type = doc.get(("security", "auth", "selectedType"))
        model = doc.get(("model", "name"))
        entries = doc.get(("modelProviders", str(auth_type))) or []
        index, entry = next(((i, e) for i, e in enumerate(entries) if isinstance(e, dict) and e.get("id") == model),
                            (None, None))
        if entry is None:
            return None
        env_key = entry.get("envKey")
        if isinstance(env_key, str) and env_key:
            return common.key_from_env(env_key, env, fallbacks=(self.config_dir(env) / ".env", env.home / ".env"))
        return common.key_in_file(path, f"modelProviders.{auth_type}[{index}].apiKey", entry.get("apiKey"), env)

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        settings = common.load("jsonc", self.settings_path(env))
        doc = settings.doc
        if settings.before is None:
            doc.set(("$version",), SETTINGS_VERSION)
        _remove_ours(doc)
        provider = request.provider
        # Through Switchover's gateway the key is only the local gateway token, and Qwen Code has no way to
        # fetch one: it holds the token itself in `security.auth.apiKey` (0.24.4 reads no `apiKey` from a
        # modelProviders entry), so no env.sh is needed; the file is then listed by `exposure`.
        holds_token = request.key_file is not None and common.needs_key(provider)
        auth: dict[str, str] = (
            {}
            if holds_token
            else {"envKey": common.key_env_var(provider)}
            if common.needs_key(provider)
            else {"apiKey": common.LOCAL_DUMMY_KEY}
        )
        if holds_token:
            doc.set(_TOKEN_KEY, common.plaintext_key(request))
        elif str(doc.get(_TOKEN_KEY) or "").startswith(GATEWAY_TOKEN_PREFIX):
            doc.delete(_TOKEN_KEY)  # our gateway token from an earlier switch: not the user's own key
        auth_type = _AUTH_TYPE[endpoint.protocol]
        for index, model in enumerate(common.model_list(request)):
            entry: dict[str, Any] = {
                "id": model,
                "name": f"{model} ({provider.display_name}){MARKER}",
                "baseUrl": endpoint.base_url,
            }
            # First in the list: Qwen Code uses the first entry with the model's id.
            doc.insert(("modelProviders", auth_type), index, entry | auth)
        doc.set(("security", "auth", "selectedType"), auth_type)
        doc.set(("model", "name"), request.model)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(settings.change(holds_secret=holds_token)),
            overrides=self._effective(env, doc.data)[0],
            notes=("Restart Qwen Code to pick this up.",
                   *(() if holds_token else common.env_key_note(self.label, provider, env))),
        )


def _remove_ours(doc: ConfigDocument) -> None:
    """Drop our entries from every protocol's list, leaving the user's own models in place."""
    providers = doc.get(("modelProviders",))
    if not isinstance(providers, dict):
        return
    for auth_type, entries in providers.items():
        if isinstance(entries, list):
            for index in reversed(range(len(entries))):
                if _is_ours(entries[index]):
                    doc.delete(("modelProviders", auth_type, index))
