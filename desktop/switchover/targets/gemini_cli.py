"""Gemini CLI: base URL and key only by environment, so they go to `~/.gemini/.env` (mode 0600).

Gemini CLI cannot run a command for its key; `.env` is the narrowest file it reads one from. It loads only
the first `.env` it finds walking up from the working directory, and never overrides variables already set
in the environment: both cases are warned about.
"""

from __future__ import annotations

from pathlib import Path

from switchover.core.providers import Protocol
from switchover.core.switching.contract import CurrentChoice, SwitchPlan, SwitchRequest, Target, ToolEnv
from switchover.targets import common

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
BASE_URL_VAR = "GOOGLE_GEMINI_BASE_URL"
KEY_VAR = "GEMINI_API_KEY"
AUTH_TYPE = "gemini-api-key"
OWNED_SETTINGS = (("security", "auth", "selectedType"), ("model", "name"))
OWNED_ENV = ((BASE_URL_VAR,), (KEY_VAR,))


class GeminiCli(Target):
    id = "gemini-cli"
    label = "Gemini CLI"
    protocols = (Protocol.GEMINI,)
    binaries = ("gemini",)

    def config_dir(self, env: ToolEnv) -> Path:
        override = env.environ.get("GEMINI_CLI_HOME")  # replaces the home directory, not .gemini
        return (Path(override) if override else env.home) / ".gemini"

    def settings_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / "settings.json"

    def env_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / ".env"

    def shadowing_env_files(self, env: ToolEnv) -> tuple[Path, ...]:
        """`.env` files Gemini CLI would read instead of ours (it stops at the first one it finds)."""
        if env.cwd is None:
            return ()
        found = []
        for folder in (env.cwd, *env.cwd.parents):
            if folder == env.home:
                break
            found += [folder / ".gemini" / ".env", folder / ".env"]
        return common.existing(found)

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        project = [env.cwd / ".gemini" / "settings.json"] if env.cwd else []
        system = [] if common.windows(env) else [Path("/etc/gemini-cli/settings.json")]
        return common.existing([*project, *system]) + self.shadowing_env_files(env)

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.settings_path(env), self.env_path(env))

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        settings = common.load_existing("jsonc", self.settings_path(env))
        dotenv = common.load_existing("dotenv", self.env_path(env))
        if settings is None and dotenv is None:
            return None
        base_url = dotenv.get((BASE_URL_VAR,)) if dotenv else None
        return CurrentChoice(
            base_url=base_url or DEFAULT_BASE_URL,
            model=settings.get(("model", "name")) if settings else None,
            protocol=Protocol.GEMINI,
            detail=f"auth: {settings.get(('security', 'auth', 'selectedType')) if settings else None}",
        )

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        settings = common.load("jsonc", self.settings_path(env))
        settings.doc.set(("security", "auth", "selectedType"), AUTH_TYPE)
        settings.doc.set(("model", "name"), request.model)

        dotenv = common.load("dotenv", self.env_path(env))
        is_default = endpoint.base_url.rstrip("/") == DEFAULT_BASE_URL
        common.set_or_delete(dotenv.doc, (BASE_URL_VAR,), None if is_default else endpoint.base_url)
        uses_own_env_var = request.provider.credential.env_var == KEY_VAR
        key = None if uses_own_env_var else common.plaintext_key(request)
        common.set_or_delete(dotenv.doc, (KEY_VAR,), key)
        holds_secret = key is not None and common.needs_key(request.provider)
        env_change = dotenv.change(new_file_mode=common.PRIVATE_MODE, holds_secret=holds_secret)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=None,
            changes=common.changes(settings.change(), env_change),
            warnings=self._warnings(env),
            notes=(
                "Restart Gemini CLI to pick this up. It reads ~/.gemini/.env only in trusted folders "
                "(headless runs need --skip-trust or GEMINI_CLI_TRUST_WORKSPACE=true).",
            ),
        )

    def _warnings(self, env: ToolEnv) -> tuple[str, ...]:
        warnings = [
            f"${var} is set in the environment and wins over {self.env_path(env)}; unset it."
            for var in (BASE_URL_VAR, KEY_VAR, "GEMINI_MODEL")
            if env.environ.get(var)
        ]
        warnings += [
            f"Gemini CLI reads {path} instead of {self.env_path(env)} when started below {path.parent}."
            for path in self.shadowing_env_files(env)
        ]
        project = [p for p in self.override_paths(env) if p.name == "settings.json"]
        warnings += common.override_warnings(self.label, project, "jsonc", OWNED_SETTINGS)
        return tuple(warnings)
