"""Every value is written through the format's own encoder: hostile strings come back literally, or are refused.

Issue 12: nothing a provider or a user types may add keys, tables or lines to a tool's config. Each corpus
string is set as a new key and as the replacement of an existing one in a realistic file of every format;
the output is parsed again by an independent parser (the standard library's json and tomllib, ruamel's safe
loader) and must hold exactly the value, and nothing else may have changed.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from switchover.core.errors import ConfigFileError
from switchover.core.formats import load_document
from tests.reliability.hostile_strings import HOSTILE

SAMPLES = {
    "json": '{\n  "env": {\n    "ANTHROPIC_MODEL": "old"\n  },\n  "theme": "dark"\n}\n',
    "jsonc": '// mine\n{\n  "model": {"name": "old"}, // keep\n  "theme": "dark",\n}\n',
    "toml": '# mine\nmodel = "old"\ntheme = "dark"\n\n[model_providers.mine]\nbase_url = "https://x.example/v1"\n',
    "yaml": "# mine\nmodel: old\ntheme: dark\nmodels:\n  - name: mine\n",
    "dotenv": "# mine\nOLD=old\nTHEME=dark\n",
}
EXISTING = {"json": ("env", "ANTHROPIC_MODEL"), "jsonc": ("model", "name"), "toml": ("model",), "yaml": ("model",),
            "dotenv": ("OLD",)}


def _independent(kind: str, text: str) -> Any:
    if kind == "json":
        return json.loads(text)
    if kind == "toml":
        return tomllib.loads(text)
    if kind == "yaml":
        return YAML(typ="safe", pure=True).load(text)
    if kind == "yaml-1.1":  # how PyYAML (Aider) reads it: `no` is False, `1:30` is 90
        reader = YAML(typ="safe", pure=True)
        reader.version = (1, 1)
        return reader.load(text)
    return load_document(kind, text, Path("again")).data  # jsonc and .env: no stdlib parser; our own, fresh


def _get(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("where", ["new", "existing"])
def test_hostile_values_round_trip_or_are_refused(kind: str, where: str) -> None:
    path = ("NEW_VALUE",) if where == "new" and kind == "dotenv" else (("added",) if where == "new" else EXISTING[kind])
    before = _independent(kind, SAMPLES[kind])
    refused = []
    for name, value in HOSTILE:
        doc = load_document(kind, SAMPLES[kind], Path(f"sample.{kind}"))
        try:
            doc.set(path, value)
            text = doc.dumps()
        except ValueError as exc:  # the only way a value may fail: a clear refusal, never a corrupt file
            assert kind == "dotenv", (name, exc)
            assert "cannot hold U+" in str(exc)
            refused.append(name)
            continue
        except ConfigFileError as exc:  # ruamel cannot write U+0085 so that it reads back: refused, file untouched
            assert kind == "yaml" and name == "nel", (name, exc)
            assert "cannot edit this YAML file safely" in str(exc)
            refused.append(name)
            continue
        after = _independent(kind, text)
        assert _get(after, path) == value, f"{kind}: {name} came back as {_get(after, path)!r}"
        if kind == "yaml":
            old_reader = _get(_independent("yaml-1.1", text), path)
            assert old_reader == value, f"a YAML 1.1 reader takes {name} for {old_reader!r}"
        expected = json.loads(json.dumps(before))
        target = expected
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert after == expected, f"{kind}: writing {name} changed other keys"
        assert kind == "json" or "mine" in text.splitlines()[0], "the user's comment is kept"
    # Only values no .env reader can hold in one line (NUL, bare line separators) may be refused.
    assert set(refused) <= {"nul", "nel", "line-separator", "paragraph-separator", "vertical-tab", "form-feed"}
