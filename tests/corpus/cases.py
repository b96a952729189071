"""The config corpus (issue 15): real-world-shaped user files for every tool, and what each test may touch.

`configs/<tool>/` holds files written from the tools' documentation and typical published dotfiles: large
Claude Code settings with hooks and plugins, Codex with many MCP servers and its own providers, JSONC with
comments and trailing commas, YAML with anchors and merge keys, tabs, one-line JSON, missing final newlines,
CRLF. Each case says where the files go under HOME; variants add CRLF line endings, a UTF-8 BOM, or put the
tool's folder behind a symlink (dotfiles managers do that).

`OWNED` is the tests' own, independent statement of what a switch may change in each file: every other key,
value and list item must come out of a switch exactly as it went in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIGS = Path(__file__).parent / "configs"

# Where each tool's files live under HOME (the first one is the main config).
CLAUDE = ".claude/settings.json"
CODEX = ".codex/config.toml"
GEMINI, GEMINI_ENV = ".gemini/settings.json", ".gemini/.env"
OPENCODE, OPENCODE_C = ".config/opencode/opencode.json", ".config/opencode/opencode.jsonc"
QWEN = ".qwen/settings.json"
AIDER = ".aider.conf.yml"
CONTINUE, CONTINUE_ENV = ".continue/config.yaml", ".continue/.env"
ZED = ".config/zed/settings.json"
GOOSE = ".config/goose/config.yaml"
CLINE = ".cline/data/settings/providers.json"
KILO, KILO_C = ".config/kilo/kilo.json", ".config/kilo/kilo.jsonc"
DROID = ".factory/settings.json"


@dataclass(frozen=True)
class Case:
    id: str
    tool: str
    files: dict[str, str]  # path under HOME -> file in configs/<tool>/
    variants: tuple[str, ...] = ()  # extra runs: "crlf", "bom", "symlink"

    def text(self, relative: str) -> bytes:
        return (CONFIGS / self.tool / self.files[relative]).read_bytes()


def _case(tool: str, name: str, where: str, *variants: str, extra: dict[str, str] | None = None) -> Case:
    return Case(f"{tool}/{name}", tool, {where: name, **(extra or {})}, variants)


CASES: tuple[Case, ...] = (
    _case("claude-code", "hooks-and-plugins.json", CLAUDE, "crlf", "symlink"),
    _case("claude-code", "empty-object.json", CLAUDE, "bom"),
    _case("claude-code", "tabs-with-old-gateway.json", CLAUDE, "crlf"),
    _case("claude-code", "one-line-no-newline.json", CLAUDE),
    _case("claude-code", "unicode-and-subagents.json", CLAUDE, "bom"),
    _case("claude-code", "managed-like-sandbox.json", CLAUDE),
    _case("codex", "many-mcp-servers.toml", CODEX, "crlf", "symlink"),
    _case("codex", "own-providers-and-profiles.toml", CODEX, "bom"),
    _case("codex", "indented-and-dotted.toml", CODEX, "crlf"),
    _case("codex", "minimal-no-newline.toml", CODEX),
    _case("codex", "older-switchover-table.toml", CODEX),
    _case("gemini-cli", "full-settings.json", GEMINI, "crlf", "symlink", extra={GEMINI_ENV: "full-settings.env"}),
    _case("gemini-cli", "oauth-user.json", GEMINI),
    _case("gemini-cli", "own-key.json", GEMINI, "crlf", extra={GEMINI_ENV: "own-key.env"}),
    _case("gemini-cli", "sparse.json", GEMINI),
    _case("opencode", "providers-and-mcp.jsonc", OPENCODE_C, "crlf", "symlink"),
    _case("opencode", "minimal.json", OPENCODE, "bom"),
    _case("opencode", "tabs-block-comments.jsonc", OPENCODE_C),
    _case("opencode", "allowlist-with-switchover.json", OPENCODE),
    _case("opencode", "lsp-and-agents.json", OPENCODE, "crlf"),
    _case("qwen-code", "v4-full.json", QWEN, "crlf", "symlink"),
    _case("qwen-code", "unversioned-strict.json", QWEN),
    _case("qwen-code", "compact-oauth.json", QWEN, "bom"),
    _case("qwen-code", "tabs-empty-list.json", QWEN),
    _case("aider", "sample-style.yml", AIDER, "crlf", "symlink"),
    _case("aider", "anchors.yml", AIDER, "bom"),
    _case("aider", "crlf-quoted.yml", AIDER),
    _case("aider", "minimal-no-newline.yml", AIDER),
    _case("continue", "multi-models.yaml", CONTINUE, "crlf", "symlink"),
    _case("continue", "anchors-aliases.yaml", CONTINUE),
    _case("continue", "crlf-empty-models.yaml", CONTINUE),
    _case("continue", "with-docs-and-data.yaml", CONTINUE, "bom"),
    _case("zed", "full.jsonc", ZED, "crlf", "symlink"),
    _case("zed", "legacy-assistant.jsonc", ZED),
    _case("zed", "default-template.jsonc", ZED, "bom"),
    _case("zed", "both-agent-keys.jsonc", ZED),
    _case("goose", "flat-with-extensions.yaml", GOOSE, "crlf"),
    _case("goose", "active-provider.yaml", GOOSE, "symlink"),
    _case("goose", "crlf-ollama.yaml", GOOSE),
    _case("cline", "two-providers.json", CLINE, "crlf"),
    _case("cline", "fresh.json", CLINE),
    _case("kilo-code", "kilo.jsonc", KILO_C, "crlf"),
    _case("kilo-code", "minimal.json", KILO),
    _case("factory-droid", "hooks-and-custom-models.json", DROID, "crlf"),
    _case("factory-droid", "minimal.json", DROID, "bom"),
)


# -- what a switch may change: the tests' own list, not the targets' ------------------------------------------

Path_ = tuple[str, ...]
Ours = Callable[[Any], bool]  # a list item that is Switchover's entry


def _named(suffix: str) -> Ours:
    return lambda item: isinstance(item, dict) and str(item.get("name", "")).endswith(suffix)


_CLAUDE_ENV = ("ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL",
               "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL", "ANTHROPIC_SMALL_FAST_MODEL",
               "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_SUBAGENT_MODEL")
_OPENCODE: list[Path_] = [("model",), ("small_model",), ("provider", "switchover")]


@dataclass(frozen=True)
class Owned:
    keys: tuple[Path_, ...] = ()
    lists: tuple[tuple[Path_, Ours], ...] = ()  # list paths ("*" matches any key) and how to tell our items
    whole: bool = False  # the file is Switchover's alone (a .env it created for keys)


OWNED: dict[str, Owned] = {
    CLAUDE: Owned((*(("env", v) for v in _CLAUDE_ENV), ("apiKeyHelper",))),
    CODEX: Owned((("model",), ("model_provider",), ("model_providers", "switchover"))),
    GEMINI: Owned((("security", "auth", "selectedType"), ("model", "name"))),
    GEMINI_ENV: Owned((("GOOGLE_GEMINI_BASE_URL",), ("GEMINI_API_KEY",))),
    OPENCODE: Owned(tuple(_OPENCODE)),
    OPENCODE_C: Owned(tuple(_OPENCODE)),
    KILO: Owned(tuple(_OPENCODE)),
    KILO_C: Owned(tuple(_OPENCODE)),
    QWEN: Owned((("security", "auth", "selectedType"), ("model", "name")),
                ((("modelProviders", "*"), _named(" (Switchover)")),)),
    AIDER: Owned((("model",), ("weak-model",), ("editor-model",), ("openai-api-base",), ("openai-api-key",))),
    CONTINUE: Owned(lists=((("models",), _named("Switchover")),)),
    CONTINUE_ENV: Owned(whole=True),
    ZED: Owned((("language_models", "openai_compatible", "Switchover"), ("agent", "default_model", "provider"),
                ("agent", "default_model", "model"), ("assistant", "default_model", "provider"),
                ("assistant", "default_model", "model"))),
    GOOSE: Owned((("GOOSE_PROVIDER",), ("GOOSE_MODEL",), ("active_provider",), ("providers", "custom_switchover"))),
    # Cline: Switchover uses Cline's own provider entry for the protocol and makes it the one in use.
    CLINE: Owned((("lastUsedProvider",), ("providers", "openai-compatible"), ("providers", "anthropic"))),
    DROID: Owned((("sessionDefaultSettings", "model"),),
                 ((("customModels",), lambda item: isinstance(item, dict)
                   and str(item.get("id", "")).startswith("custom:switchover:")),)),
}
