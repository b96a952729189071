"""Claude Code: `settings.json` `env` block + `apiKeyHelper`, so the file names a command, never a key.

Verified against the pinned CLI (docs/real-tools.md): settings `env` beats the process environment, and the
helper's output is sent as both `Authorization: Bearer` and `x-api-key`. `~/.claude.json` is the tool's own
state and is not touched (no onboarding flag is needed).
"""

from __future__ import annotations

from pathlib import Path

from switchover.core.formats.document import DocPath
from switchover.core.providers import AuthStyle, Protocol
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

DEFAULT_BASE_URL = "https://api.anthropic.com"
_MODEL_VARS = ("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL")
# Claude Code re-serialises the whole settings.json (e.g. "opus" -> "opus[1m]") when the alias the user picked
# in top-level `model` maps to a model id it does not know. ANTHROPIC_MODEL already wins over `model`, so the
# alias variable of the user's own pick is left out (docs/real-tools.md, Claude Code).
_ALIAS_VARS = {"opus": "ANTHROPIC_DEFAULT_OPUS_MODEL", "sonnet": "ANTHROPIC_DEFAULT_SONNET_MODEL"}
_SMALL_VAR = "ANTHROPIC_DEFAULT_HAIKU_MODEL"  # also used for background tasks
# Deprecated small-model variable: removed so background tasks do not stay on the previous provider's model.
_REMOVED_VAR = "ANTHROPIC_SMALL_FAST_MODEL"
# Written as "" so a key exported in the user's shell is not sent to this provider (with a helper it would
# even replace the helper's key in x-api-key).
_API_KEY_VAR = "ANTHROPIC_API_KEY"
_TOKEN_VAR = "ANTHROPIC_AUTH_TOKEN"  # only the dummy for keyless local servers; removed otherwise
# Set only when the user had set it: it would keep subagents on the previous provider's model.
_SUBAGENT_VAR = "CLAUDE_CODE_SUBAGENT_MODEL"
OWNED_KEYS: tuple[tuple[str, ...], ...] = (
    ("env", "ANTHROPIC_BASE_URL"),
    *(("env", v) for v in (*_MODEL_VARS, _SMALL_VAR, _REMOVED_VAR, _API_KEY_VAR, _TOKEN_VAR, _SUBAGENT_VAR)),
    ("apiKeyHelper",),
)
# What decides where a turn goes: a settings file Claude Code ranks higher that sets one of these wins.
_DECIDING: dict[DocPath, str] = {
    ("env", "ANTHROPIC_BASE_URL"): "the endpoint (env.ANTHROPIC_BASE_URL)",
    ("env", "ANTHROPIC_MODEL"): "the model (env.ANTHROPIC_MODEL)",
    ("apiKeyHelper",): "the key command (apiKeyHelper)",
    ("env", _TOKEN_VAR): "the key (env.ANTHROPIC_AUTH_TOKEN)",
    ("env", _API_KEY_VAR): "the key (env.ANTHROPIC_API_KEY)",
}


