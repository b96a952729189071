"""Any other tool: `switchover/env.sh`, sourced from the user's shell profile, exports ANTHROPIC_* / OPENAI_*.

The key is fetched at source time by `$(switchover key NAME)`, so the file holds no secret. The whole file is
ours and regenerated on every switch. It also exports `SWITCHOVER_<NAME>_API_KEY`, the variable that tools
which read keys only from the environment (OpenCode, Qwen Code, Goose) are pointed at.
"""

from __future__ import annotations

from pathlib import Path

from switchover.core import shell_script
from switchover.core.errors import ConfigFileError
from switchover.core.providers import Protocol
from switchover.core.switching.contract import (
    CurrentChoice,
    Detection,
    FileChange,
    SwitchPlan,
    SwitchRequest,
    Target,
    TargetRefusal,
    ToolEnv,
)
from switchover.targets import common

HEADER = (
    "Written by Switchover; regenerated on every switch, so edits here are lost.",
    "Load it from your shell profile:  . {path}",
)


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
        try:
            values = shell_script.parse_posix_exports(data.decode("utf-8", "replace"))
        except ValueError as exc:
            raise ConfigFileError(self.env_file(env), f"cannot be read back: {exc}") from None
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
        try:
            after = render(request, path).encode("utf-8")
        except ValueError as exc:  # a value no shell variable can hold (NUL)
            raise TargetRefusal(f"{self.label}: {exc}") from None
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


def script(request: SwitchRequest, path: Path | None = None) -> shell_script.EnvScript:
    """What the shell environment exports for `request`, as data; `shell_script.render` quotes it per shell."""
    provider = request.provider
    needs_key = common.needs_key(provider)
    key: str | shell_script.KeyRef = shell_script.KEY if needs_key else common.LOCAL_DUMMY_KEY
    exports: list[tuple[str, str | shell_script.KeyRef]] = []
    anthropic = provider.endpoint(Protocol.ANTHROPIC)
    if anthropic is not None:
        exports += [
            ("ANTHROPIC_BASE_URL", anthropic.base_url),
            ("ANTHROPIC_AUTH_TOKEN", key),
            ("ANTHROPIC_MODEL", request.model),
        ]
        if request.small_model:
            exports.append(("ANTHROPIC_SMALL_FAST_MODEL", request.small_model))
    openai = provider.endpoint(Protocol.OPENAI_CHAT) or provider.endpoint(Protocol.OPENAI_RESPONSES)
    if openai is not None:
        exports += [
            ("OPENAI_BASE_URL", openai.base_url),
            ("OPENAI_API_KEY", key),
            ("OPENAI_MODEL", request.model),
        ]
    if needs_key and provider.credential.kind != "env":
        exports.append((common.key_env_var(provider), key))
    comments = () if path is None else tuple(line.format(path=shell_script.posix_quote(str(path))) for line in HEADER)
    return shell_script.EnvScript(tuple(exports), tuple(request.key_command) if needs_key else None, comments)


def render(request: SwitchRequest, path: Path) -> str:
    """`env.sh` for POSIX shells (sh, dash, bash, zsh source it alike)."""
    return shell_script.render(script(request, path), "sh")
