"""Aider: `~/.aider.conf.yml` keys `model`, `weak-model`, `openai-api-base`, `openai-api-key`.

Aider cannot run a command for its key nor name a variable holding it, so the key is written in plaintext
to its own config file (created 0600; `holds_secret` lists it in `switchover exposure`). Everything goes
through the OpenAI-compatible route (`openai/<model>`), which every provider with chat completions offers.
Checked by hand with aider 0.86.2 (PyPI) against a stand-in: two switches, each turn reached the right one.
"""

from __future__ import annotations

import stat
from pathlib import Path

from switchover.core.providers import Protocol
from switchover.core.switching.contract import CurrentChoice, SwitchPlan, SwitchRequest, Target, ToolEnv
from switchover.targets import common

PREFIX = "openai/"
OWNED_KEYS = (("model",), ("weak-model",), ("editor-model",), ("openai-api-base",), ("openai-api-key",))
_ENV_OVERRIDES = ("AIDER_MODEL", "AIDER_WEAK_MODEL", "AIDER_OPENAI_API_BASE", "AIDER_OPENAI_API_KEY")


class Aider(Target):
    id = "aider"
    label = "Aider"
    protocols = (Protocol.OPENAI_CHAT,)
    binaries = ("aider",)

    def config_path(self, env: ToolEnv) -> Path:
        return env.home / ".aider.conf.yml"

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        """Aider also reads the file in the git root and the working directory; later files win."""
        if env.cwd is None:
            return ()
        folders = [env.cwd]
        git_root = next((f for f in (env.cwd, *env.cwd.parents) if (f / ".git").exists()), None)
        if git_root is not None and git_root != env.cwd:
            folders.append(git_root)
        found = common.existing(f / ".aider.conf.yml" for f in folders)
        return tuple(p for p in found if p != self.config_path(env))

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.config_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_path(env).is_file()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("yaml", self.config_path(env))
        if doc is None:
            return None
        model = doc.get(("model",))
        weak = doc.get(("weak-model",))
        base_url = doc.get(("openai-api-base",))
        return CurrentChoice(
            base_url=base_url,
            model=model.removeprefix(PREFIX) if isinstance(model, str) else None,
            protocol=Protocol.OPENAI_CHAT if base_url else None,
            small_model=weak.removeprefix(PREFIX) if isinstance(weak, str) else None,
        )

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
        )

    def _warnings(self, env: ToolEnv, existing_file_gets_key: bool) -> tuple[str, ...]:
        warnings = [f"${var} is set in the environment and wins over the config file." for var in _ENV_OVERRIDES
                    if env.environ.get(var)]
        path = self.config_path(env)
        if existing_file_gets_key and stat.S_IMODE(path.stat().st_mode) & 0o077:
            warnings.append(f"{path} will hold the key, so Switchover makes it readable by you only (mode 0600).")
        warnings += common.override_warnings(self.label, self.override_paths(env), "yaml", OWNED_KEYS)
        return tuple(warnings)
