"""The one interface every tool target implements: detect → read current → plan. The engine applies.

The engine owns this contract, so it lives in core next to the engine; `switchover.targets` implements it
(one module per tool). Targets are pure with respect to the user's files: they read, and they return the
exact new bytes for each file they would change (`FileChange`). Writing, backups, journal, rollback and undo
belong to the switching engine, so every target gets the same safety for free.
"""

from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from switchover.core.errors import SwitchoverError
from switchover.core.providers import AuthStyle, Endpoint, Protocol, Provider


class TargetRefusal(SwitchoverError):
    """The tool cannot be pointed at this provider/model; the message says why and what would work."""


@dataclass(frozen=True)
class ToolEnv:
    """Where to look: injectable so tests (and `--home`) never touch the real home directory."""

    home: Path
    environ: Mapping[str, str]
    platform: str = sys.platform
    cwd: Path | None = None

    @classmethod
    def current(cls) -> ToolEnv:
        return cls(Path.home(), dict(os.environ), sys.platform, Path.cwd())

    @property
    def windows(self) -> bool:
        return self.platform.startswith("win")

    def xdg_config_home(self) -> Path:
        value = self.environ.get("XDG_CONFIG_HOME")
        return Path(value) if value else self.home / ".config"

    def which(self, binary: str) -> Path | None:
        for folder in self.environ.get("PATH", "").split(os.pathsep):
            candidate = Path(folder) / binary
            if folder and candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        return None

    def which_tool(self, name: str) -> Path | None:
        """A tool's binary on PATH (Windows: also `.exe`/`.cmd`, as npm installs them)."""
        names = (name, f"{name}.exe", f"{name}.cmd") if self.windows else (name,)
        return next((found for n in names if (found := self.which(n)) is not None), None)


@dataclass(frozen=True)
class Detection:
    installed: bool  # binary on PATH or config dir present
    binary: Path | None
    config_paths: tuple[Path, ...]  # the user-level files this target reads/edits, in order of importance
    overrides: tuple[Path, ...] = ()  # project/managed files that may override the user file (warnings)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Override:
    """Something the tool ranks above the user config Switchover edits, so what was switched there is not what
    the tool uses: a project or managed file, an agent/mode model, a provider allow/deny list, an exported
    variable, a model picked in the tool's own menu, a legacy key.

    `fix` says what Switchover can change to make the switch take effect (an explicit, listed, undoable change
    made only when the user asks: `use --include-overrides`, the preview's checkbox); empty when only the user
    can (a managed file, an exported variable, a project file)."""

    reason: str  # plain words: "the build agent has a model of its own"
    path: Path | None  # the file holding it; None: the environment the tool starts in
    key: str  # the dotted key in that file, or the variable's name
    fix: str = ""

    def describe(self) -> str:
        if self.path is None:
            where = f"${self.key} in the environment"
        else:
            where = f"{self.path}: {self.key}" if self.key else str(self.path)
        return f"{self.reason} ({where})"


@dataclass(frozen=True)
class CurrentChoice:
    """What the tool will actually use, by its own precedence rules (`current()`): the user config Switchover
    edits, unless something the tool ranks higher says otherwise; then `overrides` says what and where."""

    base_url: str | None
    model: str | None
    protocol: Protocol | None
    provider: str | None = None  # the matching Switchover provider, when one matches base_url
    small_model: str | None = None
    detail: str = ""
    overrides: tuple[Override, ...] = ()

    @property
    def in_effect(self) -> bool:
        """Nothing ranks above the user config: what it says is what the tool uses."""
        return not self.overrides


@dataclass(frozen=True)
class FoundKey:
    """Where a tool gets the key it uses now, and the key itself when it can be read without running anything
    (adoption: `switchover import` and the setup wizard take it into the keychain, so switching back works).

    `value` is never shown, logged or repr'd. `ours` marks Switchover's own indirection (its key command, or
    a `SWITCHOVER_*` variable): there is nothing to adopt. `plaintext_in` names the tool's file that holds
    the key in plaintext (what `import --replace-plaintext` takes it out of).
    """

    where: str  # for people: "~/.claude/settings.json env.ANTHROPIC_AUTH_TOKEN", "$OPENAI_API_KEY"
    value: str | None = field(default=None, repr=False)
    env_var: str | None = None  # the tool reads the key from this environment variable
    auth: AuthStyle | None = None  # how the tool sends it, when it picks (Claude Code: bearer or x-api-key)
    plaintext_in: Path | None = None
    ours: bool = False
    note: str = ""  # why there is no value (e.g. "a key command of your own is not run")


@dataclass(frozen=True)
class SwitchRequest:
    provider: Provider
    model: str
    small_model: str | None
    key_command: tuple[str, ...]  # argv printing the key, e.g. ("/usr/bin/switchover", "key", "deepseek")
    resolve_key: Callable[[], str | None]  # only for tools that cannot take a key indirectly
    # Set when the key is Switchover's local gateway token (never a provider key), kept in this 0600 file:
    # tools that read a key from a file name it, and tools with no indirection at all may hold the token.
    key_file: Path | None = None
    # Also make the changes outside the owned keys that the switch needs to take effect (`Override.fix`).
    include_overrides: bool = False


