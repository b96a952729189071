"""The OS keychain, behind a wrapper that says whether it really works (model: Vorta's keyring layer).

A provider's key lives in the keychain under service "switchover", user = provider name. We refuse backends
that would keep keys in plaintext (or nowhere) instead of silently falling back: the caller gets an error that
says what to install or unlock, or to use `--key-env VAR`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import threading
from dataclasses import dataclass
from urllib.parse import unquote_plus

from switchover.core import validation
from switchover.core.errors import SwitchoverError
from switchover.core.providers import Provider

SERVICE = "switchover"
_NO_KEYCHAIN_HELP = (
    "No usable OS keychain was found. On Linux install and start a Secret Service provider "
    "(e.g. `sudo apt install gnome-keyring` and log in to a desktop session, or KeePassXC with Secret Service "
    "enabled); on macOS and Windows the system keychain is used. Alternatively keep the key in an environment "
    "variable and add the provider with `--key-env VAR`."
)
# Backends that would store keys in plaintext, or not at all. Never used silently.
_REFUSED_BACKENDS = (
    "keyring.backends.fail.Keyring",
    "keyring.backends.null.Keyring",
    "keyrings.alt.file.PlaintextKeyring",
)
_lock = threading.Lock()  # SecretService is not thread-safe (vorta PR #195)
_known_secrets: set[str] = set()  # every key this process has handled, scrubbed from all text we emit


def remember_secret(secret: str | None) -> None:
    if secret:
        _known_secrets.add(secret)


class KeychainError(SwitchoverError):
    pass


class KeychainUnavailableError(KeychainError):
    pass


class KeychainLockedError(KeychainError):
    pass


class MissingKeyError(KeychainError):
    pass


@dataclass(frozen=True)
class KeychainStatus:
    backend: str
    is_system: bool
    is_unlocked: bool
    problem: str | None

    @property
    def usable(self) -> bool:
        return self.is_system and self.is_unlocked


def _backend_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_refused(backend: object) -> bool:
    from keyring.backends import chainer

    name = _backend_name(backend)
    if name in _REFUSED_BACKENDS:
        return True
    if isinstance(backend, chainer.ChainerBackend):
        return not backend.backends or all(_is_refused(b) for b in backend.backends)
    return bool(getattr(backend, "priority", 1) <= 0 and "Plaintext" in name)


class Keychain:
    """Store, read and delete provider keys; every failure is a `KeychainError` with an actionable message."""

    def __init__(self) -> None:
        import keyring
        from keyring.backends import fail

        self._keyring = keyring
        self._load_error: str | None = None
        try:
            self._backend = keyring.get_keyring()
        except Exception as exc:  # a forced backend (PYTHON_KEYRING_BACKEND) that cannot start, e.g. no D-Bus
            self._backend = fail.Keyring()  # type: ignore[no-untyped-call]
            self._load_error = f"The keychain backend could not start: {redact(str(exc))}. "

    @property
    def backend_name(self) -> str:
        return _backend_name(self._backend)

    def status(self) -> KeychainStatus:
        if _is_refused(self._backend):
            return KeychainStatus(self.backend_name, False, False, self._unavailable_message())
        unlocked = self._probe_unlocked()
        problem = None if unlocked else self._locked_message()
        return KeychainStatus(self.backend_name, True, unlocked, problem)

    def _locked_message(self) -> str:
        return (
            f"The OS keychain ({self.backend_name}) is locked. Unlock it (e.g. log in to your desktop session "
            "or open your password manager), then try again."
        )

    def _probe_unlocked(self) -> bool:
        """Ask Secret Service directly whether the default collection is locked; others report via errors."""
        if "SecretService" not in self.backend_name:
            return not bool(getattr(self._backend, "locked", False))
        try:
            import secretstorage

            with _lock:
                connection = secretstorage.dbus_init()
                try:
                    collection = secretstorage.get_default_collection(connection)
                    return not collection.is_locked()
                finally:
                    connection.close()
        except Exception:
            return False

    def _unavailable_message(self) -> str:
        return (self._load_error or "") + _NO_KEYCHAIN_HELP

    def _require_usable(self) -> None:
        if _is_refused(self._backend):
            raise KeychainUnavailableError(self._unavailable_message())

    def _call(self, action: str, name: str, fn, *args):  # type: ignore[no-untyped-def]
        from keyring import errors

        self._require_usable()
        try:
            with _lock:
                return fn(SERVICE, name, *args)
        except errors.KeyringLocked:
            raise KeychainLockedError(self._locked_message()) from None
        except errors.NoKeyringError:
            raise KeychainUnavailableError(_NO_KEYCHAIN_HELP) from None
        except errors.PasswordDeleteError:
            raise
        except errors.KeyringError as exc:
            raise KeychainError(
                f"The OS keychain ({self.backend_name}) refused to {action} the key for {name!r}: "
                f"{type(exc).__name__}. Check that it is unlocked and running."
            ) from None

    def get(self, name: str) -> str | None:
        value = self._call("read", name, self._keyring.get_password)
        if not isinstance(value, str):
            return None
        remember_secret(value)
        return value

    def set(self, name: str, secret: str) -> None:
        problem = validation.api_key_problem(secret)
        if problem:
            raise KeychainError(f"That key {problem}; a key is one line of printable characters without spaces.")
        remember_secret(secret)
        self._call("store", name, self._keyring.set_password, secret)

    def delete(self, name: str) -> bool:
        from keyring import errors

        try:
            self._call("delete", name, self._keyring.delete_password)
        except errors.PasswordDeleteError:
            return False
        return True


def resolve_key(provider: Provider, keychain: Keychain | None = None) -> str | None:
    """The key a provider's credential points at; `None` for keyless providers.

    Raises `MissingKeyError` when the credential names a key that is not there, so callers can say which.
    """
    credential = provider.credential
    if credential.kind == "none":
        return None
    if credential.kind == "env":
        assert credential.env_var is not None
        value = os.environ.get(credential.env_var)
        if not value:
            raise MissingKeyError(
                f"Provider {provider.name!r} takes its key from ${credential.env_var}, which is not set "
                "in this environment."
            )
        remember_secret(value)
        return value
    value = (keychain or Keychain()).get(provider.name)
    if value is None:
        raise MissingKeyError(
            f"No key for provider {provider.name!r} in the OS keychain. Store one with "
            f"`switchover provider key {provider.name} --key-stdin`."
        )
    return value


# ---------------------------------------------------------------- redaction

_KEYLIKE = re.compile(
    r"\b(?:sk|pk|rk|key|api|ak|tok)[-_][A-Za-z0-9_\-]{12,}"  # sk-…, sk-ant-…, sk-proj-…
    r"|\bAIza[0-9A-Za-z_\-]{30,}"  # Google API keys
    r"|\b[A-Za-z0-9]{32,}(?:\.[A-Za-z0-9]{8,})?\b"  # long opaque tokens (Zhipu id.secret, hex keys)
)


def redact_value(secret: str) -> str:
    """`sk-…abcd`: enough to recognise a key, never enough to use it."""
    if len(secret) < 12:
        return "…"
    prefix = secret[:3] if secret[2:3] in "-_" else ""
    return f"{prefix}…{secret[-4:]}"


# A run of this many characters of a key, in any letter case, counts as the key (a provider that echoes a
# trimmed or re-cased key still leaks it). Keys shorter than MIN_KEY_FOR_PARTS are matched whole only.
KEY_PART_CHARS = 10
MIN_KEY_FOR_PARTS = 12
_B64_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{12,}={0,2}")
_PCT_TOKEN = re.compile(r"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*)+")
_REDACTED = "[redacted]"


def _parts(secret: str) -> set[str]:
    """Every run of KEY_PART_CHARS characters of the key, lower-cased (the whole key when it is short)."""
    lowered = secret.lower()
    if len(secret) < MIN_KEY_FOR_PARTS:
        return {lowered}
    return {lowered[i : i + KEY_PART_CHARS] for i in range(len(lowered) - KEY_PART_CHARS + 1)}


def _contains_part(text: str, parts: set[str]) -> bool:
    lowered = text.lower()
    return any(part in lowered for part in parts)


def _decoded_forms(token: str) -> list[str]:
    """What a base64 token could decode to (standard and URL-safe alphabets), as text."""
    out = []
    padded = token + "=" * (-len(token) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            out.append(decode(padded.encode("ascii")).decode("latin-1"))
        except (ValueError, binascii.Error):
            continue
    return out


def _redact_transforms(text: str, secret: str) -> str:
    """The key's usual disguises: URL-encoded, base64 (of the key, or of `user:key` as in Basic auth),
    other letter case, and any long run of it (a trimmed echo)."""
    parts = _parts(secret)
    text = _PCT_TOKEN.sub(lambda m: _REDACTED if _contains_part(unquote_plus(m.group(0)), parts) else m.group(0),
                          text)
    text = _B64_TOKEN.sub(
        lambda m: _REDACTED if any(_contains_part(d, parts) for d in _decoded_forms(m.group(0))) else m.group(0),
        text,
    )
    lowered = text.lower()
    spans: list[tuple[int, int]] = []
    for part in parts:
        start = lowered.find(part)
        while start >= 0:
            spans.append((start, start + len(part)))
            start = lowered.find(part, start + 1)
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + _REDACTED + text[end:]
    return text


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove known secrets (and their usual transforms), and anything that looks like an API key, from text
    meant for humans, logs or history files."""
    known = sorted({s for s in (*secrets, *_known_secrets) if s}, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, redact_value(secret))
    for secret in known:
        text = _redact_transforms(text, secret)
    return _KEYLIKE.sub(lambda m: redact_value(m.group(0)), text)
