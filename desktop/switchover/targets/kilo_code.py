"""Kilo Code CLI (`kilo`): an OpenCode fork with the same config shape, in its own files.

Verified against the pinned CLI (docs/real-tools.md): `~/.config/kilo/` holds up to five global files,
merged in the order config.json, kilo.json, kilo.jsonc, opencode.json, opencode.jsonc (later wins), then
`$KILO_CONFIG`. We edit the one that wins: `$KILO_CONFIG` when set, else the last existing one, else a new
kilo.json. The key is written as `{env:VAR}`, substituted by Kilo at start, as in OpenCode.
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

    def config_dir(self, env: ToolEnv) -> Path:
        return env.xdg_config_home() / "kilo"

    def config_path(self, env: ToolEnv) -> Path:
        override = env.environ.get("KILO_CONFIG")
        if override:
            return Path(override)
        folder = self.config_dir(env)
        return common.first_existing((folder / name for name in reversed(GLOBAL_FILES)), folder / "kilo.json")

    def override_paths(self, env: ToolEnv) -> tuple[Path, ...]:
        """Project files beat the global ones: kilo.json(c) in the cwd and its parents, `.kilo*/` folders."""
        if env.cwd is None or env.environ.get("KILO_DISABLE_PROJECT_CONFIG"):
            return ()
        candidates: list[Path] = []
        for folder in (env.cwd, *env.cwd.parents):
            candidates += [folder / "kilo.json", folder / "kilo.jsonc"]
        candidates += [env.cwd / d / name for d in PROJECT_DIRS for name in GLOBAL_FILES]
        return common.existing(candidates)
