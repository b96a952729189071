"""Shared pieces for target tests: providers, requests, applying a plan like the engine, reading files back."""

from __future__ import annotations

import copy
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from switchover.core.catalog import default_catalog
from switchover.core.formats import load_bytes
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.switching.contract import SwitchPlan, SwitchRequest, ToolEnv

SAMPLES = Path(__file__).parent / "samples"
FAKE_KEY = "sk-test-SECRET-0123456789abcdef"


def preset(name: str) -> Provider:
    return default_catalog().get(name).to_provider(name)


def custom(name: str, endpoints: dict[Protocol, str], credential: Credential | None = None,
           models: tuple[str, ...] = ("custom-model",)) -> Provider:
    return Provider(
        name=name,
        endpoints=tuple(Endpoint.make(protocol, url) for protocol, url in endpoints.items()),
        models=models,
        credential=credential or Credential.keychain(),
        label=name.title(),
    )


def request(provider: Provider, model: str | None = None, small_model: str | None = None,
            key: str | None = FAKE_KEY) -> SwitchRequest:
    calls: list[int] = []

    def resolve() -> str | None:
        calls.append(1)
        return key

    return SwitchRequest(
        provider=provider,
        model=model or provider.default_model or "some-model",
        small_model=small_model,
        key_command=("/opt/switch over/bin/switchover", "key", provider.name),
        resolve_key=resolve,
    )


def make_env(home: Path, cwd: Path, **environ: str) -> ToolEnv:
    base = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": ""}
    return ToolEnv(home=home, environ=base | environ, platform="linux", cwd=cwd)


def install(sample: str, path: Path) -> bytes:
    data = (SAMPLES / sample).read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def apply(plan: SwitchPlan) -> None:
    """What the engine does, minus backups and journal: write `after`, honouring the new-file mode."""
    for change in plan.changes:
        assert change.before == (change.path.read_bytes() if change.path.exists() else None), (
            f"{change.path}: plan was made from stale bytes"
        )
        change.path.parent.mkdir(parents=True, exist_ok=True)
        if change.before is None:
            fd = os.open(change.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, change.new_file_mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(change.after)
        else:
            change.path.write_bytes(change.after)


def parse(kind: str, data: bytes) -> Any:
    """Independent parsers where the standard library has one, so a formats bug cannot hide itself."""
    text = data.decode("utf-8")
    if kind == "json":
        return json.loads(text)
    if kind == "toml":
        return tomllib.loads(text)
    if kind == "yaml":
        return YAML(typ="safe", pure=True).load(text) or {}
    return load_bytes(kind, data, Path("test")).data


_HASH_COMMENT = re.compile(r"#.*$")
_SLASH_COMMENT = re.compile(r"(?<![:\w\"])//.*$|/\*.*?\*/")


def comments(kind: str, data: bytes) -> list[str]:
    """Every comment in the file, in order (good enough for our samples, which quote no '#' or '//')."""
    pattern = _HASH_COMMENT if kind in ("toml", "yaml", "dotenv") else _SLASH_COMMENT
    found: list[str] = []
    for line in data.decode("utf-8").splitlines():
        found += [m.group(0).strip() for m in pattern.finditer(line)]
    return found


def without(data: Any, *paths: tuple[str | int, ...]) -> Any:
    """A deep copy of `data` minus the given paths (missing paths are ignored)."""
    data = copy.deepcopy(data)
    for path in paths:
        node = data
        for segment in path[:-1]:
            node = node.get(segment) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return data


def write(path: Path, text: str) -> Path:
    """Write a tool file the way a user would have, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
