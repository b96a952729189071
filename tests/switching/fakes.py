"""Small real targets for engine tests: each owns keys in one file under the test's home directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from switchover.core.formats import load_bytes, to_bytes
from switchover.core.providers import Endpoint, Protocol, Provider
from switchover.core.switching.contract import (
    CurrentChoice,
    Detection,
    FileChange,
    SwitchPlan,
    SwitchRequest,
    Target,
    TargetRefusal,
    ToolEnv,
)

SECRET = "sk-fake-SECRET-abcdef0123456789"


def provider(name: str = "deepseek", url: str = "https://api.example.com/v1") -> Provider:
    return Provider(name, (Endpoint.make(Protocol.OPENAI_CHAT, url),), models=("chat-1", "chat-2"))


def request(prov: Provider | None = None, model: str = "chat-1", key: str | None = SECRET) -> SwitchRequest:
    prov = prov or provider()
    return SwitchRequest(prov, model, None, ("/usr/bin/switchover", "key", prov.name), lambda: key)


def env_for(home: Path) -> ToolEnv:
    return ToolEnv(home=home, environ={"HOME": str(home), "PATH": ""}, platform="linux", cwd=home)


class FakeTarget(Target):
    """Owns `base_url` and `model` (and optionally `api_key`) in `~/.<id>/config.json`."""

    protocols = (Protocol.OPENAI_CHAT,)

    def __init__(self, tool_id: str, *, kind: str = "json", refuse: bool = False, secret: bool = False,
                 installed: bool = True, path: Path | None = None,
                 after_plan: Callable[[FakeTarget], None] | None = None):
        self.id = tool_id
        self.label = tool_id.title()
        self.kind = kind
        self.refuse = refuse
        self.secret = secret
        self.installed = installed
        self.fixed_path = path
        self.after_plan = after_plan
        self.plans = 0

    def config(self, env: ToolEnv) -> Path:
        return self.fixed_path or env.home / f".{self.id}" / "config.json"

    def detect(self, env: ToolEnv) -> Detection:
        return Detection(self.installed, None, (self.config(env),))

    def current(self, env: ToolEnv) -> CurrentChoice | None:
        path = self.config(env)
        if not path.exists():
            return None
        doc = load_bytes(self.kind, path.read_bytes(), path)
        return CurrentChoice(doc.get(("base_url",)), doc.get(("model",)), Protocol.OPENAI_CHAT)

    def plan(self, env: ToolEnv, request: SwitchRequest) -> SwitchPlan:
        self.plans += 1
        if self.refuse:
            raise TargetRefusal(f"{self.label} cannot use {request.provider.name}.")
        endpoint = self.choose_endpoint(request.provider)
        path = self.config(env)
        before = path.read_bytes() if path.exists() else None
        doc = load_bytes(self.kind, before, path)
        doc.set(("base_url",), endpoint.base_url)
        doc.set(("model",), request.model)
        if self.secret:
            doc.set(("api_key",), request.resolve_key())
        after = to_bytes(doc)
        changes = () if after == before else (FileChange(path, before, after, 0o600, self.secret),)
        plan = SwitchPlan(self.id, endpoint, request.model, None, changes, ("a warning",), ("restart it",))
        if self.after_plan is not None:
            self.after_plan(self)
        return plan


def write_config(path: Path, data: dict[str, object], comment: str = "") -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = (json.dumps(data, indent=4) + "\n").encode()
    path.write_bytes(raw)
    return raw
