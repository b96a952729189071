"""Helpers every target shares: read a config into an editable document, turn edits into a FileChange,
name key variables, quote key commands. Kept here so each target module is only paths and owned keys.
"""

from __future__ import annotations

import re
import shlex
import stat
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from switchover.core import validation
from switchover.core.errors import ConfigFileError
from switchover.core.formats import load_bytes, to_bytes
from switchover.core.formats.document import ConfigDocument, DocPath, dotted
from switchover.core.providers import AuthStyle, Provider
from switchover.core.switching.contract import (
    FileChange,
    FoundKey,
    Override,
    SwitchRequest,
    TargetRefusal,
    ToolEnv,
)

# Tools that refuse to start without some key get this for keyless local servers. It is not a secret.
LOCAL_DUMMY_KEY = "switchover-local"
# The provider/entry id Switchover owns inside each tool, so switching again replaces only our own entry.
OWNED_ID = "switchover"
# Files we create that may hold a key (or name where one comes from) are private to the user.
PRIVATE_MODE = 0o600

@dataclass
class LoadedFile:
    """A config file as read (bytes, or None when missing) plus the document to edit."""

    path: Path
    before: bytes | None
    doc: ConfigDocument

    def change(self, new_file_mode: int = 0o644, holds_secret: bool = False) -> FileChange | None:
        """The FileChange for the edits made so far, or None when the bytes would not change."""
        after = to_bytes(self.doc)
        if after == self.before:
            return None
        return FileChange(self.path, self.before, after, new_file_mode, holds_secret, self.doc.kind)


# Tool configs are kilobytes; anything this big is not a config we should parse (a 50 MB file takes seconds
# and gigabytes to parse format-preservingly), so it is refused with a clear error instead.
MAX_CONFIG_BYTES = 8 * 1024 * 1024


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist; never blocks (a named pipe) or loads a huge file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigFileError(path, "is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigFileError(path, "is not a regular file (a named pipe, socket or device); Switchover edits "
                                    "plain files only")
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigFileError(path, f"is {info.st_size / 1024 / 1024:.0f} MiB, far larger than a config file; "
                                    f"Switchover edits files up to {MAX_CONFIG_BYTES // 1024 // 1024} MiB")
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigFileError(path, "is a directory, not a file") from None
    except OSError as exc:
        raise ConfigFileError(path, f"cannot be read ({exc.strerror or exc})") from None


def load(kind: str, path: Path) -> LoadedFile:
    """Read and parse `path` (a missing file is an empty document); parse errors name the line."""
    before = read_bytes(path)
    return LoadedFile(path, before, load_bytes(kind, before, path))


def load_existing(kind: str, path: Path) -> ConfigDocument | None:
    """The parsed file, or None when it does not exist (for `current()`)."""
    if not path.is_file():
        return None
    return load(kind, path).doc


def set_or_delete(doc: ConfigDocument, path: DocPath, value: object) -> None:
    """Set an owned key, or remove it when the new choice has no value for it."""
    if value is None:
        doc.delete(path)
    else:
        doc.set(path, value)


def changes(*candidates: FileChange | None) -> tuple[FileChange, ...]:
    return tuple(c for c in candidates if c is not None)


def first_existing(candidates: Iterable[Path], default: Path) -> Path:
    return next((p for p in candidates if p.is_file()), default)


def existing(paths: Iterable[Path]) -> tuple[Path, ...]:
    return tuple(p for p in paths if p.is_file())


def windows(env: ToolEnv) -> bool:
    return env.windows


def appdata(env: ToolEnv) -> Path:
    value = env.environ.get("APPDATA")
    return Path(value) if value else env.home / "AppData" / "Roaming"


def shell_command(argv: tuple[str, ...], env: ToolEnv) -> str:
    """`argv` as one command line for the tool's shell (POSIX sh, or cmd.exe on Windows)."""
    return subprocess.list2cmdline(argv) if windows(env) else shlex.join(argv)


def needs_key(provider: Provider) -> bool:
    return provider.credential.kind != "none"


def key_env_var(provider: Provider) -> str:
    """The environment variable a tool reads the key from: the user's own variable when the provider has
    one (it is already exported), else `SWITCHOVER_<NAME>_API_KEY`, which `switchover/env.sh` exports."""
    if provider.credential.kind == "env" and provider.credential.env_var:
        return provider.credential.env_var
    return "SWITCHOVER_" + re.sub(r"[^A-Z0-9]", "_", provider.name.upper()) + "_API_KEY"


