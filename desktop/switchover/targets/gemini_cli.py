"""Gemini CLI: base URL and key only by environment, so they go to `~/.gemini/.env` (mode 0600).

Gemini CLI cannot run a command for its key; `.env` is the narrowest file it reads one from. It loads only
the first `.env` it finds walking up from the working directory, and never overrides variables already set
in the environment: both cases are warned about.
"""

from __future__ import annotations

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
    TargetRefusal,
    ToolEnv,
)
from switchover.targets import common

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
BASE_URL_VAR = "GOOGLE_GEMINI_BASE_URL"
KEY_VAR = "GEMINI_API_KEY"
AUTH_TYPE = "gemini-api-key"
OWNED_SETTINGS = (("security", "auth", "selectedType"), ("model", "name"))
MODEL_VAR = "GEMINI_MODEL"
SYSTEM_SETTINGS = Path("/etc/gemini-cli/settings.json")
_DECIDING: dict[DocPath, str] = {
    ("model", "name"): "the model (model.name)",
    ("security", "auth", "selectedType"): "how it signs in (security.auth.selectedType)",
}


class GeminiCli(Target):
    id = "gemini-cli"
    label = "Gemini CLI"
    protocols = (Protocol.GEMINI,)
    binaries = ("gemini",)
    overriding_env = (BASE_URL_VAR, KEY_VAR, "GEMINI_MODEL")  # .env never overrides the environment
    accompanying_env = ("GOOGLE_API_KEY",)

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
        system = [] if common.windows(env) else [SYSTEM_SETTINGS]
        return common.existing([*project, *system]) + self.shadowing_env_files(env)

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.settings_path(env), self.env_path(env))

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def layers(self, env: ToolEnv) -> list[common.Layer]:
        """Settings Gemini CLI ranks above the user file: the project's, then the system's (highest)."""
        found = []
        if env.cwd is not None:
            found.append(common.Layer(env.cwd / ".gemini" / "settings.json", "jsonc",
                                      "this project's .gemini/settings.json"))
        if not common.windows(env):
            found.append(common.Layer(SYSTEM_SETTINGS, "jsonc", "the system settings (set by an administrator)"))
        return [layer for layer in found if layer.path.is_file()]

    def _effective(self, env: ToolEnv, settings: object, dotenv: object) -> tuple[tuple[Override, ...], str | None,
                                                                                   object]:
        """What Gemini CLI ranks above ~/.gemini: overrides, and the base URL and model it will use."""
        overrides, effective = common.layered(self.label, settings, self.layers(env), _DECIDING)
        found = list(overrides)
        ours = dotenv if isinstance(dotenv, dict) else {}
        base_url = ours.get(BASE_URL_VAR)
        shadows = self.shadowing_env_files(env)
        if shadows and ours:  # only the first .env found is read: ours is not read at all
            shadow = shadows[0]
            found.append(Override(f"Gemini CLI reads {shadow} instead of {self.env_path(env)} (it loads only the "
                                  "first .env it finds, from the folder it starts in upwards)", shadow, ""))
            try:
                base_url = common.load("dotenv", shadow).doc.get((BASE_URL_VAR,))
            except ConfigFileError:
                base_url = None
        model = effective.get(("model", "name"))
        for var, written in ((BASE_URL_VAR, ours.get(BASE_URL_VAR)), (KEY_VAR, ours.get(KEY_VAR)),
                             (MODEL_VAR, model)):
            value = env.environ.get(var)
            if value and written is not None and value != written:
                what = {BASE_URL_VAR: "the endpoint", KEY_VAR: "the key", MODEL_VAR: "the model"}[var]
                found.append(Override(f"{what} comes from the environment, which Gemini CLI reads before "
                                      f"{self.env_path(env).name} and settings.json", None, var))
                if var == BASE_URL_VAR:
                    base_url = value
                elif var == MODEL_VAR:
                    model = value
        return tuple(found), str(base_url) if base_url else None, model

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        settings = common.load_existing("jsonc", self.settings_path(env))
        dotenv = common.load_existing("dotenv", self.env_path(env))
        if settings is None and dotenv is None:
            return None
        overrides, base_url, model = self._effective(env, settings.data if settings else {},
                                                     dotenv.data if dotenv else {})
        return CurrentChoice(
            base_url=base_url or DEFAULT_BASE_URL,
            model=str(model) if model else None,
            protocol=Protocol.GEMINI,
            detail=f"auth: {settings.get(('security', 'auth', 'selectedType')) if settings else None}",
            overrides=overrides,
        )

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        if self.current(env) is None:
            return None
        found = common.key_from_env(KEY_VAR, env, fallbacks=(self.env_path(env), env.home / ".env"))
        return None if found.value is None and not found.ours else found

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        # The model id goes into the request path (models/ID:streamGenerateContent). Gemini CLI 0.61's API client
        # rejects '?', '&' and '..' ("invalid model parameter"); '#', '%', a backslash (sent as '/') or another
        # '/' would reach the provider as a different path.
        common.refuse_model_parts(self.label, request, ("?", "&", "..", "#", "%", "\\"),
                                  "the id goes into the request URL, where these would change it")
        for model in common.model_list(request):
            if "/" in model.removeprefix("models/").removeprefix("tunedModels/"):
                raise TargetRefusal(f"{self.label} cannot use the model id {model!r}: it puts the id into the "
                                    "request URL, where a '/' would change the path. Pick another model.")
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
            overrides=self._effective(env, settings.doc.data, dotenv.doc.data)[0],
            notes=(
                "Restart Gemini CLI to pick this up. It reads ~/.gemini/.env only in trusted folders "
                "(headless runs need --skip-trust or GEMINI_CLI_TRUST_WORKSPACE=true).",
            ),
        )
