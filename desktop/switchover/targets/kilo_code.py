"""Kilo Code CLI (`kilo`): an OpenCode fork with the same config shape, in its own files.

Verified against the pinned CLI (docs/real-tools.md): `~/.config/kilo/` holds up to five global files,
merged in the order config.json, kilo.json, kilo.jsonc, opencode.json, opencode.jsonc (later wins), then
`$KILO_CONFIG`. We edit the one that wins: `$KILO_CONFIG` when set, else the last existing one, else a new
kilo.json. The key is written as `{env:VAR}`, substituted by Kilo at start, as in OpenCode.

In effect (the pinned CLI's own config help): above those come the project's kilo.json(c) (the cwd up to the
worktree root), the config folders (`~/.kilo/`, `~/.kilocode/`, the project's `.kilo/`/`.kilocode/`,
`$KILO_CONFIG_DIR`), then the inline JSON in `$KILO_CONFIG_CONTENT` (Kilo does not read OpenCode's
variables). `KILO_DISABLE_PROJECT_CONFIG` turns the project's files and folders off. OpenCode's checks
(agent models, provider allow/deny lists) run over these layers.
"""

from __future__ import annotations

from pathlib import Path

from switchover.core.switching.contract import ToolEnv
from switchover.targets import common
from switchover.targets.opencode import OpenCode

SCHEMA_URL = "https://app.kilo.ai/config.json"
# Kilo merges its global files in this order; a key in a later file wins.
GLOBAL_FILES = ("config.json", "kilo.json", "kilo.jsonc", "opencode.json", "opencode.jsonc")
PROJECT_DIRS = (".kilocode", ".kilo")


class KiloCode(OpenCode):
    id = "kilo-code"
    label = "Kilo Code CLI"
    binaries = ("kilo", "kilocode")
    schema_url = SCHEMA_URL
    inline_config_var = "KILO_CONFIG_CONTENT"
    # Set where Kilo starts but not here, these make it read other configs than the one Switchover edits.
    overriding_env = ("KILO_CONFIG", "KILO_CONFIG_CONTENT", "KILO_CONFIG_DIR")

    def config_dir(self, env: ToolEnv) -> Path:
        return env.xdg_config_home() / "kilo"

    def config_path(self, env: ToolEnv) -> Path:
        override = env.environ.get("KILO_CONFIG")
        if override:
            return Path(override)
        folder = self.config_dir(env)
        return common.first_existing((folder / name for name in reversed(GLOBAL_FILES)), folder / "kilo.json")

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        """What Kilo merges above the global file, lowest first (see the module's docstring)."""
        user = self.config_path(env)
        project = env.cwd is not None and not env.environ.get("KILO_DISABLE_PROJECT_CONFIG")
        candidates: list[Path] = []
        folders = common.parents_until_home(env, stop_at_git=True) if project else []
        for folder in reversed(folders):  # the outermost first: a nearer file wins
            candidates += [folder / "kilo.json", folder / "kilo.jsonc"]
        dirs = [env.home / ".kilo", env.home / ".kilocode"]
        dirs += [folder / name for folder in reversed(folders) for name in PROJECT_DIRS]
        extra = env.environ.get("KILO_CONFIG_DIR", "").strip()
        dirs += [Path(extra)] if extra else []
        candidates += [folder / name for folder in dirs for name in GLOBAL_FILES]
        return tuple(p for p in dict.fromkeys(common.existing(candidates)) if p != user)
