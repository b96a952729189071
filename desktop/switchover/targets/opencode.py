"""OpenCode: our own `provider.switchover` entry plus top-level `model`/`small_model`.

The key is written as `{env:VAR}`: OpenCode substitutes it at start, so no secret lands on disk.

What OpenCode actually uses (opencode 1.18.33, each case run against stand-ins): it merges the user config,
then `opencode.json(c)` / `.opencode/opencode.json(c)` of the project (cwd up to the git root, nearer wins),
then the JSON in `OPENCODE_CONFIG_CONTENT`. The default agent (`default_agent`, else "build") runs with
`mode.<agent>.model` (legacy, wins when both are set), else `agent.<agent>.model`, else `model`. A provider
missing from `enabled_providers`, or listed in `disabled_providers`, is not loaded: the run fails without a
request. In the user file, Switchover can make the agent's model and the provider lists point at its entry
too, on request; in project files and the environment it only says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from switchover.core import safejson
from switchover.core.errors import ConfigFileError
from switchover.core.formats.document import ConfigDocument, DocPath, dotted
from switchover.core.providers import Endpoint, Protocol
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
INLINE_CONFIG = "OPENCODE_CONFIG_CONTENT"
AGENT_SECTIONS = ("mode", "agent")  # where an agent's own model can be set, the winning one first
_PROJECT_NAMES = ("opencode.json", "opencode.jsonc", ".opencode/opencode.json", ".opencode/opencode.jsonc")


Layer = tuple[Path | None, dict[str, Any]]  # (file, or None for the environment; its data)


def _last(layers: list[Layer], path: DocPath) -> tuple[Path | None, Any] | None:
    """The layer that decides `path` (the last one setting it) and its value."""
    for source, data in reversed(layers):
        node: Any = data
        for segment in path:
            node = node.get(segment) if isinstance(node, dict) else None
        if node is not None:
            return source, node
    return None


def _deciding_model(layers: list[Layer]) -> tuple[DocPath, Path | None, str] | None:
    """Which key gives the model the default agent runs with: (key, file, "provider/model")."""
    agent_found = _last(layers, ("default_agent",))
    agent = agent_found[1] if agent_found and isinstance(agent_found[1], str) else "build"
    for path in (*((section, agent, "model") for section in AGENT_SECTIONS), ("model",)):
        found = _last(layers, path)
        if found is not None and isinstance(found[1], str):
            return path, found[0], found[1]
    return None
_ENV_REF = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_FILE_REF = re.compile(r"\{file:([^}]+)\}")


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
    inline_config_var = INLINE_CONFIG  # forks read their own variable
    accompanying_env: tuple[str, ...] = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")  # its built-in providers read them

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
        """The project's config files, outermost first (OpenCode merges them in that order, nearer wins)."""
        if env.cwd is None:
            return ()
        folders = []
        for folder in (env.cwd, *env.cwd.parents):
            if folder == env.home:
                break
            folders.append(folder)
            if (folder / ".git").exists():
                break
        user = self.config_path(env)
        return tuple(p for folder in reversed(folders) for p in common.existing(folder / n for n in _PROJECT_NAMES)
                     if p != user)

    # -- what OpenCode actually uses ------------------------------------------------------------------------

    def _layers(self, env: ToolEnv, user: dict[str, Any]) -> tuple[list[Layer], list[Override]]:
        """The configs OpenCode merges, lowest precedence first, and the ones that could not be read."""
        layers: list[Layer] = [(self.config_path(env), user)]
        unreadable: list[Override] = []
        for path in self.override_paths(env):
            try:
                data = common.load("jsonc", path).doc.data
            except ConfigFileError as exc:
                reason = f"this project's {self.label} config cannot be read ({exc.detail})"
                unreadable.append(Override(reason, path, ""))
                continue
            layers.append((path, data if isinstance(data, dict) else {}))
        inline = env.environ.get(self.inline_config_var)
        if inline:
            try:
                data = safejson.loads(inline)
            except ValueError:
                data = {}
            layers.append((None, data if isinstance(data, dict) else {}))
        return layers, unreadable

    def _overrides(self, env: ToolEnv, user: dict[str, Any]) -> tuple[tuple[Override, ...], str | None]:
        """What OpenCode ranks above the user file's `model`, and the "provider/model" it will really use."""
        layers, found = self._layers(env, user)
        user_path = self.config_path(env)
        deciding = _deciding_model(layers)
        used = deciding[2] if deciding else None
        written = user.get("model") if isinstance(user.get("model"), str) else None
        if deciding is not None and used != written and deciding[:2] != (("model",), user_path):
            key, source, _ = deciding
            agent = key[1] if len(key) == 3 else ""
            reason = (f"the {agent} agent runs with a model of its own, {used}" if agent
                      else f"{'the inline config in the environment' if source is None else 'a project config'} "
                           f"sets the model, {used}")
            fix = f"set it to {written}" if source == user_path and agent and written else ""
            found.append(Override(reason, source, self.inline_config_var if source is None else dotted(key), fix))
        # The provider in use, and the user file's own (ours after a switch: it must be loaded too once an
        # agent's own model stops winning), must pass the allow/deny lists.
        for provider_id in dict.fromkeys(str(ref).partition("/")[0] for ref in (used, written) if ref):
            found += self._provider_filters(layers, user_path, provider_id)
        return tuple(found), used

    def _provider_filters(self, layers: list[Layer], user_path: Path, provider_id: str) -> list[Override]:
        found = []
        allowed = _last(layers, ("enabled_providers",))
        if allowed is not None and isinstance(allowed[1], list) and provider_id not in allowed[1]:
            found.append(Override(f"{self.label} loads only the providers in enabled_providers, and “{provider_id}” "
                                  "is not one of them (the run fails)", allowed[0],
                                  self.inline_config_var if allowed[0] is None else "enabled_providers",
                                  f"add “{provider_id}” to it" if allowed[0] == user_path else ""))
        denied = _last(layers, ("disabled_providers",))
        if denied is not None and isinstance(denied[1], list) and provider_id in denied[1]:
            found.append(Override(f"disabled_providers turns “{provider_id}” off (the run fails)", denied[0],
                                  self.inline_config_var if denied[0] is None else "disabled_providers",
                                  f"take “{provider_id}” out of it" if denied[0] == user_path else ""))
        return found

    def _fix(self, doc: ConfigDocument, overrides: tuple[Override, ...], user_path: Path) -> tuple[Override, ...]:
        """Make the fixable overrides in the user file point at Switchover's entry; returns those changed."""
        fixed = []
        model = doc.get(("model",))
        for override in overrides:
            if not override.fix or override.path != user_path:
                continue
            if override.key == "enabled_providers":
                doc.append(("enabled_providers",), PROVIDER_ID)
            elif override.key == "disabled_providers":
                for index in reversed(_indices(doc.get(("disabled_providers",)), PROVIDER_ID)):
                    doc.delete(("disabled_providers", index))
            else:  # mode.<agent>.model / agent.<agent>.model: every section that names one for this agent
                agent = override.key.split(".")[1]
                for section in AGENT_SECTIONS:
                    if doc.has((section, agent, "model")):
                        doc.set((section, agent, "model"), model)
            fixed.append(override)
        return tuple(fixed)

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        return (self.config_path(env),)

    def config_present(self, env: ToolEnv) -> bool:
        return self.config_dir(env).is_dir()


    def current(self, env: ToolEnv) -> CurrentChoice | None:
        doc = common.load_existing("jsonc", self.config_path(env))
        if doc is None:
            return None
        data = doc.data if isinstance(doc.data, dict) else {}
        overrides, used = self._overrides(env, data)
        layers, _ = self._layers(env, data)
        provider_id, _, model = str(used or "").partition("/")
        found = _last(layers, ("provider", provider_id)) if provider_id else None
        entry = found[1] if found is not None and isinstance(found[1], dict) else {}
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
            overrides=overrides,
        )

    def current_key(self, env: ToolEnv) -> FoundKey | None:
        path = self.config_path(env)
        doc = common.load_existing("jsonc", path)
        if doc is None:
            return None
        provider_id = str(doc.get(("model",)) or "").partition("/")[0]
        api_key = doc.get(("provider", provider_id, "options", "apiKey")) if provider_id else None
        if not isinstance(api_key, str) or not api_key.strip():
            return None  # a built-in provider: OpenCode keeps its key in its own auth store
        where = f"provider.{provider_id}.options.apiKey"
        if match := _ENV_REF.fullmatch(api_key.strip()):
            return common.key_from_env(match.group(1), env)
        if match := _FILE_REF.fullmatch(api_key.strip()):
            name = match.group(1).strip()
            key_file = env.home / name[2:] if name.startswith("~/") else path.parent / name  # as OpenCode resolves
            text = (common.read_bytes(key_file) or b"").decode("utf-8", "replace").strip()
            return FoundKey(f"{common.home_path(key_file, env)} (named by {where})", value=text or None,
                            note="" if text else f"{key_file} is empty or missing")
        return common.key_in_file(path, where, api_key, env)

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        # Verified with opencode 1.18.33: a '#' in the model id makes every run fail ("UnknownError").
        common.refuse_model_parts(self.label, request, ("#",), "it fails to start with one")
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
        user_path = self.config_path(env)
        planned = config.doc.data if isinstance(config.doc.data, dict) else {}
        overrides, _ = self._overrides(env, planned)
        fixed: tuple[Override, ...] = ()
        if request.include_overrides:
            fixed = self._fix(config.doc, overrides, user_path)
            overrides, _ = self._overrides(env, config.doc.data if isinstance(config.doc.data, dict) else {})
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=request.small_model,
            changes=common.changes(config.change()),
            warnings=common.override_warnings(self.label, self.override_paths(env), "jsonc", OWNED_KEYS),
            notes=(f"Restart {self.label} to pick this up.",
                   *(() if request.key_file is not None else common.env_key_note(self.label, provider, env))),
            overrides=overrides,
            fixed=fixed,
        )


def _indices(items: object, value: str) -> list[int]:
    return [i for i, item in enumerate(items) if item == value] if isinstance(items, list) else []

