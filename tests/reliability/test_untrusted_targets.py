"""Untrusted strings never become extra keys, tables or lines in a tool's config (issue 12).

Two layers, each over the whole hostile corpus and every target:

* the encoders: each target plans a switch to a hostile model id *below* validation (a request built by
  hand), and what it writes must parse (independent parsers: json, tomllib, ruamel YAML 1.2 and 1.1, real
  shells for env.sh) to the same structure as a switch to a plain model, with the value in the same places,
  and `current()` must read the exact value back; or the target refuses with a message. Nothing in between.
* the boundary: the engine, which every caller (CLI, app, failover) goes through, refuses every corpus string
  the grammar rejects before any target plans, and switches every other one.
"""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from switchover.cli.context import CliContext
from switchover.cli.main import run_cli
from switchover.core import validation
from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.fileio import resolve_target
from switchover.core.formats import load_bytes
from switchover.core.providers import Credential, Protocol
from switchover.core.shell_script import parse_posix_exports
from switchover.core.switching import SwitchEngine
from switchover.core.switching.contract import SwitchRequest, Target, ToolEnv
from switchover.targets.registry import all_targets
from tests.reliability.hostile_strings import HOSTILE, tool_cannot_take
from tests.reliability.shells import evaluate
from tests.reliability.world import SAMPLES, USER_CONFIGS
from tests.targets.support import FAKE_KEY, apply, custom

BENIGN = "BENIGN-MODEL"
PLACEHOLDER = "<V>"


def _provider() -> Any:
    return custom("hostile", {
        Protocol.ANTHROPIC: "http://127.0.0.1:9",
        Protocol.OPENAI_CHAT: "http://127.0.0.1:9/v1",
        Protocol.OPENAI_RESPONSES: "http://127.0.0.1:9/v1",
        Protocol.GEMINI: "http://127.0.0.1:9",
    }, Credential.keychain(), models=("m",))


def _request(model: str) -> SwitchRequest:
    return SwitchRequest(_provider(), model, model, ("/opt/switch over/bin/switchover", "key", "hostile"),
                         lambda: FAKE_KEY)


def _env(home: Path) -> ToolEnv:
    environ = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": "",
               "SWITCHOVER_CONFIG_DIR": str(home / ".config" / "switchover")}
    return ToolEnv(home=home, environ=environ, platform="linux", cwd=home)


def _seed(home: Path) -> None:
    for relative, sample in USER_CONFIGS.items():
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((SAMPLES / sample).read_bytes())


def _parse(path: Path, data: bytes) -> list[Any]:
    """Every independent reading of the file (two for YAML: 1.2 readers and 1.1 readers such as PyYAML)."""
    text = data.decode("utf-8")
    if path.name == "env.sh":
        return [parse_posix_exports(text)]
    if path.suffix == ".toml":
        return [tomllib.loads(text)]
    if path.suffix in (".yaml", ".yml"):
        new, old = YAML(typ="safe", pure=True), YAML(typ="safe", pure=True)
        old.version = (1, 1)
        return [new.load(text), old.load(text)]
    if path.name == ".env":
        return [load_bytes("dotenv", data, path).data]
    try:
        return [json.loads(text)]
    except ValueError:
        return [load_bytes("jsonc", data, path).data]


def _shape(data: Any, value: str) -> Any:
    """The data with the model (hostile or benign) replaced by a placeholder, in keys and values alike."""
    def text(s: str) -> str:
        return s.replace(value, PLACEHOLDER).replace(BENIGN, PLACEHOLDER) if value else s.replace(BENIGN, PLACEHOLDER)

    if isinstance(data, dict):
        return {text(str(k)): _shape(v, value) for k, v in data.items()}
    if isinstance(data, list):
        return [_shape(v, value) for v in data]
    if isinstance(data, str):
        return text(data)
    return data


def _switch(target: Target, home: Path, model: str) -> dict[Path, bytes]:
    """Plan and apply a switch of `target` to `model` in a fresh copy of the user's files."""
    env = _env(home)
    plan = target.plan(env, _request(model))
    apply(plan)
    return {c.path: c.path.read_bytes() for c in plan.changes}


