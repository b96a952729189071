"""Any other tool: `switchover/env.sh`, sourced from the user's shell profile, exports ANTHROPIC_* / OPENAI_*.

The key is fetched at source time by `$(switchover key NAME)`, so the file holds no secret. The whole file is
ours and regenerated on every switch. It also exports `SWITCHOVER_<NAME>_API_KEY`, the variable that tools
which read keys only from the environment (OpenCode, Qwen Code, Goose) are pointed at.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from switchover.core.providers import Protocol
from switchover.core.switching.contract import (
    CurrentChoice,
    Detection,
    FileChange,
    SwitchPlan,
    SwitchRequest,
    Target,
    ToolEnv,
)
from switchover.targets import common

HEADER = (
    "# Written by Switchover; regenerated on every switch, so edits here are lost.\n"
    "# Load it from your shell profile:  . {path}\n"
)
_KEY_VAR = "_switchover_key"
_EXPORT_RE = re.compile(r"^export (\w+)=(.*)$", re.MULTILINE)


class ShellEnv(Target):
    id = "shell-env"
    label = "Shell environment (other tools)"
    protocols = (Protocol.OPENAI_CHAT, Protocol.ANTHROPIC, Protocol.OPENAI_RESPONSES)

    def env_file(self, env: ToolEnv) -> Path:
        return common.shell_env_file(env)

    def detect(self, env: ToolEnv) -> Detection:
        return Detection(installed=True, binary=None, config_paths=(self.env_file(env),))

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        data = common.read_bytes(self.env_file(env))
        if data is None:
            return None
        values = {name: _unquote(value) for name, value in _EXPORT_RE.findall(data.decode("utf-8", "replace"))}
        prefix, protocol = ("ANTHROPIC", Protocol.ANTHROPIC) if "ANTHROPIC_BASE_URL" in values else (
            "OPENAI", Protocol.OPENAI_CHAT)
        base_url = values.get(f"{prefix}_BASE_URL")
        model = f"{prefix}_MODEL"
        return CurrentChoice(
            base_url=base_url,
            model=values.get(model),
            protocol=protocol if base_url else None,
            small_model=values.get("ANTHROPIC_SMALL_FAST_MODEL"),
        )

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        endpoint = self.choose_endpoint(request.provider)
        path = self.env_file(env)
        after = render(request, path).encode("utf-8")
        before = common.read_bytes(path)
        change = None if after == before else FileChange(path, before, after, new_file_mode=common.PRIVATE_MODE)
        return SwitchPlan(
            tool=self.id,
            endpoint=endpoint,
            model=request.model,
            small_model=request.small_model,
            changes=common.changes(change),
            notes=(f"New shells pick this up once your profile sources {path}.",),
        )


def render(request: SwitchRequest, path: Path) -> str:
    provider = request.provider
    lines = [HEADER.format(path=shlex.quote(str(path)))]
    if common.needs_key(provider):
        lines.append(f'{_KEY_VAR}="$({shlex.join(request.key_command)})"')
        key = f'"${_KEY_VAR}"'
    else:
        key = shlex.quote(common.LOCAL_DUMMY_KEY)
    anthropic = provider.endpoint(Protocol.ANTHROPIC)
    if anthropic is not None:
        lines += [
            _export("ANTHROPIC_BASE_URL", shlex.quote(anthropic.base_url)),
            _export("ANTHROPIC_AUTH_TOKEN", key),
            _export("ANTHROPIC_MODEL", shlex.quote(request.model)),
        ]
        if request.small_model:
            lines.append(_export("ANTHROPIC_SMALL_FAST_MODEL", shlex.quote(request.small_model)))
    openai = provider.endpoint(Protocol.OPENAI_CHAT) or provider.endpoint(Protocol.OPENAI_RESPONSES)
    if openai is not None:
        lines += [
            _export("OPENAI_BASE_URL", shlex.quote(openai.base_url)),
            _export("OPENAI_API_KEY", key),
            _export("OPENAI_MODEL", shlex.quote(request.model)),
        ]
    if common.needs_key(provider) and provider.credential.kind != "env":
        lines.append(_export(common.key_env_var(provider), key))
    if common.needs_key(provider):
        lines.append(f"unset {_KEY_VAR}")
    return "\n".join(lines) + "\n"


def _export(name: str, value: str) -> str:
    return f"export {name}={value}"


def _unquote(value: str) -> str:
    parts = shlex.split(value) if not value.startswith('"$') else [value]
    return parts[0] if parts else ""
