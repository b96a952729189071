"""Run inside `scripts/with-test-keyring` (a private D-Bus session with its own gnome-keyring): store a key,
lock the real collection, then run CLI commands; prints what each did as JSON for the test to judge.

argv: HOME (an empty directory for the CLI's isolated world)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

KEY = "sk-fake-LOCKED-REAL-KEYCHAIN-9d2e4b"


def lock_default_collection(timeout: float = 10.0) -> str:
    """Lock via secretstorage in a thread, so a hang shows up as an error instead of a stuck test."""
    outcome: list[str] = []

    def work() -> None:
        import secretstorage

        connection = secretstorage.dbus_init()
        try:
            collection = secretstorage.get_default_collection(connection)
            collection.lock()
            outcome.append("locked" if collection.is_locked() else "still unlocked")
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else "lock() hung"


def main() -> int:
    home = Path(sys.argv[1])
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_STATE_HOME=str(home / ".local/state"),
               PYTHON_KEYRING_BACKEND="keyring.backends.SecretService.Keyring")
    for name in ("SWITCHOVER_CONFIG_DIR", "SWITCHOVER_DATA_DIR", "SWITCHOVER_TEST_KEYRING"):
        env.pop(name, None)

    def cli(*args: str, stdin: str = "") -> dict[str, object]:
        done = subprocess.run([sys.executable, "-m", "switchover", *args], input=stdin, capture_output=True,
                              text=True, env=env, timeout=60, check=False)
        return {"args": list(args), "code": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    runs = [cli("provider", "add", "real", "--openai-url", "http://127.0.0.1:9/v1", "--model", "m", "--key-stdin",
                stdin=KEY + "\n")]
    lock = lock_default_collection()
    runs += [
        cli("status", "--json"),
        cli("key", "real"),
        cli("check", "real", "--json", "--timeout", "2"),
        cli("use", "real", "--tool", "aider"),
        cli("provider", "add", "late", "--openai-url", "http://127.0.0.1:9/v1", "--key-stdin", stdin=KEY + "\n"),
    ]
    print(json.dumps({"lock": lock, "runs": runs, "key": KEY}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
