"""Malformed and hostile config files at the real tools' paths: a clear error naming the file, or correct
handling; never a damaged file, a hang, a traceback or a half switch.

Most cases run the same engine call as `switchover use` in this process (fast); the ones that used to hang or
crash also run through the real CLI with a timeout, so a regression fails instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from switchover.core.errors import SwitchoverError
from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.switching import SwitchEngine
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.targets.registry import all_targets
from tests.reliability.world import SAMPLES

KEY = "sk-fake-HOSTILE-0123456789abcdef"
CLAUDE = ".claude/settings.json"
CLAUDE_SAMPLE = (SAMPLES / "claude_settings.json").read_bytes()
LAUGHS = b"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + b"".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n".encode() for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def _provider() -> Provider:
    url = "http://127.0.0.1:9"
    endpoints = (Endpoint.make(Protocol.ANTHROPIC, url), Endpoint.make(Protocol.OPENAI_CHAT, url + "/v1"),
                 Endpoint.make(Protocol.OPENAI_RESPONSES, url + "/v1"), Endpoint.make(Protocol.GEMINI, url))
    return Provider("hostile", endpoints,
                    models=("hostile-model",), credential=Credential.keychain(), label="Hostile")


def _request() -> SwitchRequest:
    return SwitchRequest(_provider(), "hostile-model", None, ("/usr/bin/switchover", "key", "hostile"), lambda: KEY)


def _env(home: Path) -> ToolEnv:
    return ToolEnv(home, {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": "",
                          "SWITCHOVER_CONFIG_DIR": str(home / ".config" / "switchover")}, "linux", home)


@dataclass(frozen=True)
class Bad:
    """A file the tool's target must refuse: the error names the file (and the line where one applies)."""

    id: str
    tool: str
    relative: str
    make: Callable[[Path], None]
    phrase: str
    line: int | None = None


