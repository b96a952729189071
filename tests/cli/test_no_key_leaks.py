"""After a realistic run, the fake key exists only in the keychain: not in any file we wrote, log or output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from switchover.core import paths

FAKE = "sk-leakcheck-ZZ0123456789abcdefQQ"


def test_key_appears_nowhere_but_the_keychain(cli: Any, tmp_path: Path) -> None:
    outputs = []
    runs = [
        (["provider", "add", "leaky", "--preset", "deepseek", "--model", "deepseek-chat", "--key-stdin"], FAKE + "\n"),
        (["provider", "add", "leaky", "--preset", "deepseek", "--key-stdin"], FAKE + "\n"),  # duplicate: fails
        (["provider", "list", "--json"], None),
        (["provider", "show", "leaky", "--json"], None),
        (["provider", "show", "leaky"], None),
        (["status", "--json"], None),
        (["status"], None),
        (["provider", "key", "leaky", "--key-stdin"], FAKE + "\n"),
        (["provider", "add", "bad", "--openai-url", f"https://{FAKE}@example.com/v1", "--no-key"], None),
    ]
    for argv, stdin in runs:
        result = cli(argv, input=stdin)
        outputs.append(result.stdout + result.stderr)
    assert all(FAKE not in text for text in outputs)
    # The one command allowed to print it does.
    assert cli(["key", "leaky"]).stdout.strip() == FAKE

    keyring_file = tmp_path / "test-keyring.json"
    assert json.loads(keyring_file.read_text())["switchover/leaky"] == FAKE
    log_file = paths.log_dir() / "switchover.log"
    assert log_file.exists() and log_file.stat().st_size > 0, "failures were logged"
    offenders = []
    for root, _dirs, files in os.walk(tmp_path):
        for name in files:
            path = Path(root) / name
            if path == keyring_file:
                continue
            if FAKE.encode() in path.read_bytes():
                offenders.append(str(path))
    assert offenders == []
