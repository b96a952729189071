"""Issue 15: every corpus config through the engine, as a user would: switch to A, switch to B, undo, undo.

For each case and variant (CRLF, BOM, symlinked folder), checked with parsers independent of Switchover's own
editors (json, tomllib, a YAML safe loader, a small JSONC/.env reader here):

* after each switch every file still parses, only the keys `cases.OWNED` allows changed, line endings, BOM,
  final-newline state and symlinks are as they were, and the tool now uses exactly the chosen endpoint and model
  (`current()`, the tool's own precedence);
* the first undo gives back exactly the files A's switch wrote, the second the whole home as it was, byte for
  byte (files and folders the switches created are gone).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.switching import SwitchEngine
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.targets.registry import get_target
from tests.corpus.cases import CASES, OWNED, Case, Owned

BOM = b"\xef\xbb\xbf"


def _provider(name: str) -> Provider:
    url = f"http://127.0.0.1:9/{name}"
    endpoints = (Endpoint.make(Protocol.ANTHROPIC, url), Endpoint.make(Protocol.OPENAI_CHAT, url + "/v1"),
                 Endpoint.make(Protocol.OPENAI_RESPONSES, url + "/v1"), Endpoint.make(Protocol.GEMINI, url))
    return Provider(name, endpoints, (f"{name}-model",), credential=Credential.keychain(), label=name.title())


def _request(provider: Provider) -> SwitchRequest:
    return SwitchRequest(provider, provider.models[0], None, ("/usr/bin/switchover", "key", provider.name),
                         lambda: f"sk-fake-CORPUS-{provider.name}-0123456789")


# -- independent readers ------------------------------------------------------------------------------------


def _strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas -> strict JSON (strings left alone)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else n
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        else:
            out.append(c)
            i += 1
    return re.sub(r",(\s*[}\]])", r"\1", "".join(out))


def _dotenv(text: str) -> dict[str, str]:
    values = {}
    for line in text.splitlines():
        match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if match and not line.lstrip().startswith("#"):
            value = re.sub(r"\s+#.*$", "", match.group(2)).strip()
            values[match.group(1)] = value[1:-1] if value[:1] in "'\"" and value[-1:] == value[:1] else value
    return values


def parse(relative: str, data: bytes) -> Any:
    text = data.removeprefix(BOM).decode("utf-8")
    if relative.endswith(".env"):
        return _dotenv(text)
    if relative.endswith(".toml"):
        return tomllib.loads(text)
    if relative.endswith((".yaml", ".yml")):
        return YAML(typ="safe", pure=True).load(text) or {}
    return json.loads(_strip_jsonc(text))


# -- what may change -------------------------------------------------------------------------------------------


def _strip(data: Any, owned: Owned) -> Any:
    """`data` without what Switchover may change (and the empty containers that leaves behind)."""
    if owned.whole:
        return {}
    data = json.loads(json.dumps(data, default=str))
    for key in owned.keys:
        node = data
        for segment in key[:-1]:
            node = node.get(segment) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(key[-1], None)
    for path, ours in owned.lists:
        for holder in _matching(data, path):
            holder[:] = [item for item in holder if not ours(item)]
    return _prune(data)


def _matching(node: Any, path: tuple[str, ...]) -> list[list[Any]]:
    if not path:
        return [node] if isinstance(node, list) else []
    if not isinstance(node, dict):
        return []
    keys = list(node) if path[0] == "*" else [path[0]]
    return [found for key in keys if key in node for found in _matching(node[key], path[1:])]


def _prune(node: Any) -> Any:
    """Drop empty objects and lists: the containers a switch creates for its own entries (on both sides)."""
    if isinstance(node, dict):
        pruned = {k: _prune(v) for k, v in node.items()}
        return {k: v for k, v in pruned.items() if v not in ({}, [])}
    if isinstance(node, list):
        return [_prune(v) for v in node]
    return node


# -- the home as files ---------------------------------------------------------------------------------------


def tree(home: Path) -> dict[str, Any]:
    """Every file (bytes), symlink (target) and folder under `home`."""
    found: dict[str, Any] = {}
    for root, dirs, files in os.walk(home):
        for name in dirs + files:
            path = Path(root) / name
            relative = str(path.relative_to(home))
            if path.is_symlink():
                found[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                found[relative] = "dir"
            else:
                found[relative] = path.read_bytes()
    return found


def _install(case: Case, variant: str, home: Path) -> None:
    for relative in case.files:
        data = case.text(relative)
        if variant == "crlf":
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        elif variant == "bom":
            data = BOM + data
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if variant == "symlink":  # the tool's top folder (or file) lives in a dotfiles repo, linked from HOME
        top = Path(next(iter(case.files))).parts[0]
        stored = home / "dotfiles" / top.lstrip(".")
        stored.parent.mkdir(exist_ok=True)
        (home / top).rename(stored)
        (home / top).symlink_to(stored)


def _variants() -> list[tuple[Case, str]]:
    return [(case, variant) for case in CASES for variant in ("plain", *case.variants)]


def test_the_corpus_is_at_least_forty_real_world_configs_for_every_tool() -> None:
    files = {(case.tool, name) for case in CASES for name in case.files.values()}
    assert len(CASES) >= 40 and len(files) >= 40
    tools = {case.tool for case in CASES}
    assert tools == {"claude-code", "codex", "gemini-cli", "opencode", "qwen-code", "aider", "continue", "zed",
                     "goose", "cline", "kilo-code", "factory-droid"}
    assert {v for case in CASES for v in case.variants} == {"crlf", "bom", "symlink"}


@pytest.mark.parametrize(("case", "variant"), _variants(), ids=lambda v: v.id if isinstance(v, Case) else v)
def test_switch_a_switch_b_undo_undo(case: Case, variant: str, tmp_path: Path) -> None:
    home = tmp_path / "user-home"  # not the isolated HOME: a folder of its own, compared whole
    project = tmp_path / "project"
    project.mkdir()
    home.mkdir()
    _install(case, variant, home)
    env = ToolEnv(home, {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": ""}, "linux", project)
    engine = SwitchEngine([get_target(case.tool)], env, tmp_path / "data")
    original = tree(home)
    originals = {rel: (home / rel).read_bytes() for rel in case.files}

    snapshots = [original]
    for provider in (_provider("alpha"), _provider("bravo")):
        result = engine.use(_request(provider), [case.tool])
        assert result.outcomes[0].status == "switched", result.outcomes
        _check_switched(case, variant, home, env, provider, originals)
        snapshots.append(tree(home))

    engine.undo()
    assert tree(home) == snapshots[1], "the first undo must give back exactly what A's switch wrote"
    engine.undo()
    assert tree(home) == original, "two undos must give back the home byte for byte"


def _check_switched(case: Case, variant: str, home: Path, env: ToolEnv, provider: Provider,
                    originals: dict[str, bytes]) -> None:
    for relative, before in originals.items():
        path = home / relative
        after = path.read_bytes()
        assert parse(relative, after) is not None  # an independent parser reads it
        assert _strip(parse(relative, after), OWNED[relative]) == _strip(parse(relative, before), OWNED[relative]), (
            f"{relative}: something other than Switchover's keys changed")
        if variant == "crlf":
            assert b"\n" not in after.replace(b"\r\n", b""), f"{relative}: a bare LF in a CRLF file"
        assert after.startswith(BOM) == before.startswith(BOM), f"{relative}: BOM added or lost"
        assert after.endswith(b"\n") == before.endswith(b"\n"), f"{relative}: final-newline state changed"
        if variant == "symlink":
            top = home / Path(relative).parts[0]
            assert top.is_symlink(), f"{top} is no longer a symlink"
    current = get_target(case.tool).current(env)
    assert current is not None and current.in_effect, current
    assert current.model == provider.models[0]
    assert current.base_url is not None and f"127.0.0.1:9/{provider.name}" in current.base_url
