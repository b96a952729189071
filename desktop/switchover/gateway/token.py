"""The per-user local gateway token: what tools pointed at the gateway hold instead of a provider key.

A random 256-bit value in a 0600 file in Switchover's config dir, created once. Tools get it by indirection
where they have one (`switchover gateway token` as a key helper, OpenCode's `{file:...}`); the gateway
requires it on every request and compares in constant time. It unlocks only the loopback gateway, so a
leaked token never exposes a provider key, and replacing it (`switchover gateway token --rotate`) is cheap.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

from switchover.core import paths
from switchover.core.errors import SwitchoverError
from switchover.core.fileio import atomic_write
from switchover.core.secrets import remember_secret

TOKEN_PREFIX = "swo-gw-"
_TOKEN_BYTES = 32
_MAX_FILE_BYTES = 1024


class TokenError(SwitchoverError):
    pass


def token_file() -> Path:
    return paths.config_dir() / "gateway.token"


def _valid(text: str) -> bool:
    body = text.removeprefix(TOKEN_PREFIX)
    return text.startswith(TOKEN_PREFIX) and 32 <= len(body) <= 128 and body.replace("-", "").replace("_", "").isalnum()


def read_token(path: Path | None = None) -> str | None:
    """The token, or None when none was made yet. A file others can read, or one that is not a token,
    is an error (never silently used or replaced)."""
    path = path or token_file()
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise TokenError(f"{path} is not a regular file; remove it and run `switchover gateway token --rotate`.")
    if os.name == "posix" and stat.S_IMODE(info.st_mode) & 0o077:
        raise TokenError(
            f"{path} can be read by other users (mode {stat.S_IMODE(info.st_mode):o}); run "
            f"`chmod 600 {path}` or replace it with `switchover gateway token --rotate`."
        )
    if info.st_size > _MAX_FILE_BYTES:
        raise TokenError(f"{path} is not a gateway token; replace it with `switchover gateway token --rotate`.")
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not _valid(text):
        raise TokenError(f"{path} is not a gateway token; replace it with `switchover gateway token --rotate`.")
    remember_secret(text)
    return text


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)


def write_token(token: str, path: Path | None = None) -> Path:
    path = path or token_file()
    paths.ensure_private_dir(path.parent)
    remember_secret(token)
    # No trailing newline: OpenCode's {file:} substitution uses the bytes as they are.
    written = atomic_write(path, token.encode("ascii"), mode=0o600)
    os.chmod(written, 0o600)
    return written


def ensure_token(path: Path | None = None) -> str:
    """The existing token, or a new one written atomically (0600)."""
    existing = read_token(path)
    if existing is not None:
        return existing
    token = new_token()
    write_token(token, path)
    return read_token(path) or token


def rotate_token(path: Path | None = None) -> str:
    token = new_token()
    write_token(token, path)
    return token


def token_matches(presented: str | None, expected: str) -> bool:
    """Constant-time comparison (the length leaks, which is fixed and public anyway)."""
    if not presented:
        return False
    return hmac.compare_digest(presented.encode("utf-8", "replace"), expected.encode("utf-8"))
