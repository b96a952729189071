"""Read ELF link-time dependencies (DT_NEEDED) with `objdump`, which PyInstaller already requires (binutils).

Used by the spec (to drop libraries only dropped plugins needed, and the system libraries the .deb gets from
Debian instead) and by the Depends generator and the packaging tests.
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

SYSTEM_LIB_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"\x7fELF"
    except OSError:
        return False


@cache
def needed(path: Path) -> tuple[str, ...]:
    """The sonames `path` links against (not transitive: that is what the dynamic loader resolves)."""
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    return tuple(line.split()[1] for line in out.splitlines() if line.strip().startswith("NEEDED"))


def is_system_library(path: Path) -> bool:
    """True for a library installed by the OS package manager (and not one inside a Python environment)."""
    resolved = str(Path(path).resolve())
    return resolved.startswith(SYSTEM_LIB_DIRS) and "-packages/" not in resolved
