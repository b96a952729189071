""""Did you mean …?" for mistyped names (commands, providers, tools), one rule everywhere."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, options: Iterable[str], count: int = 1) -> list[str]:
    """The options nearest to `word` (case-insensitive; a prefix counts), best first."""
    import difflib  # only when a name was mistyped: every CLI command loads this module

    options = list(dict.fromkeys(options))
    lowered = {o.lower(): o for o in options}
    found = difflib.get_close_matches(word.lower(), list(lowered), n=count, cutoff=0.6)
    if not found:
        found = [o for o in lowered if len(word) >= 2 and (o.startswith(word.lower()) or word.lower() in o)][:count]
    return [lowered[f] for f in found]


def did_you_mean(word: str, options: Iterable[str]) -> str:
    """" Did you mean 'status'?" or "" (ready to append to a message)."""
    found = closest(word, options)
    return f" Did you mean {found[0]!r}?" if found else ""


__all__ = ["closest", "did_you_mean"]
