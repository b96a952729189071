"""Runs one switch (or undo) in a child process so the crash suite can SIGKILL it at a chosen step.

argv: HOME DATA ACTION(use|undo); the crash point comes from SWITCHOVER_TEST_PAUSE_AT.
"""

from __future__ import annotations

import sys
from pathlib import Path

from switchover.core.switching import SwitchEngine
from tests.switching.fakes import FakeTarget, env_for, request

TOOLS = ("alpha", "beta", "gamma")


def targets() -> list[FakeTarget]:
    return [FakeTarget(t, kind="jsonc" if t == "gamma" else "json", secret=t == "beta") for t in TOOLS]


def main() -> int:
    home, data, action = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    engine = SwitchEngine(targets(), env_for(home), data)
    if action == "use":
        engine.use(request(model=sys.argv[4] if len(sys.argv) > 4 else "chat-1"), list(TOOLS))
    else:
        engine.undo()
    print("finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