def switchover_config_dir(env: ToolEnv) -> Path:
    """Switchover's config dir as seen from `env` (same rules as `core.paths.config_dir`, but for any home)."""
    override = env.environ.get("SWITCHOVER_CONFIG_DIR")
    if override:
        return Path(override)
    if windows(env):
        appdata = env.environ.get("APPDATA")
        return (Path(appdata) if appdata else env.home / "AppData" / "Roaming") / "switchover"
    if env.platform == "darwin":
        return env.home / "Library" / "Application Support" / "switchover"
    return env.xdg_config_home() / "switchover"


def shell_env_file(env: ToolEnv) -> Path:
    """`switchover/env.sh` in Switchover's config dir: exports the key variables named in tool configs."""
    return switchover_config_dir(env) / "env.sh"


def env_key_note(tool: str, provider: Provider, env: ToolEnv, request_key_file: Path | None = None) -> tuple[str, ...]:
    """What the user must do so a tool that reads keys only from the environment finds this one."""
    if not needs_key(provider):
        return ()
    var = key_env_var(provider)
    if request_key_file is not None:
        return (
            f"{tool} reads the gateway token from ${var}: start {tool} where it is exported, e.g. "
            f'export {var}="$(switchover gateway token)" (or source {shell_env_file(env)}).',
        )
    if provider.credential.kind == "env":
        return (f"{tool} reads the key from ${var}; keep it exported where you start {tool}.",)
    return (
        f"{tool} reads the key from ${var} (no key is written to its config): start {tool} from a shell that "
        f"sourced {shell_env_file(env)} (switch the shell environment too), or run "
        f'export {var}="$(switchover key {provider.name})" first.',
    )


def plaintext_key(request: SwitchRequest) -> str:
    """The literal key, for the few tools that can take nothing else; a dummy for keyless local servers."""
    if not needs_key(request.provider):
        return LOCAL_DUMMY_KEY
    key = request.resolve_key()
    if not key:
        raise TargetRefusal(
            f"No key is stored for {request.provider.display_name}; add it first "
            f"(`switchover provider key {request.provider.name} --key-stdin`)."
        )
    problem = validation.api_key_problem(key)
    if problem:  # it would be written verbatim into a config file: refuse rather than corrupt it
        raise TargetRefusal(f"The key of {request.provider.display_name} {problem}; store a valid one with "
                            f"`switchover provider key {request.provider.name} --key-stdin`.")
    return key


def refuse_model_parts(tool: str, request: SwitchRequest, parts: tuple[str, ...], why: str) -> None:
    """A TargetRefusal when a model id holds something `tool` itself cannot take (valid for other tools)."""
    for model in model_list(request):
        found = [part for part in parts if part in model]
        if found:
            shown = ", ".join(repr(part) for part in found)
            raise TargetRefusal(f"{tool} cannot use the model id {model!r}: {why} ({shown}). Pick another model "
                                f"for {tool}.")


def model_list(request: SwitchRequest) -> list[str]:
    """The main model, then the small model when it differs: the models a tool should know about."""
    models = [request.model]
    if request.small_model and request.small_model != request.model:
        models.append(request.small_model)
    return models


def override_warnings(tool: str, files: Iterable[Path], kind: str, owned: Iterable[DocPath]) -> tuple[str, ...]:
    """Warn about project/managed files that set a key we own: they win over the user file we edit."""
    owned = tuple(owned)
    warnings = []
    for path in files:
        try:
            doc = load(kind, path).doc
        except ConfigFileError as exc:
            warnings.append(f"{tool} also reads {path}, which could not be checked: {exc.detail}")
            continue
        clashing = [".".join(str(s) for s in key) for key in owned if doc.has(key)]
        if clashing:
            warnings.append(
                f"{path} sets {', '.join(clashing)}, which overrides the switch for {tool} there; "
                "edit or remove those keys."
            )
    return tuple(warnings)


def which_any(env: ToolEnv, name: str) -> Path | None:
    """The tool's binary on PATH (Windows: also `.exe`/`.cmd`, as npm installs them)."""
    return env.which_tool(name)


# -- what the tool ranks above the user config (effective-choice verification) --------------------------------


def environment_overrides(tool: str, env: ToolEnv, variables: Mapping[str, str]) -> tuple[Override, ...]:
    """Exported variables `tool` reads before its config file: {name: what it decides, e.g. "the model"}."""
    return tuple(
        Override(f"{what} comes from the environment, which {tool} reads before its config file", None, name)
        for name, what in variables.items() if env.environ.get(name)
    )


def file_overrides(tool: str, files: Iterable[Path], kind: str, keys: Mapping[DocPath, str],
                   role: str = "a file") -> tuple[Override, ...]:
    """Keys set in files `tool` ranks above the user config ({key: what it decides}); `role` names the files
    ("this project's settings"). A file that cannot be parsed is reported too: the tool fails on it as well."""
    found: list[Override] = []
    for path in files:
        try:
            doc = load(kind, path).doc
        except ConfigFileError as exc:
            found.append(Override(f"{role} cannot be read ({exc.detail}), so {tool} may not start as switched",
                                  path, ""))
            continue
        found += [Override(f"{role} sets {what}, and {tool} ranks it above your user settings", path, dotted(key))
                  for key, what in keys.items() if doc.has(key)]
    return tuple(found)


