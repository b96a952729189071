"""Continue: one model entry of ours in `~/.continue/config.yaml` `models`, key via `${{ secrets.VAR }}`.

Continue resolves `secrets.VAR` from `~/.continue/.env`, so that file (0600, `holds_secret`) holds the
plaintext key; config.yaml only names it. Our entry is the model named "Switchover": the name stays the same
across switches so a model selection made in Continue's menu keeps pointing at it. Switching replaces that
entry and removes stale `SWITCHOVER_*_API_KEY` lines, and leaves every other model alone.
Checked by hand with Continue's CLI (`cn` 1.5.47) against a stand-in, for the openai and anthropic routes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from switchover.core.formats.document import ConfigDocument
from switchover.core.providers import Endpoint, Protocol
from switchover.core.switching.contract import CurrentChoice, Detection, SwitchPlan, SwitchRequest, Target, ToolEnv
from switchover.targets import common

MODEL_NAME = "Switchover"
_PROVIDER = {Protocol.OPENAI_CHAT: "openai", Protocol.ANTHROPIC: "anthropic", Protocol.OLLAMA: "ollama"}
_PROTOCOL_OF_PROVIDER = {name: protocol for protocol, name in _PROVIDER.items()}
_NEW_FILE_HEADER = {"name": "Local Assistant", "version": "1.0.0", "schema": "v1"}


def _api_base(endpoint: Endpoint) -> str:
    if endpoint.protocol is Protocol.ANTHROPIC:
        return endpoint.base_url.rstrip("/") + "/v1/"
    return endpoint.base_url


def _is_ours(entry: object) -> bool:
    return isinstance(entry, dict) and entry.get("name") == MODEL_NAME


def _is_our_env_var(name: str) -> bool:
    return name.startswith("SWITCHOVER_") and name.endswith("_API_KEY")


class ContinueDev(Target):
    id = "continue"
    label = "Continue"
    protocols = (Protocol.OPENAI_CHAT, Protocol.ANTHROPIC, Protocol.OLLAMA)

    def config_dir(self, env: ToolEnv) -> Path:
        return env.home / ".continue"

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
            config_paths=(self.config_path(env), self.env_path(env)),
            overrides=common.existing([env.cwd / ".continue" / "config.yaml"] if env.cwd else []),
            notes=notes,
        )

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("yaml", self.config_path(env))
        if doc is None:
            return None
        models = doc.get(("models",)) or []
        entry = next((m for m in models if _is_ours(m)), None) or next(
            (m for m in models if isinstance(m, dict)), {}
        )
        protocol = _PROTOCOL_OF_PROVIDER.get(str(entry.get("provider")))
        base_url = entry.get("apiBase")
        if protocol is Protocol.ANTHROPIC and isinstance(base_url, str):
            base_url = base_url.rstrip("/").removesuffix("/v1")
        return CurrentChoice(base_url=base_url, model=entry.get("model"), protocol=protocol,
                             detail=f"model entry {entry.get('name')!r}")

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
        config.doc.append(("models",), entry)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(
                config.change(), dotenv.change(new_file_mode=common.PRIVATE_MODE, holds_secret=secret)
            ),
            notes=(
                f"Continue reloads config.yaml on save; pick “{MODEL_NAME}” once in its model menu (it keeps that "
                "choice across switches). Continue's CLI uses the first chat model listed.",
            ),
        )


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
