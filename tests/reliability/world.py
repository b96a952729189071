"""An isolated user world (HOME, XDG dirs, file keyring) that real `switchover` subprocesses run in.

The autouse fixture in tests/conftest.py isolates the test process itself; the reliability suite often needs
several worlds at once (parallel kill points, a second home), so each `World` carries its own environment
and never reads the test process's variables for anything but PATH and the interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ruamel.yaml import YAML

from switchover.core.fileio import TEMP_PREFIX
from switchover.core.formats import load_bytes
from switchover.core.store import load_store
from switchover.core.switching import SwitchEngine
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.services.keys import key_helper_command
from switchover.targets.registry import all_targets
from tests.support.cli import REPO_ROOT
from tests.support.provider_server import ProviderServer, RecordedRequest, model_list_reply, protocol_paths

SAMPLES = Path(REPO_ROOT) / "tests" / "targets" / "samples"

# Fake keys: long and unique, so a scan for them cannot match anything by accident.
LOCAL_KEY = "sk-fake-RELIABILITY-LOCAL-7c1e0b9a4f2d"
DEEPSEEK_KEY = "sk-fake-RELIABILITY-DEEPSEEK-5b3a8e6d01"
OTHER_KEY = "sk-fake-RELIABILITY-OTHER-e29d4c7a18b6"
FAKE_KEYS = (LOCAL_KEY, DEEPSEEK_KEY, OTHER_KEY)

# Where each tool's user file lives (relative to HOME) and the sample it is seeded with.
USER_CONFIGS: dict[str, str] = {
    ".claude/settings.json": "claude_settings.json",
    ".codex/config.toml": "codex_config.toml",
    ".gemini/settings.json": "gemini_settings.json",
    ".gemini/.env": "gemini.env",
    ".config/opencode/opencode.json": "opencode.jsonc",
    ".qwen/settings.json": "qwen_settings.json",
    ".aider.conf.yml": "aider.conf.yml",
    ".continue/config.yaml": "continue_config.yaml",
    ".continue/.env": "continue.env",
    ".config/zed/settings.json": "zed_settings.json",
    ".config/goose/config.yaml": "goose_config.yaml",
}

# Switchover's own state files that are not tool configs (never compared with a tool's old/new bytes).
OWN_STATE_PARTS = (".config/switchover/switchover.toml", ".local/share/switchover", ".local/state/switchover")

MODELS = ("local-model", "other-model")


class StandIn:
    """Local provider servers (Anthropic, OpenAI chat/responses, Gemini) that answer the post-switch check.

    The providers "local" and "other" offer every protocol (so every target switches), under two path
    prefixes of the same servers; `switchover use` checks what each tool now reads, and these answer "ok".
    """

    PREFIXES: ClassVar[dict[str, str]] = {"local": "", "other": "/other"}

    def __init__(self, start: Callable[[], ProviderServer]):
        self.servers = {protocol: start() for protocol in ("anthropic", "openai-chat", "gemini")}
        for prefix in self.PREFIXES.values():
            for protocol, server in self.servers.items():
                list_path, _ = protocol_paths(protocol, MODELS[0])
                server.on("GET", prefix + list_path, model_list_reply(protocol, MODELS))

    def provider_args(self, name: str) -> tuple[str, ...]:
        prefix = self.PREFIXES[name]
        openai = self.servers["openai-chat"].url + prefix + "/v1"
        return ("provider", "add", name, "--anthropic-url", self.servers["anthropic"].url + prefix,
                "--openai-url", openai, "--responses-url", openai, "--gemini-url", self.servers["gemini"].url + prefix,
                "--model", f"{name}-model", "--key-stdin")

    def requests(self) -> list[RecordedRequest]:
        return [r for server in self.servers.values() for r in server.requests]


@dataclass(frozen=True)
class World:
    root: Path
    stand_in: StandIn | None = field(default=None, compare=False)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def data(self) -> Path:
        return self.home / ".local" / "share" / "switchover"

    @property
    def keyring_file(self) -> Path:
        return self.root / "keyring.json"

    def create(self) -> World:
        for sub in (".config", ".local/share", ".local/state", ".cache"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        return self

    def env(self, **extra: str) -> dict[str, str]:
        home = str(self.home)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "USERPROFILE": home,
            "XDG_CONFIG_HOME": f"{home}/.config",
            "XDG_DATA_HOME": f"{home}/.local/share",
            "XDG_STATE_HOME": f"{home}/.local/state",
            "XDG_CACHE_HOME": f"{home}/.cache",
            "XDG_RUNTIME_DIR": str(self.root),
            # Targets given an injected ToolEnv still place env.sh by this variable (else the process's own
            # config dir); set it so the in-process engine and the CLI write the very same files.
            "SWITCHOVER_CONFIG_DIR": f"{home}/.config/switchover",
            "PYTHON_KEYRING_BACKEND": "tests.support.file_keyring.FileKeyring",
            "SWITCHOVER_TEST_KEYRING": str(self.keyring_file),
            "PYTHONPATH": REPO_ROOT,
            "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8",
            "NO_PROXY": "*",
        }
        env.update(extra)
        return env

    def command(self, args: Sequence[str]) -> list[str]:
        return [sys.executable, "-m", "switchover", *args]

    def run(self, *args: str, input: str = "", timeout: float = 60, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(args), input=input, capture_output=True, text=True,
                              env=self.env(**extra), cwd=self.root, timeout=timeout, check=False)

    def popen(self, *args: str, **extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command(args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=self.env(**extra), cwd=self.root)

    def ok(self, *args: str, input: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
        done = self.run(*args, input=input, **extra)
        assert done.returncode == 0, f"switchover {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    # -- the same engine and requests as the CLI, in this process (no interpreter start-up) ---------------

    def tool_env(self) -> ToolEnv:
        """What `ToolEnv.current()` gives a CLI started with `self.env()` in `self.root`."""
        return ToolEnv(self.home, self.env(), sys.platform, self.root)

    def engine(self) -> SwitchEngine:
        return SwitchEngine(all_targets(), self.tool_env(), self.data)

    def request(self, name: str) -> SwitchRequest:
        """Exactly the request `switchover use NAME` builds (same key command, same key)."""
        provider = load_store(self.home / ".config" / "switchover" / "switchover.toml").get(name)
        keys = json.loads(self.keyring_file.read_text())
        key = keys[f"switchover/{name}"]
        model = provider.default_model
        assert model is not None
        return SwitchRequest(provider, model, provider.small_model, key_helper_command(name), lambda: key)

    def use_all(self, name: str) -> None:
        """`switchover use NAME --all`, in process."""
        self.engine().use(self.request(name), [t.id for t in all_targets()], skip_refused=True)

    def adopt_providers(self, master: World) -> None:
        """The providers (store and keyring) of `master`, without running `provider add` again."""
        store = self.home / ".config" / "switchover" / "switchover.toml"
        store.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(master.home / ".config" / "switchover" / "switchover.toml", store)
        shutil.copy2(master.keyring_file, self.keyring_file)

    # -- content ----------------------------------------------------------------------------------------

    def add_local_provider(self) -> None:
        assert self.stand_in is not None, "the providers point at a StandIn's servers"
        self.ok(*self.stand_in.provider_args("local"), input=LOCAL_KEY + "\n")

    def add_other_provider(self) -> None:
        """A second all-protocol provider (other URLs, another key)."""
        assert self.stand_in is not None, "the providers point at a StandIn's servers"
        self.ok(*self.stand_in.provider_args("other"), input=OTHER_KEY + "\n")

    def add_deepseek(self) -> None:
        self.ok("provider", "add", "deepseek", "--preset", "deepseek", "--model", "deepseek-chat", "--key-stdin",
                input=DEEPSEEK_KEY + "\n")

    def seed_user_configs(self) -> dict[Path, bytes]:
        """Every tool's user file, filled with the realistic samples the target tests use."""
        seeded = {}
        for relative, sample in USER_CONFIGS.items():
            path = self.home / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes((SAMPLES / sample).read_bytes())
            seeded[path] = path.read_bytes()
        return seeded

    def tool_files(self) -> dict[Path, bytes]:
        """Every file under HOME except Switchover's own state: the configs a switch may touch."""
        out = {}
        for path in sorted(self.home.rglob("*")):
            relative = path.relative_to(self.home).as_posix()
            if path.is_file() and not any(relative.startswith(p) for p in OWN_STATE_PARTS):
                out[path] = path.read_bytes()
        return out

    def temp_files(self) -> list[Path]:
        """Leftovers of interrupted atomic writes, anywhere in this world."""
        return sorted(p for p in self.root.rglob(f"{TEMP_PREFIX}*"))

    def history(self) -> list[dict[str, object]]:
        rows = json.loads(self.ok("history", "--json", "--limit", "0").stdout)
        assert isinstance(rows, list)
        return rows

    def copy_to(self, other: World) -> World:
        if other.root.exists():
            shutil.rmtree(other.root)
        shutil.copytree(self.root, other.root, symlinks=True)
        return World(other.root, self.stand_in)

    def restore_from(self, saved: Path) -> None:
        """Put back a world saved with `save_to` at this very path (journal paths stay valid)."""
        if self.root.exists():
            shutil.rmtree(self.root)
        shutil.copytree(saved, self.root, symlinks=True)

    def save_to(self, saved: Path) -> None:
        if saved.exists():
            shutil.rmtree(saved)
        shutil.copytree(self.root, saved, symlinks=True)


def kind_of(path: Path) -> str:
    """The format a tool file is written in, from its name (what a strict reader would use)."""
    name = path.name
    if name.endswith(".toml"):
        return "toml"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name == ".env":
        return "dotenv"
    if name == "env.sh":
        return "sh"
    if name.endswith(".json") and (".claude" in path.parts or "custom_providers" in path.parts):
        return "json"
    return "jsonc"


def assert_parses(path: Path, data: bytes) -> None:
    """Parse with an independent strict parser where one exists, else with our own editor."""
    kind = kind_of(path)
    text = data.decode("utf-8")
    if kind == "json":
        json.loads(text)
    elif kind == "toml":
        tomllib.loads(text)
    elif kind == "yaml":
        YAML(typ="safe", pure=True).load(text)
    elif kind == "sh":
        checked = subprocess.run(["sh", "-n"], input=data, capture_output=True, check=False)
        assert checked.returncode == 0, f"{path}: {checked.stderr!r}"
    else:
        load_bytes(kind, data, path)


def walk_files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in root.rglob("*") if p.is_file())
