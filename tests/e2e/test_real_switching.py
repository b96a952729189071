"""The proof for issue 4: `switchover use` re-points the REAL coding CLIs, and `switchover undo` puts back
the user's files byte for byte (marker `realtools`).

For each tool, in an isolated HOME holding realistic existing configs (comments, hooks, MCP servers, a
provider of the user's own), two providers point at two stand-in servers with different keys. The whole
flow goes through the real `switchover` CLI in subprocesses and the real tool binaries:

    provider add alpha/bravo (keys into the test keyring) -> use alpha/model-a -> tool turn served by
    alpha with model-a and alpha's key -> use bravo/model-b -> turn served by bravo -> undo -> the files are
    exactly those alpha's turn ran with -> undo -> the tool's files are exactly the originals.

Tools that read keys only from the environment (OpenCode, Qwen Code, Kilo, Droid) get `SWITCHOVER_<NAME>_API_KEY`
exported from `switchover key NAME`, as the engine's note tells the user to do.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import assert_turn_served, run_tool, tools_installed
from tests.e2e.standin import StandinProvider
from tests.support.cli import run_switchover

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]


# ----------------------------------------------------------------------------- realistic existing configs

CLAUDE_SETTINGS = """{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "sonnet",
  "permissions": {
    "allow": ["Bash(npm run lint)", "Read(~/.zshrc)"],
    "deny": ["Read(./.env)"]
  },
  "hooks": {
    "PostToolUse": [
      {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "echo my-hook-marker >/dev/null"}]}
    ]
  },
  "env": {
    "BASH_DEFAULT_TIMEOUT_MS": "60000",
    "ANTHROPIC_SMALL_FAST_MODEL": "claude-haiku-old"
  },
  "statusLine": {"type": "command", "command": "echo status"}
}
"""

CODEX_CONFIG = """# my codex config: keep this comment
approval_policy = "on-request"
sandbox_mode = "workspace-write"   # inline comment too

[model_providers.ollama-box]
name = "Ollama on the box"
base_url = "http://127.0.0.1:9/v1"
wire_api = "responses"

[mcp_servers.docs]
command = "true"
args = ["my-hook-marker"]

[projects."/home/me/src/app"]
trust_level = "trusted"
"""

GEMINI_SETTINGS = """{
  // my gemini settings: keep this comment
  "ui": {"theme": "GitHub"},
  "general": {"vimMode": true},
  "mcpServers": {
    "docs": {"command": "true", "args": ["my-hook-marker"]}
  },
  "security": {"auth": {"selectedType": "oauth-personal"}},
  "model": {"name": "gemini-2.5-pro"}
}
"""

GEMINI_DOTENV = """# my gemini env: keep this comment
GOOGLE_CLOUD_PROJECT=my-project-marker
"""

OPENCODE_CONFIG = """{
  "$schema": "https://opencode.ai/config.json",
  // my opencode config: keep this comment (my-hook-marker)
  "theme": "tokyonight",
  "model": "anthropic/claude-sonnet-4-5",
  "mcp": {
    "docs": {"type": "local", "command": ["true"], "enabled": false}
  },
  "provider": {
    "ollama-box": {
      "npm": "@ai-sdk/openai-compatible",
      "options": {"baseURL": "http://127.0.0.1:9/v1"},
      "models": {"qwen3-coder": {}},
    },
  },
}
"""

QWEN_SETTINGS = """{
  // my qwen settings: keep this comment
  "$version": 4,
  "ui": {"theme": "Default"},
  "mcpServers": {
    "docs": {"command": "true", "args": ["my-hook-marker"]}
  },
  "modelProviders": {
    "openai": [
      {"id": "qwen3-coder-plus", "name": "My DashScope", "baseUrl": "http://127.0.0.1:9/v1",
       "envKey": "MY_DASHSCOPE_KEY"}
    ]
  },
  "security": {"auth": {"selectedType": "openai"}},
  "model": {"name": "qwen3-coder-plus"}
}
"""

# Continue: the user's own chat model comes first (Continue's CLI uses the first chat model), with roles,
# context providers, rules and a comment; Switchover's entry must become the one in use.
CONTINUE_CONFIG = """name: My Assistant
version: 1.0.0
schema: v1
# my continue config: keep this comment (my-hook-marker)
models:
  - name: My Ollama
    provider: ollama
    model: qwen2.5-coder:7b
    apiBase: http://127.0.0.1:9
    roles:
      - chat
      - edit
  - name: Autocomplete
    provider: ollama
    model: qwen2.5-coder:1.5b
    roles: [autocomplete]
