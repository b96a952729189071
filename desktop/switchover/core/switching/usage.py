"""Where a provider is still in use: tools pointed at its URLs, and files holding its plaintext key.

A tool whose key comes from `switchover key NAME` sends whatever key NAME has *now* to whatever URL its
config names. So changing a provider's URLs, or removing it, must not happen behind the back of the tools
still pointed at it (issue 12, finding 6): the CLI and the app ask here first.
"""

from __future__ import annotations

from dataclasses import dataclass

from switchover.core.providers import Provider, normalise_url
from switchover.core.switching.engine import SwitchEngine, ToolStatus
from switchover.core.switching.exposure import ExposedFile


@dataclass(frozen=True)
class ToolUse:
    tool: str
    label: str
    base_url: str
    model: str | None


@dataclass(frozen=True)
class ProviderUsage:
    tools: tuple[ToolUse, ...]
    key_files: tuple[ExposedFile, ...]  # files (and our backups of them) holding this provider's key

    @property
    def in_use(self) -> bool:
        return bool(self.tools or self.key_files)

    def describe(self) -> list[str]:
        lines = [f"{t.label} uses it ({t.base_url}, model {t.model or 'default'})" for t in self.tools]
        lines += [f"{f.path} holds its key" for f in self.key_files]
        return lines


def _points_at(row: ToolStatus, urls: set[str]) -> bool:
    current = row.current
    return current is not None and bool(current.base_url) and normalise_url(current.base_url or "") in urls


def provider_usage(engine: SwitchEngine, provider: Provider) -> ProviderUsage:
    """Tools whose config points at one of `provider`'s URLs, and files that hold its key."""
    urls = {normalise_url(e.base_url) for e in provider.endpoints}
    tools = tuple(
        ToolUse(row.tool, row.label, row.current.base_url or "", row.current.model)
        for row in engine.tools()
        if row.current is not None and _points_at(row, urls)
    )
    files = tuple(f for f in engine.exposure() if f.provider == provider.name and f.exists)
    return ProviderUsage(tools, files)


def stranded_by(new: Provider, usage: ProviderUsage) -> tuple[ToolUse, ...]:
    """Of the tools using a provider (`usage`), those pointed at a URL its new settings `new` lack: they would
    send the new key to the old host."""
    kept = {normalise_url(e.base_url) for e in new.endpoints}
    return tuple(t for t in usage.tools if normalise_url(t.base_url) not in kept)
