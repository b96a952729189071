"""Continue: one model entry of ours in `~/.continue/config.yaml` `models`, key via `${{ secrets.VAR }}`.

Continue resolves `secrets.VAR` from `~/.continue/.env`, so that file (0600, `holds_secret`) holds the
plaintext key; config.yaml only names it. Our entry is the model named "Switchover": the name stays the same
across switches so a model selection made in Continue's menu keeps pointing at it. Switching replaces that
entry and removes stale `SWITCHOVER_*_API_KEY` lines, and leaves every other model alone.

Which model Continue uses (the CLI `cn` 1.5.47, read from its source and run against a stand-in): the chat
model named by `cliSelectedModel` in `<continue dir>/index/globalContext.json` (set when the user picks one
with /model), otherwise the *first* model whose `roles` include chat (or that has no roles). So our entry goes
first in `models`; a different model picked in the menu is an override, changed to ours only on request.
`CONTINUE_GLOBAL_DIR` moves the whole folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from switchover.core.formats.document import ConfigDocument
from switchover.core.providers import Endpoint, Protocol
from switchover.core.switching.contract import (
    CurrentChoice,
    Detection,
    FileChange,
    FoundKey,
    Override,
    SwitchPlan,
    SwitchRequest,
    Target,
    ToolEnv,
)
from switchover.targets import common

MODEL_NAME = "Switchover"
_PROVIDER = {Protocol.OPENAI_CHAT: "openai", Protocol.ANTHROPIC: "anthropic", Protocol.OLLAMA: "ollama"}
_PROTOCOL_OF_PROVIDER = {name: protocol for protocol, name in _PROVIDER.items()}
_SECRET_REF = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NEW_FILE_HEADER = {"name": "Local Assistant", "version": "1.0.0", "schema": "v1"}


def _api_base(endpoint: Endpoint) -> str:
    if endpoint.protocol is Protocol.ANTHROPIC:
        return endpoint.base_url.rstrip("/") + "/v1/"
    return endpoint.base_url


def _is_ours(entry: object) -> bool:
    return isinstance(entry, dict) and entry.get("name") == MODEL_NAME


def _is_our_env_var(name: str) -> bool:
    return name.startswith("SWITCHOVER_") and name.endswith("_API_KEY")


def _chat_models(models: object) -> list[dict[str, Any]]:
    """The models Continue offers for chat, in order: roles include "chat", or no roles at all."""
    if not isinstance(models, list):
        return []
    return [m for m in models if isinstance(m, dict) and (m.get("roles") is None or "chat" in (m.get("roles") or []))]


def _title(entry: dict[str, Any]) -> object:
    return entry.get("name") or entry.get("model")


SELECTED_KEY = "cliSelectedModel"


class ContinueDev(Target):
    id = "continue"
    label = "Continue"
    protocols = (Protocol.OPENAI_CHAT, Protocol.ANTHROPIC, Protocol.OLLAMA)

    def config_dir(self, env: ToolEnv) -> Path:
        override = env.environ.get("CONTINUE_GLOBAL_DIR")
        return Path(override) if override else env.home / ".continue"

    def global_context_path(self, env: ToolEnv) -> Path:
        """Continue's own state, where the CLI keeps the model picked with /model."""
        return self.config_dir(env) / "index" / "globalContext.json"

    def config_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / "config.yaml"

    def env_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / ".env"

    def detect(self, env: ToolEnv) -> Detection:
        legacy = self.config_dir(env) / "config.json"
        notes = ("config.json is deprecated and not edited; Continue uses config.yaml.",) if legacy.is_file() else ()
        return Detection(
            installed=self.config_dir(env).is_dir(),
            binary=common.which_any(env, "cn"),
            # globalContext.json: changed only on request (the model picked with /model), see _selection
            config_paths=(self.config_path(env), self.env_path(env), self.global_context_path(env)),
            overrides=common.existing([env.cwd / ".continue" / "config.yaml"] if env.cwd else []),
            notes=notes,
        )

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("yaml", self.config_path(env))
        if doc is None:
            return None
        chat = _chat_models(doc.get(("models",)))
        selected = self._selected(env, chat)
        used = selected or (chat[0] if chat else {})
        protocol = _PROTOCOL_OF_PROVIDER.get(str(used.get("provider")))
        base_url = used.get("apiBase")
        if protocol is Protocol.ANTHROPIC and isinstance(base_url, str):
            base_url = base_url.rstrip("/").removesuffix("/v1")
        ours = next((m for m in chat if _is_ours(m)), None)
        overrides: tuple[Override, ...] = ()
        if ours is not None and used is not ours:
            overrides = (self._override(env, selected, chat),)
        return CurrentChoice(base_url=base_url, model=used.get("model"), protocol=protocol,
                             detail=f"model entry {used.get('name')!r}", overrides=overrides)

    def _selected(self, env: ToolEnv, chat: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The chat model picked with the CLI's /model, when it still names one (else Continue ignores it)."""
        state = common.load_existing("json", self.global_context_path(env))
        name = state.get((SELECTED_KEY,)) if state is not None else None
        return next((m for m in chat if name is not None and _title(m) == name), None)

    def _override(self, env: ToolEnv, selected: dict[str, Any] | None, chat: list[dict[str, Any]]) -> Override:
        if selected is not None:
            return Override(f"Continue's CLI uses the model picked with /model, “{_title(selected)}”",
                            self.global_context_path(env), SELECTED_KEY, fix=f"pick “{MODEL_NAME}” there instead")
        index = next(i for i, m in enumerate(chat) if not _is_ours(m))
        return Override(f"Continue uses the first chat model, “{_title(chat[index])}”", self.config_path(env),
                        "models")

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.config_path(env)
        doc = common.load_existing("yaml", path)
        if doc is None:
            return None
        models = doc.get(("models",)) or []
        index = next((i for i, m in enumerate(models) if _is_ours(m)), None)
        if index is None:
            index = next((i for i, m in enumerate(models) if isinstance(m, dict)), None)
        if index is None:
            return None
        api_key = models[index].get("apiKey")
        if isinstance(api_key, str) and (match := _SECRET_REF.fullmatch(api_key.strip())):
            return common.key_from_env(match.group(1), env, fallbacks=(self.env_path(env),))
        return common.key_in_file(path, f"models[{index}].apiKey", api_key, env)

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        config = common.load("yaml", self.config_path(env))
        dotenv = common.load("dotenv", self.env_path(env))
        if config.before is None:
            for key, value in _NEW_FILE_HEADER.items():
                config.doc.set((key,), value)
        _remove_ours(config.doc)
        _remove_our_env_vars(dotenv.doc)
        entry: dict[str, Any] = {
            "name": MODEL_NAME,
            "provider": _PROVIDER[endpoint.protocol],
            "model": request.model,
            "apiBase": _api_base(endpoint),
            "roles": ["chat", "edit", "apply"],
        }
        secret = common.needs_key(request.provider)
        if secret:
            var = common.key_env_var(request.provider)
            dotenv.doc.set((var,), common.plaintext_key(request))
            entry["apiKey"] = "${{ secrets." + var + " }}"
        elif endpoint.protocol is not Protocol.OLLAMA:
            entry["apiKey"] = common.LOCAL_DUMMY_KEY
        config.doc.insert(("models",), 0, entry)  # first: Continue uses the first chat model
        selection, overrides, fixed = self._selection(env, request)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(
                config.change(), dotenv.change(new_file_mode=common.PRIVATE_MODE, holds_secret=secret), selection
            ),
            notes=(
                f"Continue reloads config.yaml on save and uses its first chat model, “{MODEL_NAME}”, unless "
                "another one was picked in its model menu (the editor extension keeps that pick per role).",
            ),
            overrides=overrides,
            fixed=fixed,
        )

    def _selection(self, env: ToolEnv, request: SwitchRequest) -> tuple[FileChange | None, tuple[Override, ...],
                                                                           tuple[Override, ...]]:
        """The CLI's /model pick of another model wins over the first one: change it only when asked."""
        path = self.global_context_path(env)
        state = common.load_existing("json", path)
        name = state.get((SELECTED_KEY,)) if state is not None else None
        if name is None or name == MODEL_NAME:
            return None, (), ()
        config = common.load_existing("yaml", self.config_path(env))
        chat = _chat_models(config.get(("models",)) if config is not None else None)
        selected = next((m for m in chat if _title(m) == name and not _is_ours(m)), None)
        if selected is None:
            return None, (), ()  # names no model: Continue falls back to the first one, ours
        override = self._override(env, selected, chat)
        if not request.include_overrides:
            return None, (override,), ()
        loaded = common.load("json", path)
        loaded.doc.set((SELECTED_KEY,), MODEL_NAME)
        return loaded.change(), (), (override,)


def _remove_ours(doc: ConfigDocument) -> None:
    models = doc.get(("models",))
    if not isinstance(models, list):
        return
    for index in reversed(range(len(models))):
        if _is_ours(models[index]):
            doc.delete(("models", index))


def _remove_our_env_vars(doc: ConfigDocument) -> None:
    data = doc.data
    for name in [n for n in (data if isinstance(data, dict) else {}) if _is_our_env_var(n)]:
        doc.delete((name,))
