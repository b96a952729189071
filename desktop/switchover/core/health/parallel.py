"""How many checks a sweep runs at once: the default, and the range the CLI and the app's settings accept.

Each check in flight holds a socket (a sweep raises the open-file limit to fit when the OS allows). With a
client per host, a sweep's CPU no longer grows with how many run at once, so the default lets a thousand
endpoints finish in a few round trips, while most setups (a few dozen endpoints) run all at once anyway.
Kept apart from the runner so the CLI can validate the flag without importing the HTTP stack.
"""

from __future__ import annotations

from switchover.core.errors import ValidationError

DEFAULT_MAX_PARALLEL = 512
MAX_PARALLEL_RANGE = (1, 1000)


def max_parallel(value: int, where: str = "max_parallel") -> int:
    low, high = MAX_PARALLEL_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(f"{where} must be a whole number from {low} to {high} (checks at once)")
    return value