def _write(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _big(path: Path) -> None:
    with path.open("wb") as handle:
        handle.write(b'{"theme": "dark", "blob": "')
        handle.write(b"x" * (50 * 1024 * 1024))
        handle.write(b'"}\n')


def _parent_is_a_file(path: Path) -> None:
    path.parent.rmdir()
    path.parent.write_text("I am a file where a folder should be\n")


BAD = [
    Bad("truncated-json", "claude-code", CLAUDE, _write(CLAUDE_SAMPLE[: len(CLAUDE_SAMPLE) // 2]), "", None),
    Bad("comments-in-strict-json", "claude-code", CLAUDE,
        _write(b'{\n  "theme": "dark",\n  // a comment Claude Code would reject\n  "model": "opus"\n}\n'), "", 3),
    Bad("trailing-comma-strict-json", "claude-code", CLAUDE, _write(b'{\n  "theme": "dark",\n}\n'),
        "trailing comma", 2),
    Bad("duplicate-keys-json", "claude-code", CLAUDE,
        _write(b'{\n  "env": {"A": "1"},\n  "model": "x",\n  "env": {"B": "2"}\n}\n'), "duplicate key", 4),
    Bad("duplicate-keys-jsonc", "gemini-cli", ".gemini/settings.json",
        _write(b'{\n  // mine\n  "model": {"name": "a"},\n  "model": {"name": "b"}\n}\n'), "duplicate key", 4),
    Bad("two-json-values", "claude-code", CLAUDE, _write(b'{"theme": "dark"}\n{"theme": "light"}\n'), "", 2),
    Bad("top-level-array", "claude-code", CLAUDE, _write(b'[{"theme": "dark"}]\n'), "list"),
    Bad("top-level-null", "claude-code", CLAUDE, _write(b"null\n"), "null"),
    Bad("non-utf8-json", "claude-code", CLAUDE, _write(b'{\n  "theme": "dark",\n  "name": "J\xf6rg"\n}\n'),
        "not UTF-8", 3),
    Bad("utf16-json", "claude-code", CLAUDE, _write('{"theme": "dark"}\n'.encode("utf-16")), "not UTF-8", 1),
    Bad("non-utf8-yaml", "aider", ".aider.conf.yml", _write(b"model: gpt\nuser: J\xf6rg\n"), "not UTF-8", 2),
    Bad("nul-bytes-json", "claude-code", CLAUDE, _write(b'{"theme": "\x00dark"}\n'), ""),
    Bad("deeply-nested-json", "claude-code", CLAUDE, _write(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        "nested too deeply"),
    Bad("deeply-nested-toml", "codex", ".codex/config.toml", _write(b"a = " + b"[" * 50_000 + b"]" * 50_000 + b"\n"),
        ""),
    Bad("50MB-json", "claude-code", CLAUDE, _big, "MiB"),
    Bad("named-pipe", "claude-code", CLAUDE, os.mkfifo, "not a regular file"),
    Bad("directory-instead-of-file", "claude-code", CLAUDE, lambda p: p.mkdir(), "is a directory"),
    Bad("file-instead-of-folder", "claude-code", CLAUDE, _parent_is_a_file, "cannot be read"),
    Bad("symlink-loop", "claude-code", CLAUDE, lambda p: p.symlink_to(p), "cannot be read"),
    Bad("truncated-toml", "codex", ".codex/config.toml", _write(b'model = "gpt-5"\n[model_providers.mine\n'), "", 2),
    Bad("duplicate-keys-toml", "codex", ".codex/config.toml", _write(b'model = "a"\nmodel = "b"\n'), "", 2),
    Bad("duplicate-tables-toml", "codex", ".codex/config.toml",
        _write(b'[profiles.x]\nmodel = "a"\n[profiles.x]\nmodel = "b"\n'), "already exists"),
    Bad("yaml-tab-indent", "continue", ".continue/config.yaml", _write(b"models:\n\t- name: x\n"), "", 2),
    Bad("yaml-several-documents", "goose", ".config/goose/config.yaml", _write(b"a: 1\n---\nb: 2\n"),
        "several YAML documents"),
    Bad("yaml-top-level-list", "aider", ".aider.conf.yml", _write(b"- model\n- gpt\n"), "not a mapping", 1),
    Bad("yaml-alias-bomb", "aider", ".aider.conf.yml", _write(LAUGHS), "alias"),
    # Adding a key to a non-empty flow-style map needs ruamel to re-emit, which would corrupt the list below.
    Bad("yaml-the-library-would-corrupt", "goose", ".config/goose/config.yaml",
        _write(b"active_provider: openai\nproviders: {openai: {model: gpt-4o}}\nextras:\n# my list\n- {}\n"
               b"- false\n- []\n"), "cannot edit this YAML file safely"),
    Bad("yaml-unclosed-quote", "goose", ".config/goose/config.yaml", _write(b'GOOSE_MODEL: "gpt\nx: 1\n'), ""),
]


def _snapshot(home: Path, files_only: bool = False) -> dict[str, tuple[int, bytes | None]]:
    out: dict[str, tuple[int, bytes | None]] = {}
    for path in sorted(home.rglob("*")):
        info = path.lstat()
        if files_only and stat.S_ISDIR(info.st_mode):
            continue
        data = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
        out[str(path.relative_to(home))] = (info.st_mode, data)
    return out


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "tool-home"
    home.mkdir()
    yield home
    for path in home.rglob("*"):  # undo `chattr +i` so pytest can clean up
        if path.is_file() and not path.is_symlink():
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


@pytest.mark.parametrize("case", BAD, ids=[b.id for b in BAD])
def test_bad_config_gets_a_clear_error_and_is_never_touched(home: Path, tmp_path: Path, case: Bad) -> None:
    path = home / case.relative
    path.parent.mkdir(parents=True, exist_ok=True)
    case.make(path)
    before = _snapshot(home)
    engine = SwitchEngine(all_targets(), _env(home), tmp_path / "data")
    with pytest.raises(SwitchoverError) as failure:
        engine.use(_request(), [case.tool])
    message = str(failure.value)
    assert str(path) in message and "Nothing was changed" in message, message
    assert case.phrase in message, message
    if case.line is not None:
        assert f"{path}, line {case.line}" in message, message
    assert _snapshot(home) == before  # not a byte, mode or link changed
    assert engine.history() == []  # refused before anything was journaled
    # With every tool (`--all`), the broken one is reported and the others still switch.
    result = engine.use(_request(), [t.id for t in all_targets()], skip_refused=True)
    statuses = {o.tool: o.status for o in result.outcomes}
    assert statuses[case.tool] == "error" and list(statuses.values()).count("switched") >= 8, statuses
    after = _snapshot(home)
    assert {k: v for k, v in after.items() if k in before} == before


# The cases that used to hang or crash with a traceback, through the real CLI (bounded by a timeout).
CLI_CASES = ("named-pipe", "50MB-json", "deeply-nested-json", "yaml-alias-bomb", "non-utf8-json", "truncated-json")


@pytest.mark.slow
@pytest.mark.parametrize("case", [b for b in BAD if b.id in CLI_CASES], ids=CLI_CASES)
def test_bad_config_through_the_cli(cli: Callable[..., subprocess.CompletedProcess[str]], isolated_home: Path,
                                    case: Bad) -> None:
    added = cli(["provider", "add", "hostile", "--anthropic-url", "http://127.0.0.1:9", "--openai-url",
                 "http://127.0.0.1:9/v1", "--model", "hostile-model", "--key-stdin"], input=KEY + "\n")
    assert added.returncode == 0, added.stderr
    path = isolated_home / case.relative
    path.parent.mkdir(parents=True, exist_ok=True)
    case.make(path)
    before = _snapshot(isolated_home / case.relative.split("/")[0])
    run = cli(["use", "hostile", "--tool", case.tool], timeout=30)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert str(path) in run.stderr and case.phrase in run.stderr and "untouched" in run.stderr, run.stderr
    assert _snapshot(isolated_home / case.relative.split("/")[0]) == before


# -- correct handling ---------------------------------------------------------------------------------------


def _switch_and_undo(home: Path, tmp_path: Path, tool: str = "claude-code") -> SwitchEngine:
    engine = SwitchEngine(all_targets(), _env(home), tmp_path / "data")
    result = engine.use(_request(), [tool])
    assert result.switch_id is not None and result.ok
    return engine


def test_symlinked_config_edits_the_real_file_and_keeps_the_link(home: Path, tmp_path: Path) -> None:
    dotfiles = home / "dotfiles" / "claude.json"
    dotfiles.parent.mkdir(parents=True)
    dotfiles.write_bytes(CLAUDE_SAMPLE)
    link = home / CLAUDE
    link.parent.mkdir(parents=True)
    link.symlink_to("../dotfiles/claude.json")  # relative, as dotfile managers make them
    engine = _switch_and_undo(home, tmp_path)
    assert link.is_symlink() and os.readlink(link) == "../dotfiles/claude.json"
    edited = json.loads(dotfiles.read_text())
    assert edited["env"]["ANTHROPIC_BASE_URL"] == "http://127.0.0.1:9"
    assert edited["permissions"] == json.loads(CLAUDE_SAMPLE)["permissions"]
    assert [p.name for p in link.parent.iterdir()] == ["settings.json"]  # no copy replaced the link
    engine.undo()
    assert link.is_symlink() and dotfiles.read_bytes() == CLAUDE_SAMPLE


def test_dangling_symlink_creates_the_file_it_points_to(home: Path, tmp_path: Path) -> None:
    link = home / CLAUDE
    link.parent.mkdir(parents=True)
    target = home / "dotfiles" / "claude.json"
    target.parent.mkdir()
    link.symlink_to(target)
    engine = _switch_and_undo(home, tmp_path)
    assert link.is_symlink() and json.loads(target.read_text())["env"]["ANTHROPIC_MODEL"] == "hostile-model"
    engine.undo()
    assert link.is_symlink() and not target.exists()


def test_read_only_file_is_refused_and_left_as_it_is(home: Path, tmp_path: Path) -> None:
    """Issue 15, finding 7: a chmod 444 config was replaced through its writable folder (mode kept). The user
    protected it on purpose: the switch is refused with a plain message, nothing is written."""
    path = home / CLAUDE
    path.parent.mkdir(parents=True)
    path.write_bytes(CLAUDE_SAMPLE)
    path.chmod(0o444)
    engine = SwitchEngine(all_targets(), _env(home), tmp_path / "data")
    with pytest.raises(SwitchoverError, match=r"is read-only \(mode 0444\), so Switchover leaves it as it is"):
        engine.use(_request(), ["claude-code"])
    assert path.read_bytes() == CLAUDE_SAMPLE and stat.S_IMODE(path.stat().st_mode) == 0o444


def _immutable(path: Path) -> None:
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not available here: {done.stderr.decode().strip()}")


def test_immutable_file_fails_cleanly_and_rolls_back_the_others(home: Path, tmp_path: Path) -> None:
    """Even root cannot replace a `chattr +i` file: the write fails after others were written."""
    claude = home / CLAUDE
    claude.parent.mkdir(parents=True)
    claude.write_bytes(CLAUDE_SAMPLE)
    qwen = home / ".qwen" / "settings.json"
    qwen.parent.mkdir(parents=True)
    qwen.write_bytes((SAMPLES / "qwen_settings.json").read_bytes())
    _immutable(qwen)
    before = _snapshot(home, files_only=True)
    engine = SwitchEngine(all_targets(), _env(home), tmp_path / "data")
    with pytest.raises(SwitchoverError) as failure:
        engine.use(_request(), ["claude-code", "qwen-code", "zed", "aider"])
    message = str(failure.value)
    assert "rolled back" in message and str(qwen.parent) in message, message
    # Claude restored, Zed's and Aider's new files removed, Qwen never touched. (Folders the switch created
    # for new files stay, empty: only files are compared.)
    assert _snapshot(home, files_only=True) == before
    assert engine.history()[0].state == "rolled back"
    assert not [p for p in home.rglob(".switchover-tmp-*")]


def test_bom_crlf_and_empty_files_are_handled(home: Path, tmp_path: Path) -> None:
    claude = home / CLAUDE
    claude.parent.mkdir(parents=True)
    crlf = b"\xef\xbb\xbf" + CLAUDE_SAMPLE.replace(b"\n", b"\r\n")
    claude.write_bytes(crlf)
    aider = home / ".aider.conf.yml"
    aider.write_bytes(b"")
    engine = SwitchEngine(all_targets(), _env(home), tmp_path / "data")
    assert engine.use(_request(), ["claude-code", "aider"]).ok
    data = claude.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert b"\n" not in data.replace(b"\r\n", b""), "line endings were mixed"
    assert json.loads(data[3:])["env"]["ANTHROPIC_MODEL"] == "hostile-model"
    assert b"hostile-model" in aider.read_bytes()
    engine.undo()
    assert claude.read_bytes() == crlf and aider.read_bytes() == b""


def count_malformed_inputs() -> int:
    """For the suite's summary: refused inputs plus the correctly handled odd ones above."""
    return len(BAD) + 6