@pytest.mark.parametrize("target", all_targets(), ids=lambda t: t.id)
def test_every_target_writes_hostile_models_literally_or_refuses(target: Target, tmp_path: Path) -> None:
    benign_home = tmp_path / "benign"
    _seed(benign_home)
    benign = {p.relative_to(benign_home): _parse(p, b) for p, b in _switch(target, benign_home, BENIGN).items()}
    refused: dict[str, str] = {}
    written: dict[str, bytes] = {}
    for i, (name, value) in enumerate(HOSTILE):
        if not value:
            continue
        home = tmp_path / f"h{i}"
        _seed(home)
        try:
            files = _switch(target, home, value)
        except SwitchoverError as exc:
            refused[name] = str(exc)
            assert str(exc).isprintable(), f"{target.id}: the refusal of {name} is not one printable line"
            continue
        assert {p.relative_to(home) for p in files} == set(benign), name
        for path, data in files.items():
            readings = _parse(path, data)
            expected = benign[path.relative_to(home)]
            for got, want in zip(readings, expected, strict=True):
                assert _shape(got, value) == _shape(want, value), f"{target.id}: {name} changed {path.name}"
            if path.name == "env.sh":
                written[name] = data
        current = target.current(_env(home))
        assert current is not None and current.model == value, f"{target.id}: {name} read back as {current}"
    # A target may refuse only what its format or its tool cannot take (see `tool_cannot_take`).
    values = dict(HOSTILE)
    assert {n for n in refused if not tool_cannot_take(target.id, values[n])} == set(), refused
    assert {n for n, v in HOSTILE if v and tool_cannot_take(target.id, v)} == set(refused)
    if written:  # what a shell really reads from env.sh
        names = list(written)
        for shell in ("bash", "dash", "zsh"):
            seen = evaluate(shell, [written[n].decode() for n in names], ["ANTHROPIC_MODEL", "OPENAI_MODEL"],
                            tmp_path / f"shell-{shell}")
            values = dict(HOSTILE)
            for name, got in zip(names, seen, strict=True):
                assert got["ANTHROPIC_MODEL"] == got["OPENAI_MODEL"] == values[name].encode(), (shell, name)


def test_the_engine_refuses_every_string_the_grammar_rejects_and_switches_the_rest(tmp_path: Path) -> None:
    """The boundary every caller shares: nothing a grammar check rejects reaches a target."""
    home = tmp_path / "home"
    _seed(home)
    before = {p: p.read_bytes() for p in home.rglob("*") if p.is_file()}
    engine = SwitchEngine(all_targets(), _env(home), tmp_path / "data")
    tools = [t.id for t in all_targets()]
    accepted = refused = 0
    for name, value in HOSTILE:
        problem = validation.model_id_problem(value)
        if problem is None:
            continue
        refused += 1
        with pytest.raises(ValidationError, match=r"^Invalid model ") as info:
            engine.use(_request(value), tools, skip_refused=True)
        assert str(info.value).isprintable(), name
        assert {p: p.read_bytes() for p in home.rglob("*") if p.is_file()} == before, name
    for name, value in HOSTILE:
        if validation.model_id_problem(value) is None:
            accepted += 1
            result = engine.use(_request(value), tools, skip_refused=True)
            for outcome in result.outcomes:
                expected = "refused" if tool_cannot_take(outcome.tool, value) else "switched"
                assert outcome.status in (expected, "unchanged" if expected == "switched" else expected), (
                    name, outcome)
            assert all(r.ok for r in engine.verify(result)), name
    assert accepted + refused == len(HOSTILE) and refused >= 40 and accepted >= 20


@pytest.mark.parametrize("target", all_targets(), ids=lambda t: t.id)
def test_every_file_a_target_plans_is_one_it_declares(target: Target, tmp_path: Path) -> None:
    """Recovery and undo write only files a target declares (journal trust relies on this)."""
    home = tmp_path / "home"
    _seed(home)
    env = _env(home)
    declared = {resolve_target(p) for p in target.detect(env).config_paths}
    plan = target.plan(env, _request("m"))
    assert plan.changes, target.id
    assert {resolve_target(c.path) for c in plan.changes} <= declared


@pytest.mark.parametrize("model", ["{file:/etc/passwd}", "p/{file:~/.ssh/id_rsa}", "{env:HOME}",
                                   "${GEMINI_API_KEY}", "${{ secrets.KEY }}", "x`id`"])
def test_use_refuses_model_ids_a_tool_would_expand(model: str, isolated_home: Path) -> None:
    """Finding 2: OpenCode expanded {file:…}/{env:…}, Gemini CLI and Qwen Code ${VAR}, in what Switchover wrote."""
    err = io.StringIO()
    assert run_cli(["provider", "add", "p", "--openai-url", "http://127.0.0.1:9/v1", "--gemini-url",
                    "http://127.0.0.1:9", "--model", "plain", "--no-key"], CliContext(stderr=err)) == 0, err.getvalue()
    err = io.StringIO()
    code = run_cli(["use", f"p/{model}", "--tool", "opencode", "--tool", "gemini-cli", "--tool", "qwen-code"],
                   CliContext(stdout=io.StringIO(), stderr=err))
    assert code == 1 and "Invalid model" in err.getvalue() and "expanded by some tools" in err.getvalue()
    assert not (isolated_home / ".config" / "opencode").exists()
    assert not (isolated_home / ".gemini").exists() and not (isolated_home / ".qwen").exists()
