"""Provider variables in the environment and shell start-up files are flagged with file and line, and what to
do (issue 14, finding 11): `status`, `use --dry-run` (subprocesses), and the parsing per shell."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from switchover.core.shell_startup import assignments, find_settings

KEY = "sk-exported-SECRET-0123456789"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_every_shell_syntax_with_its_line(isolated_home: Path) -> None:
    config = isolated_home / ".config"
    bashrc = write(isolated_home / ".bashrc", f"# export ANTHROPIC_API_KEY=old\nalias ll='ls -l'\n"
                   f"export ANTHROPIC_API_KEY={KEY}\n")
    zshrc = write(isolated_home / ".zshrc", "\n\ntypeset -x OPENAI_BASE_URL=https://x.example.com/v1\n")
    profile = write(isolated_home / ".profile", "GEMINI_API_KEY=abc\nexport GEMINI_API_KEY\n")
    fish = write(config / "fish" / "conf.d" / "keys.fish", "set -U GEMINI_MODEL pro\nset -gx GOOSE_MODEL m1\n")
    envd = write(config / "environment.d" / "10-ai.conf", "AIDER_MODEL=openai/x\n")
    found = find_settings({"ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "GEMINI_MODEL", "GOOSE_MODEL",
                           "AIDER_MODEL"}, isolated_home, {"XDG_CONFIG_HOME": str(config)})
    where = {(s.var, s.path, s.line) for s in found}
    assert ("ANTHROPIC_API_KEY", bashrc, 3) in where and ("ANTHROPIC_API_KEY", bashrc, 1) not in where
    assert ("OPENAI_BASE_URL", zshrc, 3) in where
    assert {("GEMINI_API_KEY", profile, 1), ("GEMINI_API_KEY", profile, 2)} <= where
    assert ("GOOSE_MODEL", fish, 2) in where and not any(v == "GEMINI_MODEL" for v, _p, _l in where)  # -U only
    assert ("AIDER_MODEL", envd, 1) in where
    env_found = find_settings({"OPENAI_API_KEY"}, isolated_home, {"OPENAI_API_KEY": KEY})
    assert [(s.var, s.path) for s in env_found] == [("OPENAI_API_KEY", None)]


def test_assignment_forms() -> None:
    assert assignments("export A=1 B=2\nexport C D\ndeclare -x E=1\nF=1 command\n", fish=False) == [
        (1, "A"), (2, "C"), (2, "D"), (3, "E"), (4, "F")]
    assert assignments("set --export G 1\nset -x H 1\nset I 1\n", fish=True) == [(1, "G"), (2, "H")]


def tools_installed(home: Path) -> None:
    write(home / ".claude" / "settings.json", "{}")
    write(home / ".gemini" / "settings.json", "{}")


def test_status_names_file_line_and_what_to_do(isolated_home: Path, cli: Any) -> None:
    tools_installed(isolated_home)
    write(isolated_home / ".bashrc", f"\nexport ANTHROPIC_API_KEY={KEY}\nexport GOOGLE_GEMINI_BASE_URL=http://x\n")
    result = cli(["status"])
    assert result.returncode == 0, result.stderr
    assert "Conflict   Claude Code: $ANTHROPIC_API_KEY in ~/.bashrc line 2 (also read)" in result.stdout
    assert "Conflict   Gemini CLI: $GOOGLE_GEMINI_BASE_URL in ~/.bashrc line 3 (OVERRIDES)" in result.stdout
    assert "remove that line and open a new terminal" in result.stdout
    assert KEY not in result.stdout
    data = json.loads(cli(["status", "--json"]).stdout)
    gemini = next(c for c in data["conflicts"] if c["tool"] == "gemini-cli")
    assert gemini["line"] == 3 and gemini["overrides"] is True and gemini["file"].endswith(".bashrc")
    assert KEY not in json.dumps(data)


def test_use_dry_run_shows_conflicts_of_the_tools_it_would_switch(isolated_home: Path, cli: Any) -> None:
    tools_installed(isolated_home)
    assert cli(["provider", "add", "laptop", "--ollama-url", "http://127.0.0.1:11434", "--anthropic-url",
                "http://127.0.0.1:11434", "--model", "qwen3-coder", "--no-key"]).returncode == 0
    env = dict(os.environ) | {"ANTHROPIC_BASE_URL": "https://elsewhere.example.com"}
    result = cli(["use", "laptop", "--tool", "claude-code", "--dry-run"], env=env)
    assert result.returncode == 0, result.stderr
    assert "Claude Code: $ANTHROPIC_BASE_URL is set in the current environment" in result.stderr
    assert "unset ANTHROPIC_BASE_URL" in result.stderr