@dataclass(frozen=True)
class FileChange:
    path: Path  # as the tool names it; the engine follows symlinks and keeps them
    before: bytes | None  # None: the file does not exist yet
    after: bytes
    new_file_mode: int = 0o644  # used only when the file is created
    holds_secret: bool = False  # the new content contains a plaintext key (listed by `switchover exposure`)
    # The format edited key by key ("json", "toml", ...; `core.formats`), so undo can take back just the keys
    # this change made when the tool rewrote the file since; "" for a file generated whole (byte-exact undo).
    kind: str = ""


@dataclass(frozen=True)
class SwitchPlan:
    tool: str
    endpoint: Endpoint
    model: str
    small_model: str | None
    changes: tuple[FileChange, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. "restart Codex to pick this up"
    overrides: tuple[Override, ...] = ()  # what will still keep the switch from taking effect after this plan
    fixed: tuple[Override, ...] = ()  # overrides this plan also changes (the request asked for it)


class Target(ABC):
    """One coding tool. Subclasses are small: paths, owned keys, and a protocol preference.

    `detect` is a template for the common shape (installed when a binary is on PATH or the config is
    present); a tool with that shape sets `binaries` and implements `config_paths` (and `config_present`,
    `override_paths` when they differ from the defaults). A tool with another shape overrides `detect`.
    """

    id: str  # stable, e.g. "claude-code"
    label: str  # e.g. "Claude Code"
    protocols: tuple[Protocol, ...]  # protocols it can speak, in order of preference
    binaries: tuple[str, ...] = ()  # executable names on PATH, first found wins
    # Environment variables the tool reads besides its config (shown as conflicts with file and line):
    overriding_env: tuple[str, ...] = ()  # win over what Switchover writes: a switch does not take effect
    accompanying_env: tuple[str, ...] = ()  # read too, but the config wins (a key there still leaks)

    def detect(self, env: ToolEnv) -> Detection:
        binary = self.find_binary(env)
        return Detection(
            installed=binary is not None or self.config_present(env),
            binary=binary,
            config_paths=self.config_paths(env),
            overrides=self.override_paths(env),
        )

    @abstractmethod
    def current(self, env: ToolEnv) -> CurrentChoice | None: ...

    @abstractmethod
    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan: ...

    def current_key(self, env: ToolEnv) -> FoundKey | None:  # noqa: ARG002 - a hook; the default needs no env
        """The key the tool uses now for `current()`'s endpoint (see `FoundKey`), or None when there is none
        or the tool keeps it where Switchover does not look (its own keychain, a login)."""
        return None

    # -- hooks of the template `detect` -------------------------------------------------------------------

    def find_binary(self, env: ToolEnv) -> Path | None:
        return next((found for name in self.binaries if (found := env.which_tool(name)) is not None), None)

    def config_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        """The user-level files this tool reads and Switchover edits, most important first."""
        raise NotImplementedError(f"{type(self).__name__} must implement config_paths() or detect()")

    def config_present(self, env: ToolEnv) -> bool:  # noqa: ARG002 - a hook; the default needs no env
        """Whether the tool's own config is there (counts as installed without a binary on PATH)."""
        return False

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:  # noqa: ARG002 - a hook; the default needs no env
        """Existing project or managed files that may override what Switchover writes (warned about)."""
        return ()

    def settled_form(self, path: Path, data: bytes) -> bytes | None:  # noqa: ARG002 - a hook
        """`data` with what the tool itself rewrites in this file on every run taken out, or None when the
        tool never rewrites it (the default).

        A tool that re-saves its own config when it runs (Cline stamps `updatedAt` into providers.json)
        would otherwise make `undo` mistake that bookkeeping for the user's edits and refuse. The engine
        records the settled form of what it wrote and compares settled forms when the bytes differ; any
        other change still counts as the user's.
        """
        return None

    # -- shared -------------------------------------------------------------------------------------------

    def choose_endpoint(self, provider: Provider) -> Endpoint:
        """The first protocol this tool speaks that the provider offers, or a refusal saying why."""
        for protocol in self.protocols:
            endpoint = provider.endpoint(protocol)
            if endpoint is not None:
                return endpoint
        wanted = " or ".join(p.value for p in self.protocols)
        offered = ", ".join(p.value for p in provider.protocols) or "nothing"
        raise TargetRefusal(
            f"{self.label} needs the {wanted} API; {provider.display_name} offers only {offered}."
        )


__all__ = [
    "CurrentChoice",
    "Detection",
    "FileChange",
    "FoundKey",
    "Override",
    "SwitchPlan",
    "SwitchRequest",
    "Target",
    "TargetRefusal",
    "ToolEnv",
]