@dataclass(frozen=True)
class Layer:
    """A file the tool reads after (above) the user config: its path, format and what to call it."""

    path: Path
    kind: str
    role: str  # "this project's .claude/settings.json"


def layered(tool: str, user: object, layers: Iterable[Layer], keys: Mapping[DocPath, str]
            ) -> tuple[tuple[Override, ...], dict[DocPath, object]]:
    """Overrides from files ranked above the user config, lowest first, and the value each key really has.

    A key counts when a higher file sets it to something else than the user config does ({key: what it
    decides, e.g. "the endpoint"}); the highest such file wins. A file that cannot be parsed is reported.
    """
    effective: dict[DocPath, object] = {}
    for key in keys:
        node = walk_plain(user, key)
        if node is not None:
            effective[key] = node
    sources: dict[DocPath, Layer] = {}
    found: list[Override] = []
    for layer in layers:
        try:
            data = load(layer.kind, layer.path).doc.data
        except ConfigFileError as exc:
            found.append(Override(f"{layer.role} cannot be read ({exc.detail})", layer.path, ""))
            continue
        for key in keys:
            value = walk_plain(data, key)
            if value is not None:
                effective[key] = value
                sources[key] = layer
    for key, layer in sources.items():
        if effective[key] != walk_plain(user, key):
            found.append(Override(f"{layer.role} sets {keys[key]}, and {tool} ranks it above your user settings",
                                  layer.path, dotted(key)))
    return tuple(found), effective


def walk_plain(data: object, path: DocPath) -> object:
    """The value at `path` in plain parsed data, or None."""
    node = data
    for segment in path:
        if isinstance(node, dict) and isinstance(segment, str):
            node = node.get(segment)
        elif isinstance(node, list) and isinstance(segment, int) and -len(node) <= segment < len(node):
            node = node[segment]
        else:
            return None
    return node


def parents_until_home(env: ToolEnv, stop_at_git: bool = False) -> list[Path]:
    """The working directory and its parents, nearest first, up to (not including) the home folder."""
    if env.cwd is None:
        return []
    folders = []
    for folder in (env.cwd, *env.cwd.parents):
        if folder == env.home:
            break
        folders.append(folder)
        if stop_at_git and (folder / ".git").exists():
            break
    return folders


# -- the keys tools use now (adoption) ------------------------------------------------------------------------


def home_path(path: Path, env: ToolEnv) -> str:
    """`~/.claude/settings.json` when under the home directory: how the user knows the file."""
    try:
        return "~/" + path.relative_to(env.home).as_posix()
    except ValueError:
        return str(path)


def is_our_key_var(name: str) -> bool:
    return name.startswith("SWITCHOVER_") and name.endswith("API_KEY")


def is_our_key_command(command: object) -> bool:
    """A key command Switchover wrote (`… switchover key NAME` / `-m switchover key NAME`)."""
    text = " ".join(str(part) for part in command) if isinstance(command, (list, tuple)) else str(command)
    return bool(re.search(r"switchover(\.exe)?['\"]?\s+key\s", text + " "))


def key_in_file(path: Path, where: str, value: object, env: ToolEnv, auth: AuthStyle | None = None) -> FoundKey | None:
    """A key written literally in a tool's file (None for blanks and Switchover's keyless dummy)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text == LOCAL_DUMMY_KEY:
        return FoundKey(f"{home_path(path, env)} {where}", ours=True)
    return FoundKey(f"{home_path(path, env)} {where}", value=text, auth=auth, plaintext_in=path)


def key_from_env(var: str, env: ToolEnv, auth: AuthStyle | None = None, where: str = "",
                 fallbacks: tuple[Path, ...] = ()) -> FoundKey:
    """A key the tool reads from `$var`: its value from the environment, else from the first dotenv file in
    `fallbacks` that sets it (tools load those into their environment)."""
    if is_our_key_var(var):
        return FoundKey(where or f"${var}", env_var=var, ours=True)
    value = (env.environ.get(var) or "").strip()
    if value:
        return FoundKey(where or f"${var} in your environment", value=value, env_var=var, auth=auth)
    for path in fallbacks:
        doc = load_existing("dotenv", path)
        found = doc.get((var,)) if doc is not None else None
        if isinstance(found, str) and found.strip():
            return FoundKey(f"{home_path(path, env)} {var}", value=found.strip(), env_var=var, auth=auth,
                            plaintext_in=path)
    return FoundKey(where or f"${var}", env_var=var, auth=auth, note=f"${var} is not set here")
