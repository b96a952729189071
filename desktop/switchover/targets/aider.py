"""Aider: `~/.aider.conf.yml` keys `model`, `weak-model`, `openai-api-base`, `openai-api-key`.

Aider cannot run a command for its key nor name a variable holding it, so the key is written in plaintext
to its own config file (created 0600; `holds_secret` lists it in `switchover exposure`). Everything goes
through the OpenAI-compatible route (`openai/<model>`), which every provider with chat completions offers.
Checked by hand with aider 0.86.2 (PyPI) against a stand-in: two switches, each turn reached the right one.
"""

from __future__ import annotations

import stat
from pathlib import Path

from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import DocPath
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

PREFIX = "openai/"
OWNED_KEYS = (("model",), ("weak-model",), ("editor-model",), ("openai-api-base",), ("openai-api-key",))
# Every option is also an AIDER_<OPTION> variable, which beats every config file (verified: AIDER_MODEL).
_ENV_VARS = {"AIDER_MODEL": ("model",), "AIDER_WEAK_MODEL": ("weak-model",),
             "AIDER_OPENAI_API_BASE": ("openai-api-base",), "AIDER_OPENAI_API_KEY": ("openai-api-key",)}
_DECIDING: dict[DocPath, str] = {
    ("model",): "the model", ("openai-api-base",): "the endpoint (openai-api-base)",
    ("openai-api-key",): "the key (openai-api-key)",
}


class Aider(Target):
    id = "aider"
    label = "Aider"
    protocols = (Protocol.OPENAI_CHAT,)
    binaries = ("aider",)
    overriding_env = tuple(_ENV_VARS)
    accompanying_env = ("OPENAI_API_KEY", "OPENAI_API_BASE", "ANTHROPIC_API_KEY")

    def config_path(self, env: ToolEnv) -> Path:
        return env.home / ".aider.conf.yml"

    def _folders(self, env: ToolEnv) -> list[Path]:
        """The git root, then the working directory: where Aider also looks (later wins)."""
        if env.cwd is None:
            return []
        git_root = next((f for f in (env.cwd, *env.cwd.parents) if (f / ".git").exists()), None)
        return [f for f in dict.fromkeys([git_root, env.cwd]) if f is not None and f != env.home]

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        """Aider also reads the file in the git root and the working directory; later files win."""
        found = common.existing(f / ".aider.conf.yml" for f in self._folders(env))
        return tuple(p for p in found if p != self.config_path(env))

    def _effective(self, env: ToolEnv, data: object) -> tuple[tuple[Override, ...], dict[DocPath, object]]:
        """Config files in the git root and cwd, then `.env` files (home, git root, cwd, loaded with override)
        and the environment: what beats ~/.aider.conf.yml, and the values Aider will use."""
        layers = [common.Layer(p, "yaml", f"the project's {p.name} in {p.parent}") for p in self.override_paths(env)]
        overrides, effective = common.layered(self.label, data, layers, _DECIDING)
        found = list(overrides)
        for var, key in _ENV_VARS.items():
            if key not in _DECIDING:
                continue
            source = self._dotenv_setting(env, var)
            value = env.environ.get(var)
            if source is not None:
                value = str(common.load("dotenv", source).doc.get((var,)))
            if value and value != effective.get(key):
                found.append(Override(f"{_DECIDING[key]} comes from ${var}, which Aider reads before any config "
                                      "file", source, var) if source is not None else
                             Override(f"{_DECIDING[key]} comes from the environment, which Aider reads before any "
                                      "config file", None, var))
                effective[key] = value
        return tuple(found), effective

    def _dotenv_setting(self, env: ToolEnv, var: str) -> Path | None:
        """The last `.env` Aider loads (home, git root, cwd; each overrides) that sets `var`."""
        setting = None
        for folder in [env.home, *self._folders(env)]:
            path = folder / ".env"
            try:
                if path.is_file() and common.load("dotenv", path).doc.has((var,)):
                    setting = path
            except ConfigFileError:
                continue
        return setting

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.config_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_path(env).is_file()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("yaml", self.config_path(env))
        if doc is None:
            return None
        overrides, effective = self._effective(env, doc.data)
        model = effective.get(("model",))
        weak = doc.get(("weak-model",))
        base_url = effective.get(("openai-api-base",))
        return CurrentChoice(
            base_url=str(base_url) if base_url else None,
            model=model.removeprefix(PREFIX) if isinstance(model, str) else None,
            protocol=Protocol.OPENAI_CHAT if base_url else None,
            small_model=weak.removeprefix(PREFIX) if isinstance(weak, str) else None,
            overrides=overrides,
        )

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.config_path(env)
        doc = common.load_existing("yaml", path)
        if doc is None:
            return None
        if env.environ.get("AIDER_OPENAI_API_KEY"):  # wins over the file
            return common.key_from_env("AIDER_OPENAI_API_KEY", env)
        found = common.key_in_file(path, "openai-api-key", doc.get(("openai-api-key",)), env)
        if found is None and env.environ.get("OPENAI_API_KEY"):
            return common.key_from_env("OPENAI_API_KEY", env)
        return found

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        config = common.load("yaml", self.config_path(env))
        doc = config.doc
        doc.set(("model",), PREFIX + request.model)
        common.set_or_delete(doc, ("weak-model",), PREFIX + request.small_model if request.small_model else None)
        if doc.has(("editor-model",)):  # only when set: it would stay on the previous provider's model
            doc.set(("editor-model",), PREFIX + request.model)
        doc.set(("openai-api-base",), endpoint.base_url)
        doc.set(("openai-api-key",), common.plaintext_key(request))
        secret = common.needs_key(request.provider)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=request.small_model,
            changes=common.changes(config.change(new_file_mode=common.PRIVATE_MODE, holds_secret=secret)),
            warnings=self._warnings(env, config.before is not None and secret),
            notes=("Restart Aider to pick this up.",),
            overrides=self._effective(env, doc.data)[0],
        )

    def _warnings(self, env: ToolEnv, existing_file_gets_key: bool) -> tuple[str, ...]:
        path = self.config_path(env)
        if existing_file_gets_key and stat.S_IMODE(path.stat().st_mode) & 0o077:
            return (f"{path} will hold the key, so Switchover makes it readable by you only (mode 0600).",)
        return ()