class ClaudeCode(Target):
    id = "claude-code"
    label = "Claude Code"
    protocols = (Protocol.ANTHROPIC,)
    binaries = ("claude",)
    # settings.json `env` wins over the process environment (docs/real-tools.md), but a key exported in a
    # shell start-up file is still handed to every program started from it.
    accompanying_env = ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_MODEL",
                        "ANTHROPIC_SMALL_FAST_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL",
                        "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL")

    def config_dir(self, env: ToolEnv) -> Path:
        override = env.environ.get("CLAUDE_CONFIG_DIR")
        return Path(override) if override else env.home / ".claude"

    def settings_path(self, env: ToolEnv) -> Path:
        return self.config_dir(env) / "settings.json"

    def managed_settings(self, env: ToolEnv) -> Path:
        if common.windows(env):
            return Path("C:/Program Files/ClaudeCode/managed-settings.json")
        if env.platform == "darwin":
            return Path("/Library/Application Support/ClaudeCode/managed-settings.json")
        return Path("/etc/claude-code/managed-settings.json")

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        project = [env.cwd / ".claude" / n for n in ("settings.json", "settings.local.json")] if env.cwd else []
        return common.existing([*project, self.managed_settings(env)])

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.settings_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def layers(self, env: ToolEnv) -> list[common.Layer]:
        """Settings Claude Code ranks above the user file: project, local project, managed (highest last)."""
        found = []
        if env.cwd is not None:
            for name, role in (("settings.json", "this project's .claude/settings.json"),
                               ("settings.local.json", "this project's .claude/settings.local.json")):
                found.append(common.Layer(env.cwd / ".claude" / name, "json", role))
        found.append(common.Layer(self.managed_settings(env), "json", "the managed settings (set by an administrator)"))
        return [layer for layer in found if layer.path.is_file()]

    def _effective(self, env: ToolEnv, user: object) -> tuple[tuple[Override, ...], dict[DocPath, object]]:
        return common.layered(self.label, user, self.layers(env), _DECIDING)

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("json", self.settings_path(env))
        if doc is None:
            return None
        overrides, effective = self._effective(env, doc.data)
        base_url = effective.get(("env", "ANTHROPIC_BASE_URL"))
        model = effective.get(("env", "ANTHROPIC_MODEL")) or doc.get(("model",))
        return CurrentChoice(
            base_url=str(base_url) if base_url else DEFAULT_BASE_URL,
            model=str(model) if model else None,
            protocol=Protocol.ANTHROPIC,
            small_model=doc.get(("env", _SMALL_VAR)),
            detail="" if base_url else "Anthropic's own API (no ANTHROPIC_BASE_URL set)",
            overrides=overrides,
        )

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.settings_path(env)
        doc = common.load_existing("json", path)
        if doc is None:
            return None
        helper = doc.get(("apiKeyHelper",))
        where = f"{common.home_path(path, env)} apiKeyHelper"
        if helper:
            if common.is_our_key_command(helper):
                return FoundKey(where, ours=True)
            return FoundKey(where, note="Claude Code runs a key command of yours; Switchover does not run it")
        styles = ((_TOKEN_VAR, AuthStyle.BEARER), (_API_KEY_VAR, AuthStyle.X_API_KEY))
        for var, auth in styles:
            found = common.key_in_file(path, f"env.{var}", doc.get(("env", var)), env, auth)
            if found is not None:
                return found
        for var, auth in styles:  # settings `env` wins over the process environment, even when blank
            if not doc.has(("env", var)) and env.environ.get(var):
                return common.key_from_env(var, env, auth)
        return None

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        settings = common.load("json", self.settings_path(env))
        doc = settings.doc
        doc.set(("env", "ANTHROPIC_BASE_URL"), endpoint.base_url)
        user_alias = str(doc.get(("model",)) or "").split("[", 1)[0].strip().lower()
        for var in _MODEL_VARS:
            if var == _ALIAS_VARS.get(user_alias):
                doc.delete(("env", var))
            else:
                doc.set(("env", var), request.model)
        doc.set(("env", _SMALL_VAR), request.small_model or request.model)
        doc.delete(("env", _REMOVED_VAR))
        if doc.has(("env", _SUBAGENT_VAR)):
            doc.set(("env", _SUBAGENT_VAR), request.model)
        doc.set(("env", _API_KEY_VAR), "")
        if common.needs_key(request.provider):
            doc.delete(("env", _TOKEN_VAR))
            doc.set(("apiKeyHelper",), common.shell_command(request.key_command, env))
        else:
            doc.delete(("apiKeyHelper",))
            doc.set(("env", _TOKEN_VAR), common.LOCAL_DUMMY_KEY)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=request.small_model,
            changes=common.changes(settings.change()),
            notes=("Claude Code picks up settings.json edits live; a running session keeps its model.",),
            overrides=self._effective(env, doc.data)[0],
        )
