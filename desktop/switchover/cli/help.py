"""Help that helps: every command's `--help` opens with what it does and ends with an example, and a
mistyped command gets a suggestion instead of only the list of choices.

The examples live here, keyed by the command's path ("provider add"), so a new command adds one entry;
`decorate()` fills each parser's description (from its one-line help) and epilog (the examples) after the
command modules registered themselves. tests/cli/test_cli_ergonomics.py checks every command has both.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from switchover.core.suggestions import did_you_mean

EXAMPLES: dict[str, tuple[str, ...]] = {
    "status": ("switchover status", "switchover status --json"),
    "provider": ("switchover provider list", "switchover provider add deepseek --preset deepseek"),
    "provider add": (
        "switchover provider add deepseek --preset deepseek            # asks for the key on a terminal",
        'echo "$KEY" | switchover provider add deepseek --preset deepseek --key-stdin',
        "switchover provider add laptop --preset ollama --model qwen3-coder",
        "switchover provider add work --openai-url https://gw.example.com/v1 --model m1 --key-env WORK_KEY",
    ),
    "provider list": ("switchover provider list", "switchover provider list --json"),
    "provider show": ("switchover provider show deepseek",),
    "provider remove": ("switchover provider remove deepseek",),
    "provider key": ("switchover provider key deepseek --key-stdin < key.txt",
                     "switchover provider key deepseek --key-env DEEPSEEK_API_KEY"),
    "presets": ("switchover presets", "switchover presets --json"),
    "key": ("switchover key deepseek            # what a tool's key-helper command runs",),
    "check": ("switchover check", "switchover check deepseek zai --tier deep", "switchover check --json"),
    "discover": ("switchover discover", "switchover discover --port 8080"),
    "balance": ("switchover balance", "switchover balance deepseek --low-below 5"),
    "usage": ("switchover usage", "switchover usage --by tool --days 30", "switchover usage --json"),
    "prices": ("switchover prices", "switchover prices set deepseek deepseek-flash --input 0.3 --output 1.2"),
    "prices show": ("switchover prices show deepseek",),
    "prices set": ("switchover prices set deepseek deepseek-flash --input 0.3 --output 1.2 --cached-input 0.006",
                   "switchover prices set work house-model --input 2 --output 8 --currency CNY"),
    "prices reset": ("switchover prices reset deepseek", "switchover prices reset deepseek deepseek-flash"),
    "tools": ("switchover tools", "switchover tools --json"),
    "use": ("switchover use deepseek/deepseek-chat --dry-run", "switchover use deepseek --tool claude-code",
            "switchover use deepseek/deepseek-chat --tool claude-code --via-gateway"),
    "undo": ("switchover undo", "switchover undo --force"),
    "history": ("switchover history", "switchover history --limit 0 --json"),
    "exposure": ("switchover exposure",),
    "env": ('eval "$(switchover env --provider deepseek)"', "switchover env --shell fish | source"),
    "run": ("switchover run -- aider --message hi            # the last switch's provider and model",
            "switchover run --provider deepseek --model deepseek-chat -- copilot -p 'fix the tests'",
            "switchover run --direct --provider laptop -- crush"),
    "import": ("switchover import --dry-run", "switchover import", "switchover import --replace-plaintext"),
    "chain": ("switchover chain show", "switchover chain set default deepseek/deepseek-chat laptop/qwen3-coder"),
    "chain set": ("switchover chain set claude-code anthropic/claude-sonnet-4-6 zai/glm-5.2",
                  "switchover chain set default deepseek            # uses DeepSeek's default model"),
    "chain clear": ("switchover chain clear claude-code",),
    "chain show": ("switchover chain show", "switchover chain show --json"),
    "chain mode": ("switchover chain mode claude-code auto", "switchover chain mode default suggest"),
    "chain settings": ("switchover chain settings", "switchover chain settings --interval 30 --hard 2"),
    "watch": ("switchover watch", "switchover watch --mode auto --json"),
    "failover": ("switchover failover", "switchover failover --history 50"),
    "gateway": ("switchover gateway", "switchover gateway --port 7400 --save",
                "switchover use deepseek/deepseek-chat --tool claude-code --via-gateway"),
    "gateway status": ("switchover gateway status", "switchover gateway status --json"),
    "gateway log": ("switchover gateway log", "switchover gateway log --tool codex --limit 100",
                    "switchover gateway log --usage --json"),
    "gateway token": ("switchover gateway token            # what tools' key helpers run",
                      "switchover gateway token --rotate"),
}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


def _subparser_actions(parser: argparse.ArgumentParser) -> list[argparse._SubParsersAction]:  # type: ignore[type-arg]
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser, str]]:
    """(path, parser, one-line help) of every command and sub-command under `parser`."""
    found = []
    for action in _subparser_actions(parser):
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        for name, sub in action.choices.items():
            path = f"{prefix} {name}".strip()
            found.append((path, sub, helps.get(name, "")))
            found.extend(commands(sub, path))
    return found


def decorate(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Give every command a description (its help as a sentence, unless it has a longer one) and examples."""
    for path, sub, summary in commands(parser):
        if not sub.description:
            sub.description = _sentence(summary)
        examples = EXAMPLES.get(path, ())
        if examples and not sub.epilog:
            sub.epilog = "Example" + ("s" if len(examples) > 1 else "") + ":\n" + "\n".join(
                f"  {line}" for line in examples)
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


class SuggestingParser(argparse.ArgumentParser):
    """An argparse parser whose "invalid choice" error suggests the nearest choice."""

    def error(self, message: str) -> NoReturn:
        match = _INVALID_CHOICE.search(message)
        if match:
            choices = [c.strip().strip("'") for c in match.group(2).split(",")]
            message = f"{message}.{did_you_mean(match.group(1), choices)}"
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


__all__ = ["EXAMPLES", "SuggestingParser", "commands", "decorate"]
