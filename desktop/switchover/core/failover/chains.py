"""Fallback chains: which provider/model choices a tool may use, in order of preference.

A tool uses its own chain (`store.chains[tool]`) when it has one, else the default chain
(`store.chains["default"]`). Entries whose provider is gone, cannot speak any protocol the tool needs, or
names no model are skipped with a note, so one stale entry never blocks the rest of the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from switchover.core.errors import ValidationError
from switchover.core.failover.settings import DEFAULT_TOOL
from switchover.core.providers import Protocol, Provider, endpoint_key
from switchover.core.store import ChainEntry, Store
from switchover.core.suggestions import did_you_mean


def chain_for(store: Store, tool: str) -> list[ChainEntry]:
    """The tool's own chain, else the default chain, else empty."""
    own = store.chains.get(tool)
    if own:
        return list(own)
    return list(store.chains.get(DEFAULT_TOOL, []))


def has_own_chain(store: Store, tool: str) -> bool:
    return bool(store.chains.get(tool))


def any_chain(store: Store) -> bool:
    return any(store.chains.values())


@dataclass(frozen=True)
class Candidate:
    """A chain entry made concrete for one tool: the provider, the model, and the endpoint it would use."""

    position: int  # index in the tool's chain (0 = preferred)
    provider: Provider
    model: str
    protocol: Protocol

    @property
    def choice(self) -> ChainEntry:
        return ChainEntry(self.provider.name, self.model)

    @property
    def endpoint_key(self) -> str:
        """Same form as `HealthResult.endpoint_key`, so results map back to candidates."""
        return endpoint_key(self.provider.name, self.protocol)

    @property
    def label(self) -> str:
        """"Z.ai glm-5.2": how people name a choice."""
        return f"{self.provider.display_name} {self.model}"


def pick_protocol(provider: Provider, tool_protocols: Sequence[Protocol]) -> Protocol | None:
    """The first protocol the tool speaks that the provider offers (the same rule targets use)."""
    return next((p for p in tool_protocols if provider.endpoint(p) is not None), None)


def resolve_candidates(
    store: Store, tool: str, tool_protocols: Sequence[Protocol]
) -> tuple[list[Candidate], list[str]]:
    """The usable candidates in chain order, and a note for each entry that had to be skipped."""
    candidates: list[Candidate] = []
    notes: list[str] = []
    for position, entry in enumerate(chain_for(store, tool)):
        provider = store.providers.get(entry.provider)
        if provider is None:
            notes.append(f"{entry}: no provider named {entry.provider!r} is configured")
            continue
        protocol = pick_protocol(provider, tool_protocols)
        if protocol is None:
            wanted = " or ".join(p.value for p in tool_protocols) or "no known protocol"
            notes.append(f"{entry}: {tool} needs {wanted}, which {provider.display_name} does not offer")
            continue
        model = entry.model or provider.default_model
        if not model:
            notes.append(f"{entry}: no model given and {provider.display_name} lists none")
            continue
        candidates.append(Candidate(position, provider, model, protocol))
    return candidates, notes


def parse_chain(texts: Sequence[str], store: Store) -> list[ChainEntry]:
    """`["anthropic/claude-sonnet-4-6", "zai/glm-5.2"]` → entries; every provider must exist already."""
    if not texts:
        raise ValidationError("A chain needs at least one PROVIDER/MODEL entry.")
    entries = [ChainEntry.parse(text) for text in texts]
    unknown = sorted({e.provider for e in entries if e.provider not in store.providers})
    if unknown:
        known = ", ".join(sorted(store.providers)) or "none yet"
        hints = "".join(did_you_mean(name, store.providers) for name in unknown)
        raise ValidationError(
            f"Unknown provider(s) {', '.join(unknown)}.{hints} (Configured: {known}.) Add them with "
            "`switchover provider add` first."
        )
    seen: set[ChainEntry] = set()
    for entry in entries:
        if entry in seen:
            raise ValidationError(f"{entry} appears twice in the chain.")
        seen.add(entry)
    return entries


def with_default_models(entries: Sequence[ChainEntry], store: Store) -> tuple[list[ChainEntry], list[ChainEntry]]:
    """Entries without a model get their provider's default model, written out (so the chain says what it
    uses, and a later change of the provider's model list does not silently change it). Returns the entries
    and those that were filled in; a provider that lists no model is an error saying what to give."""
    done: list[ChainEntry] = []
    filled: list[ChainEntry] = []
    for given in entries:
        entry = given
        if entry.model is None:
            provider = store.get(entry.provider)
            if not provider.default_model:
                raise ValidationError(
                    f"{provider.display_name} lists no models, so {entry.provider} alone does not say which model "
                    f"to use: give one as {entry.provider}/MODEL."
                )
            entry = ChainEntry(entry.provider, provider.default_model)
            filled.append(entry)
        if entry in done:
            raise ValidationError(f"{entry} appears twice in the chain.")
        done.append(entry)
    return done, filled