context:
  - provider: code
  - provider: diff
rules:
  - Always answer briefly
"""

# Aider: styles ruamel would re-emit differently (True, a leading ---, trailing spaces, a flow list).
AIDER_CONFIG = (
    "---\n"
    "# my aider config: keep this comment (my-hook-marker)\n"
    "model: gpt-4o\n"
    "weak-model: gpt-4o-mini   \n"
    "dark-mode: True\n"
    "auto-commits: False\n"
    "read: [CONVENTIONS.md]\n"
)

CLINE_PROVIDERS = """{
  "version": 1,
  "lastUsedProvider": "openrouter",
  "modes": {},
  "providers": {
    "openrouter": {
      "settings": {
        "provider": "openrouter",
        "apiKey": "sk-or-my-hook-marker",
        "model": "anthropic/claude-sonnet-4.5"
      },
      "updatedAt": "2026-10-02T09:14:11.201Z",
      "tokenSource": "manual"
    }
  }
}"""

KILO_CONFIG = """{
  "$schema": "https://app.kilo.ai/config.json",
  // my kilo config: keep this comment (my-hook-marker)
  "model": "kilo/anthropic/claude-sonnet-4.5",
  "permission": {"bash": "allow", "edit": "ask"},
  "mcp": {
    "docs": {"type": "local", "command": ["true"], "enabled": false}
  },
  "provider": {
    "ollama-box": {
      "npm": "@ai-sdk/openai-compatible",
      "options": {"baseURL": "http://127.0.0.1:9/v1"},
      "models": {"qwen3-coder": {}},
    },
  },
}
"""

DROID_SETTINGS = """{
  "sessionDefaultSettings": {
    "model": "custom:My-Ollama-0",
    "reasoningEffort": "medium"
  },
  "cloudSessionSync": false,
  "customModels": [
    {
      "model": "qwen3-coder:30b",
      "displayName": "My Ollama",
      "baseUrl": "http://127.0.0.1:9/v1",
      "apiKey": "my-hook-marker",
      "provider": "generic-chat-completion-api"
    }
  ],
  "commandAllowlist": ["ls", "pwd"]
}
"""


@dataclass(frozen=True)
class ToolCase:
    name: str
    tool: str
    # file (relative to HOME) -> original bytes, or None when the file must not exist before (and after)
    files: dict[str, str | None]
    path_suffix: str  # path the completion request must hit; {model} is replaced
    needs_key_env: bool = False  # reads the key from SWITCHOVER_<NAME>_API_KEY
    known_issue: str | None = None  # a real failure not fixed yet: strict xfail, so a fix makes it fail


CASES = {
    case.name: case
    for case in (
        ToolCase("claude-code", "claude-code", {".claude/settings.json": CLAUDE_SETTINGS}, "/v1/messages"),
        ToolCase("claude-code-model-opus", "claude-code",
                 {".claude/settings.json": CLAUDE_SETTINGS.replace('"model": "sonnet"', '"model": "opus"')},
                 "/v1/messages"),
        ToolCase("codex", "codex", {".codex/config.toml": CODEX_CONFIG}, "/v1/responses"),
        ToolCase(
            "gemini-cli", "gemini-cli",
            {".gemini/settings.json": GEMINI_SETTINGS, ".gemini/.env": GEMINI_DOTENV},
            "/v1beta/models/{model}:streamGenerateContent",
        ),
        ToolCase("opencode", "opencode", {".config/opencode/opencode.json": OPENCODE_CONFIG},
                 "/v1/chat/completions", needs_key_env=True),
        ToolCase("qwen-code", "qwen-code", {".qwen/settings.json": QWEN_SETTINGS, ".qwen/.env": None},
                 "/v1/chat/completions", needs_key_env=True),
        ToolCase("continue", "continue", {".continue/config.yaml": CONTINUE_CONFIG, ".continue/.env": None},
                 "/v1/chat/completions"),
        ToolCase("aider", "aider", {".aider.conf.yml": AIDER_CONFIG}, "/v1/chat/completions"),
        # Cline re-saves providers.json on every run (fresh `updatedAt`, re-serialised): undo must still work.
        ToolCase("cline", "cline", {".cline/data/settings/providers.json": CLINE_PROVIDERS}, "/v1/chat/completions"),
        # The marker file is what a user's earlier Kilo runs left: without it Kilo migrates (re-serialises) the
        # config once on its first start.
        ToolCase("kilo-code", "kilo-code", {".config/kilo/kilo.jsonc": KILO_CONFIG,
                                            ".config/kilo/.bash-permission-migrated": ""},
                 "/v1/chat/completions", needs_key_env=True),
        ToolCase("factory-droid", "factory-droid", {".factory/settings.json": DROID_SETTINGS}, "/v1/messages",
                 needs_key_env=True),
    )
}


def switchover(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = run_switchover(list(args), input=stdin, timeout=60)
    assert result.returncode == 0, f"switchover {' '.join(args)} exited {result.returncode}\n" \
                                   f"{result.stdout}\n{result.stderr}"
    return result


def add_provider(name: str, standin: StandinProvider, model: str) -> None:
    key = standin.state.key
    assert key is not None
    switchover(
        "provider", "add", name,
        "--anthropic-url", standin.url,
        "--openai-url", f"{standin.url}/v1",
        "--responses-url", f"{standin.url}/v1",
        "--gemini-url", standin.url,
        "--model", model,
        "--key-stdin",
        stdin=key + "\n",
    )


def key_env(*names: str) -> dict[str, str]:
    """`export SWITCHOVER_<NAME>_API_KEY="$(switchover key NAME)"`, as the engine tells the user."""
    return {f"SWITCHOVER_{name.upper()}_API_KEY": switchover("key", name).stdout.strip() for name in names}


def snapshot(home: Path, case: ToolCase) -> dict[str, bytes | None]:
    return {rel: (home / rel).read_bytes() if (home / rel).exists() else None for rel in case.files}


@pytest.mark.parametrize("case_name", sorted(CASES))
def test_use_switches_real_tool_between_providers_and_undo_restores_files(
    case_name: str, isolated_home: Path, workdir: Path, standin_a: StandinProvider,
    standin_b: StandinProvider, request: pytest.FixtureRequest
) -> None:
    case = CASES[case_name]
    tool = case.tool
    if case.known_issue:
        request.applymarker(pytest.mark.xfail(reason=case.known_issue, strict=True))
    for rel, text in case.files.items():
        if text is not None:
            (isolated_home / rel).parent.mkdir(parents=True, exist_ok=True)
            (isolated_home / rel).write_text(text)
    original = snapshot(isolated_home, case)
    add_provider("alpha", standin_a, "model-a")
    add_provider("bravo", standin_b, "model-b")
    extra_env = key_env("alpha", "bravo") if case.needs_key_env else {}
    key_a, key_b = standin_a.state.key, standin_b.state.key
    assert key_a is not None and key_b is not None

    def turn_served_by(standin: StandinProvider, other: StandinProvider, model: str, key: str) -> None:
        standin.clear()
        other.clear()
        run = run_tool(tool, workdir, extra_env)
        assert_turn_served(run, standin, model, key, case.path_suffix.format(model=model))
        assert other.requests == [], f"{other.name} was contacted too: {other.requests}"
        assert other.reply not in run.stdout
        for rel, text in case.files.items():  # the user's own settings survive the switch
            if text is not None and "marker" in text:
                assert "marker" in (isolated_home / rel).read_text(), f"{rel} lost the user's content"

    switchover("use", "alpha/model-a", "--tool", tool)
    turn_served_by(standin_a, standin_b, "model-a", key_a)
    for rel in case.files:  # no plaintext key in the tool's files unless the tool can take nothing else
        path = isolated_home / rel
        # Gemini CLI and Aider take only a plaintext key (in .env / the config); Cline takes nothing else either.
        if path.exists() and tool not in ("gemini-cli", "aider", "cline") and not rel.endswith(".env"):
            assert key_a not in path.read_text(), f"{rel} holds the key in plaintext"

    pointed_at_a = snapshot(isolated_home, case)  # what alpha's proven turn ran with
    switchover("use", "bravo/model-b", "--tool", tool)
    turn_served_by(standin_b, standin_a, "model-b", key_b)

    switchover("undo")  # back to alpha: the exact files alpha's turn was served with (no need to run it again)
    assert snapshot(isolated_home, case) == pointed_at_a

    switchover("undo")
    assert snapshot(isolated_home, case) == original
