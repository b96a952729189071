"""What the PyInstaller bundle is made of, and the licence inventory (DEP-5 `copyright`, RPM `License:`) built
from it, so the list of bundled components and licences cannot drift from what is actually shipped.

`inventory` runs in the build venv (it needs PyInstaller's archive reader and the venv's package metadata):
it walks every file of the bundle and every module compiled into the executable's archive, and attributes each
to a component: the Python distribution whose RECORD lists it, CPython (standard library, libpython,
lib-dynload), PyInstaller (bootloader, loader, run-time hooks), a native library bundled inside a wheel
(NATIVE_COMPONENTS) or Switchover itself. Anything it cannot attribute stops the build, as does a component
whose licence it cannot determine: adding a dependency either lands in the inventory by itself or fails loudly.

The rendering functions are plain Python (no build venv needed) and are used by make_deb.py and make_rpm.py.

Usage (build venv python): components.py inventory BUNDLE_DIR OUT.json
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

HERE = Path(__file__).resolve().parent
LICENSE_TEXTS = HERE / "licenses"  # texts no bundled metadata carries (ICU, PyInstaller's bootloader exception)
COMMON_LICENSES = Path("/usr/share/common-licenses")
SELF = "switchover"

# SPDX identifiers the inventory accepts. A licence outside this list stops the build: add it here once a text
# for it can be found (a dependency's licence file, Debian's common-licenses, or packaging/linux/licenses/).
KNOWN_SPDX = {
    "0BSD", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0", "CC0-1.0", "GPL-2.0-only",
    "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "HPND", "ICU", "ISC", "LGPL-2.1-only",
    "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "MIT", "MIT-0", "MPL-2.0", "PSF-2.0",
    "Python-2.0", "Unicode-3.0", "Unicode-DFS-2016", "Unlicense", "Zlib",
}
SPDX_EXCEPTIONS = {"Bootloader-exception"}
# Licences Debian ships in /usr/share/common-licenses (the .deb's copyright points there instead of copying).
DEBIAN_COMMON = {
    "Apache-2.0": "Apache-2.0", "CC0-1.0": "CC0-1.0", "GPL-2.0-only": "GPL-2", "GPL-2.0-or-later": "GPL-2",
    "GPL-3.0-only": "GPL-3", "GPL-3.0-or-later": "GPL-3", "LGPL-2.1-only": "LGPL-2.1",
    "LGPL-2.1-or-later": "LGPL-2.1", "LGPL-3.0-only": "LGPL-3", "LGPL-3.0-or-later": "LGPL-3", "MPL-2.0": "MPL-2.0",
}
# Free-form `License:` metadata values seen in the Python ecosystem, mapped to SPDX.
LICENSE_ALIASES = {
    "mit license": "MIT", "the mit license": "MIT", "mit": "MIT", "expat": "MIT",
    "apache 2": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache-2": "Apache-2.0", "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0", "apache software license": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0", "asl 2": "Apache-2.0", "asl 2.0": "Apache-2.0",
    "bsd 3-clause": "BSD-3-Clause", "bsd-3": "BSD-3-Clause", "3-clause bsd": "BSD-3-Clause",
    "new bsd": "BSD-3-Clause", "new bsd license": "BSD-3-Clause", "modified bsd": "BSD-3-Clause",
    "bsd 2-clause": "BSD-2-Clause", "simplified bsd": "BSD-2-Clause",
    "psf": "PSF-2.0", "psf license": "PSF-2.0", "python software foundation license": "PSF-2.0",
    "isc": "ISC", "isc license": "ISC", "mpl 2.0": "MPL-2.0", "mozilla public license 2.0": "MPL-2.0",
}
# Trove classifiers that name exactly one licence ("BSD License" does not, so it is not here).
CLASSIFIERS = {
    "MIT License": "MIT", "MIT No Attribution License (MIT-0)": "MIT-0", "Apache Software License": "Apache-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0", "Python Software Foundation License": "PSF-2.0",
    "ISC License (ISCL)": "ISC", "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only", "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "The Unlicense (Unlicense)": "Unlicense", "Zero-Clause BSD (0BSD)": "0BSD", "zlib/libpng License": "Zlib",
}
# Distributions whose metadata does not state the licence of what ends up in the bundle, with the reason.
LICENSE_OVERRIDES = {
    # Metadata says "GPLv2-or-later with a special exception"; the bundle holds the bootloader and loader
    # (GPL-2.0-or-later with the Bootloader exception) and run-time hooks/modules (Apache-2.0), per COPYING.txt.
    "pyinstaller": "GPL-2.0-or-later WITH Bootloader-exception AND Apache-2.0",
    # Its classifiers list Apache and GPLv2; its README: run-time hooks are "GPL-2.0-or-later OR Apache-2.0".
    "pyinstaller-hooks-contrib": "GPL-2.0-or-later OR Apache-2.0",
}
# Copyright holders for distributions that ship no licence file to read them from.
COPYRIGHT_OVERRIDES = {
    "pyside6-essentials": ["The Qt Company Ltd. and other contributors"],
    "shiboken6": ["The Qt Company Ltd. and other contributors"],
}
NOTES = {
    "pyside6-essentials": (
        "Qt {version} as built for the PySide6 wheels (Qt libraries and plugins under PySide6/Qt/) with the "
        "PySide6 bindings; used under the LGPL-3.0. Qt includes third-party code under permissive licences "
        "(for example PCRE2, zlib, HarfBuzz, libpng, libjpeg-turbo, libtiff, libwebp, md4c and "
        "double-conversion), listed at https://doc.qt.io/qt-6/licenses-used-in-qt.html."
    ),
    "shiboken6": "Shiboken, the binding generator runtime of Qt for Python; used under the LGPL-3.0.",
    "cpython": (
        "The Python interpreter (libpython), its standard library (base_library.zip and the modules in the "
        "executable's archive) and extension modules (python{major_minor}/lib-dynload). Third-party code in "
        "the interpreter and its extension modules is listed at https://docs.python.org/{major_minor}/license.html."
    ),
    "pyinstaller": (
        "The executable is PyInstaller's bootloader; its loader modules are GPL-2.0-or-later with the "
        "Bootloader exception, its run-time hooks and run-time modules Apache-2.0."
    ),
}
# Native libraries a wheel bundles whose licence is not the wheel's own. Matched on bundle-relative paths,
# before the wheels' RECORDs are consulted.
NATIVE_COMPONENTS = [
    {
        "key": "icu",
        "name": "ICU",
        "patterns": ["_internal/PySide6/Qt/lib/libicu*"],
        "version_from": r"libicuuc\.so\.(\d+)",
        "license": "Unicode-DFS-2016 AND ICU",
        "copyright": ["1991-2023 Unicode, Inc.", "1995-2016 International Business Machines Corporation and others"],
        "homepage": "https://icu.unicode.org/",
        "note": (
            "International Components for Unicode, bundled with Qt in the PySide6 wheels. ICU's data also "
            "carries third-party notices (word-break dictionaries under BSD-style terms, time-zone data in the "
            "public domain): https://github.com/unicode-org/icu/blob/main/LICENSE."
        ),
        "license_files": ["Unicode-DFS-2016.txt", "ICU.txt"],
    },
]
STATIC_TEXTS = {  # licence id -> file in packaging/linux/licenses/
    "Unicode-DFS-2016": "Unicode-DFS-2016.txt",
    "ICU": "ICU.txt",
    "GPL-2.0-or-later WITH Bootloader-exception": "Bootloader-exception.txt",
}
# Switchover itself (everything outside the bundle, and its own modules and resources inside it).
OWN_COPYRIGHT = "The Switchover contributors"
MIT_TEXT = """\
Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation
the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and
to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions
of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO
THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF
CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
IN THE SOFTWARE.
"""

PYZ_NAMESPACE_PACKAGE = 3  # PyInstaller's PYZ typecode for a namespace package (no file of its own)
COPYRIGHT_RE = re.compile(r"(?:Copyright\s*(?:\(c\)|©)?|\(c\)|©)\s*((?:19|20)\d\d\b[^\n\";]*)", re.IGNORECASE)
# Template placeholders and the licence texts' own notices are not the component's copyright holders.
NOT_A_HOLDER_RE = re.compile(r"<copyright holders?>|\[name of copyright owner\]|yyyy|Free Software Foundation",
                             re.IGNORECASE)
LICENSE_FILE_RE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE)[^/]*$", re.IGNORECASE)


class InventoryError(Exception):
    """The bundle holds something the inventory cannot attribute or license; the message says what to do."""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --- licence expressions ---------------------------------------------------------------------------------------

def spdx_ids(expression: str) -> list[str]:
    """The licence terms of an SPDX expression, keeping `X WITH Y` together ("MIT AND (A OR B)" -> MIT, A, B)."""
    tokens = re.findall(r"\(|\)|[^\s()]+", expression)
    terms: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in {"(", ")"} or token.upper() in {"AND", "OR"}:
            i += 1
            continue
        if i + 2 < len(tokens) and tokens[i + 1].upper() == "WITH":
            terms.append(f"{token} WITH {tokens[i + 2]}")
            i += 3
            continue
        terms.append(token)
        i += 1
    return terms


def is_known_expression(expression: str) -> bool:
    terms = spdx_ids(expression)
    return bool(terms) and all(
        term.split(" WITH ")[0] in KNOWN_SPDX and (" WITH " not in term or term.split(" WITH ")[1] in SPDX_EXCEPTIONS)
        for term in terms
    )


def license_of(name: str, metadata: Any) -> str:
    """The SPDX expression of a distribution, from (in order) our overrides, License-Expression, a License field
    that is an SPDX expression or a known alias, or license classifiers that each name one licence."""
    key = normalize(name)
    candidates: list[str] = []
    if key in LICENSE_OVERRIDES:
        candidates.append(LICENSE_OVERRIDES[key])
    if metadata.get("License-Expression"):
        candidates.append(metadata["License-Expression"].strip())
    field = (metadata.get("License") or "").strip()
    if field and "\n" not in field:
        candidates.append(LICENSE_ALIASES.get(field.lower(), field))
    classifiers = [c.rsplit(" :: ", 1)[-1] for c in metadata.get_all("Classifier") or [] if c.startswith("License ::")]
    named = sorted({CLASSIFIERS[c] for c in classifiers if c in CLASSIFIERS})
    if named:
        candidates.append(" OR ".join(named))  # several licence classifiers mean a choice (dual licensing)
    for candidate in candidates:
        if is_known_expression(candidate):
            return candidate
    raise InventoryError(
        f"cannot tell the licence of the bundled distribution {name!r} from its metadata "
        f"(License-Expression/License/classifiers gave {candidates or 'nothing'}); add its SPDX expression to "
        "LICENSE_OVERRIDES (or a missing identifier to KNOWN_SPDX) in packaging/linux/components.py"
    )


def dep5_expression(expression: str) -> str:
    """SPDX -> DEP-5 syntax: lower-case operators, `with X exception`; DEP-5 has no parentheses, so a
    parenthesised group is only allowed where commas can express it (checked by the caller's round trip)."""
    text = re.sub(r"\bWITH\s+(\S+?)-exception\b", r"with \1 exception", expression)
    text = re.sub(r"\bAND\b", "and", re.sub(r"\bOR\b", "or", text))
    if "(" in text:
        raise InventoryError(f"licence expression {expression!r} needs parentheses, which DEP-5 cannot express")
    return text


# --- copyright notices -----------------------------------------------------------------------------------------

def copyright_lines(texts: Iterable[str]) -> list[str]:
    """Year-bearing copyright notices in licence texts ("Copyright (c) 2019, Encode OSS Ltd." -> "2019, Encode
    OSS Ltd."), markdown links unwrapped, in order, without duplicates."""
    found: list[str] = []
    for raw in texts:
        text = re.sub(r",[ \t]*\n\s*(?=(?:19|20)\d\d)", ", ", raw)  # a list of years wrapped over lines
        for match in COPYRIGHT_RE.finditer(text):
            line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", match.group(1)).strip().rstrip(";,")
            line = re.sub(r"\s+", " ", line)
            if line and line not in found and not NOT_A_HOLDER_RE.search(line):
                found.append(line)
    return found[:12]


def strip_copyright_lines(text: str) -> str:
    """A licence text without its copyright lines: the terms, to be shared by every component under them."""
    kept = [line for line in text.splitlines() if not COPYRIGHT_RE.match(line.strip().lstrip("#*> "))]
    return "\n".join(kept).strip("\n") + "\n"


# --- the inventory (runs in the build venv) ----------------------------------------------------------------------

def _dist_entry(dist: Any) -> dict[str, Any]:
    metadata = dist.metadata
    name = metadata["Name"]
    texts = {}
    for file in dist.files or []:
        if LICENSE_FILE_RE.search(str(file)) and ".dist-info/" in f"{file}" and not str(file).endswith(".py"):
            try:
                texts[str(file)] = Path(str(dist.locate_file(file))).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
    holders = copyright_lines(texts.values()) or COPYRIGHT_OVERRIDES.get(normalize(name), [])
    if not holders:
        author = metadata.get("Author") or metadata.get("Author-email") or metadata.get("Maintainer") or ""
        holders = [f"The {name} authors" + (f" ({author.strip()})" if author.strip() else "")]
    urls = dict(
        (label.strip().lower(), url.strip())
        for label, _, url in (u.partition(",") for u in metadata.get_all("Project-URL") or []) if url
    )
    preferred = ("homepage", "home", "source", "source code", "repository", "documentation")
    homepage = metadata.get("Home-page") or next((urls[k] for k in preferred if k in urls), "") or next(
        iter(urls.values()), "")
    return {
        "key": normalize(name),
        "name": name,
        "version": metadata["Version"],
        "license": license_of(name, metadata),
        "copyright": holders,
        "homepage": homepage,
        "license_texts": texts,
        "files": [],
        "in_executable": False,
        "note": NOTES.get(normalize(name), "").format(version=metadata["Version"]),
    }


def _cpython_entry(stdlib: Path) -> dict[str, Any]:
    import platform

    license_file = stdlib / "LICENSE.txt"
    if not license_file.is_file():
        raise InventoryError(f"CPython's licence file {license_file} is missing from the build interpreter")
    text = license_file.read_text(encoding="utf-8")
    major_minor = ".".join(platform.python_version_tuple()[:2])
    return {
        "key": "cpython",
        "name": "CPython",
        "version": platform.python_version(),
        "license": "Python-2.0",
        "copyright": copyright_lines([text]),
        "homepage": "https://www.python.org/",
        "license_texts": {"LICENSE.txt": text},
        "files": [],
        "in_executable": False,
        "note": NOTES["cpython"].format(major_minor=major_minor),
    }


def _native_entry(spec: dict[str, Any], files: list[str]) -> dict[str, Any]:
    version = ""
    for file in files:
        match = re.search(spec["version_from"], file)
        if match:
            version = match.group(1)
    return {
        "key": spec["key"],
        "name": spec["name"],
        "version": version,
        "license": spec["license"],
        "copyright": spec["copyright"],
        "homepage": spec["homepage"],
        "license_texts": {name: (LICENSE_TEXTS / name).read_text(encoding="utf-8") for name in spec["license_files"]},
        "files": [],
        "in_executable": False,
        "note": spec["note"],
    }


def _module_paths(module: str) -> list[str]:
    path = module.replace(".", "/")
    return [f"{path}.py", f"{path}/__init__.py"]


# Where PyInstaller keeps what it embeds in the executable (paths inside its distributions).
PYINSTALLER_ROOTS = ("PyInstaller/loader/", "PyInstaller/hooks/rthooks/", "PyInstaller/fake-modules/",
                     "_pyinstaller_hooks_contrib/rthooks/")


def bundle_files(bundle: Path) -> Iterator[str]:
    for path in sorted(bundle.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(bundle).as_posix()


def inventory(bundle: Path) -> dict[str, Any]:
    import importlib.metadata
    import sysconfig

    from PyInstaller.archive.readers import CArchiveReader

    stdlib_names = set(sys.stdlib_module_names)
    stdlib = Path(sysconfig.get_path("stdlib"))
    by_path: dict[str, Any] = {}
    entries: dict[str, dict[str, Any]] = {}
    dists = {}
    for dist in importlib.metadata.distributions():
        key = normalize(dist.metadata["Name"])
        if key in dists:
            continue
        dists[key] = dist
        for file in dist.files or []:
            rel = str(file)
            if not rel.startswith(".."):
                by_path.setdefault(rel, key)
    for root in PYINSTALLER_ROOTS:  # a module PyInstaller embeds is known by its name under these roots
        for rel, key in list(by_path.items()):
            if rel.startswith(root):
                by_path.setdefault(rel[len(root):], key)

    def entry(key: str) -> dict[str, Any]:
        if key not in entries:
            entries[key] = _cpython_entry(stdlib) if key == "cpython" else _dist_entry(dists[key])
        return entries[key]

    unattributed: list[str] = []

    def module_owner(module: str) -> str | None:
        top = module.split(".", maxsplit=1)[0]
        if top == SELF or module == "switchover_entry":
            return SELF
        for candidate in _module_paths(module):
            if candidate in by_path:
                return str(by_path[candidate])
        if top in stdlib_names:
            return "cpython"
        return None

    # The executable: PyInstaller's bootloader + its archive (loader, run-time hooks, entry script, PYZ).
    executable = bundle / SELF
    entry("pyinstaller")["in_executable"] = True
    archive = CArchiveReader(str(executable))
    for name, toc_entry in archive.toc.items():
        typecode = toc_entry[-1] if isinstance(toc_entry, tuple) else toc_entry
        if typecode == "z":
            pyz = archive.open_embedded_archive(name)
            for module, (kind, *_rest) in pyz.toc.items():
                owner = module_owner(module)
                if owner is None and kind == PYZ_NAMESPACE_PACKAGE:
                    continue
                if owner is None:
                    unattributed.append(f"{SELF} (archive module {module})")
                elif owner != SELF:
                    entry(owner)["in_executable"] = True
        elif typecode in {"m", "s", "M"}:  # loader modules and scripts run at start-up
            owner = module_owner(name)
            if owner is None:
                unattributed.append(f"{SELF} (archive entry {name})")
            elif owner != SELF:
                entry(owner)["in_executable"] = True

    # The files on disk.
    python_dir = f"python{sys.version_info.major}.{sys.version_info.minor}/"
    native_files: dict[int, list[str]] = {}
    for rel in bundle_files(bundle):
        if rel == SELF:
            continue
        inner = rel.removeprefix("_internal/")
        native = next((i for i, spec in enumerate(NATIVE_COMPONENTS)
                       if any(fnmatch.fnmatch(rel, p) for p in spec["patterns"])), None)
        if native is not None:
            native_files.setdefault(native, []).append(rel)
        elif inner.startswith(f"{SELF}/"):
            continue  # Switchover's own resources
        elif inner == "base_library.zip" or inner.startswith(("libpython", python_dir)):
            entry("cpython")["files"].append(rel)
        elif inner in by_path:
            entry(by_path[inner])["files"].append(rel)
        else:
            unattributed.append(rel)
    for index, files in native_files.items():
        native_entry = _native_entry(NATIVE_COMPONENTS[index], files)
        native_entry["files"] = files
        entries[native_entry["key"]] = native_entry
    if unattributed:
        raise InventoryError(
            "these bundled files belong to no known component (no distribution's RECORD lists them): "
            + ", ".join(unattributed[:20]) + "; attribute them in NATIVE_COMPONENTS in packaging/linux/components.py"
        )
    _check_base_library(bundle / "_internal" / "base_library.zip", stdlib_names)
    components = sorted((e for k, e in entries.items() if k != SELF), key=lambda e: e["name"].lower())
    return {"components": components}


def _check_base_library(path: Path, stdlib_names: set[str]) -> None:
    """base_library.zip is attributed to CPython as a whole: make sure it holds only the standard library."""
    import zipfile

    if not path.exists():
        return
    with zipfile.ZipFile(path) as archive:
        tops = {PurePosixPath(n).parts[0].split(".")[0] for n in archive.namelist()}
    strangers = sorted(tops - stdlib_names)
    if strangers:
        raise InventoryError(f"{path.name} holds modules outside the standard library: {', '.join(strangers)}")


# --- rendering (plain Python) -----------------------------------------------------------------------------------

def compact_patterns(files: dict[str, str]) -> dict[str, list[str]]:
    """Map component -> the fewest paths/`dir/*` patterns covering exactly its files (`files`: path -> key)."""
    tree: dict[str, Any] = {}
    for path, key in files.items():
        node = tree
        parts = path.split("/")
        for part in parts[:-1]:
            node = node.setdefault(part + "/", {})
        node[parts[-1]] = key

    def owners(node: Any) -> set[str]:
        return {node} if isinstance(node, str) else set().union(*(owners(child) for child in node.values()))

    result: dict[str, list[str]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, child in sorted(node.items()):
            if isinstance(child, str):
                result.setdefault(child, []).append(prefix + name)
                continue
            keys = owners(child)
            if len(keys) == 1:
                result.setdefault(next(iter(keys)), []).append(prefix + name + "*")
            else:
                walk(child, prefix + name)

    walk(tree, "")
    return result


def _field(name: str, value: str | list[str]) -> str:
    lines = value if isinstance(value, list) else value.splitlines() or [""]
    first, rest = lines[0], lines[1:]
    return f"{name}: {first}\n" + "".join(f" {line}\n" if line.strip() else " .\n" for line in rest)


def _paragraph_text(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def license_text(term: str, components: list[dict[str, Any]], *, common_licenses: bool) -> list[str]:
    """The text of one licence term: Debian's copy (pointer) when allowed, a committed text, or the terms from
    the first component licensed under exactly this term that ships a licence file."""
    base = term.split(" WITH ", maxsplit=1)[0]
    if term in STATIC_TEXTS:
        text = (LICENSE_TEXTS / STATIC_TEXTS[term]).read_text(encoding="utf-8")
        lines = _paragraph_text(text)
        if base in DEBIAN_COMMON and common_licenses:
            lines += ["", f"On Debian systems, the complete text of the {base} licence can be found in",
                      f"/usr/share/common-licenses/{DEBIAN_COMMON[base]}."]
        elif base in DEBIAN_COMMON:
            lines += ["", *_paragraph_text(_common_license(base))]
        return lines
    if base in DEBIAN_COMMON:
        if common_licenses:
            return [f"On Debian systems, the complete text of this licence ({base}) can be found in",
                    f"/usr/share/common-licenses/{DEBIAN_COMMON[base]}."]
        return _paragraph_text(_common_license(base))
    if term == "MIT":
        return _paragraph_text(MIT_TEXT)
    for component in components:
        if component["license"] == term and component["license_texts"]:
            text = max(component["license_texts"].values(), key=len)
            note = (f"(The terms as worded by {component['name']}; the other components under {term} carry them "
                    "with their own names.)")
            return [*_paragraph_text(strip_copyright_lines(text)), "", note]
    raise InventoryError(
        f"no text found for the licence {term!r}: add it to packaging/linux/licenses/ and STATIC_TEXTS"
    )


def _common_license(base: str) -> str:
    path = COMMON_LICENSES / DEBIAN_COMMON[base]
    if not path.is_file():
        raise InventoryError(f"{path} is missing (package base-files); it holds the text of {base}")
    return path.read_text(encoding="utf-8")


def render_copyright(data: dict[str, Any], *, install_dir: str, own_license: str, homepage: str,
                     common_licenses: bool) -> str:
    """A machine-readable (DEP-5) copyright file for the whole package."""
    components: list[dict[str, Any]] = data["components"]
    paragraphs = [
        _field("Format", "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
        + _field("Upstream-Name", "Switchover")
        + _field("Source", homepage)
        + _field("Comment", [
            f"Switchover is a self-contained build: {install_dir}/ holds a Python interpreter, Qt and the Python",
            "packages the program uses. Each bundled component is listed below with its version and licence;",
            "the list is generated from the bundle's contents when the package is built.",
        ]),
        _field("Files", "*") + _field("Copyright", OWN_COPYRIGHT) + _field("License", own_license),
    ]
    in_executable = [c for c in components if c["in_executable"]]
    executable_terms = unique(c["license"] for c in in_executable)
    paragraphs.append(
        _field("Files", f"{install_dir}/{SELF}")
        + _field("Copyright", [OWN_COPYRIGHT, *unique(line for c in in_executable for line in c["copyright"])])
        + _field("License", join_dep5([own_license, *executable_terms]))
        + _field("Comment", [
            "PyInstaller's bootloader with an archive of compiled Python modules appended: Switchover, the",
            "Python standard library and the pure-Python parts of these components:",
            *(f"{c['name']} {c['version']} ({c['license']})" for c in in_executable),
        ])
    )
    owners = {path: c["key"] for c in components for path in c["files"]}
    patterns = compact_patterns(owners)
    for component in components:
        if component["key"] not in patterns:
            continue
        comment = [f"{component['name']} {component['version']}" + (f", {component['homepage']}"
                                                                       if component["homepage"] else "")]
        if component["note"]:
            comment += ["", *component["note"].split("\n")]
        paragraphs.append(
            _field("Files", [f"{install_dir}/{p}" for p in patterns[component["key"]]])
            + _field("Copyright", component["copyright"])
            + _field("License", dep5_expression(component["license"]))
            + _field("Comment", wrap(comment))
        )
    terms = unique([own_license, *(term for c in components for term in spdx_ids(c["license"]))])
    for term in terms:
        paragraphs.append(_field("License", [dep5_expression(term), *license_text(term, components,
                                                                              common_licenses=common_licenses)]))
    text = "\n".join(paragraphs)
    if "\t" in text:
        raise InventoryError("a licence text contains tab characters, which DEP-5 fields must not")
    return text


def wrap(lines: list[str], width: int = 100) -> list[str]:
    import textwrap

    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, width) if line else [""]
    return out


def unique(items: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def and_terms(expressions: Iterable[str]) -> list[str]:
    """The AND-ed parts of several expressions, each once: an OR group stays whole, an AND list is split."""
    parts: list[str] = []
    for expression in expressions:
        parts += [expression] if " OR " in expression else re.split(r"\s+AND\s+", expression)
    return unique(parts)


def join_dep5(expressions: list[str]) -> str:
    """AND of several expressions in DEP-5: "A or B, and C" (a comma ends an `or` group before `and`)."""
    parts = [dep5_expression(e) for e in and_terms(expressions)]
    return ", and ".join(parts) if any(" or " in p for p in parts) else " and ".join(parts)


def spdx_expression(data: dict[str, Any], own_license: str) -> str:
    """One SPDX expression for everything in the package (RPM's License: tag)."""
    parts = and_terms([own_license, *(c["license"] for c in data["components"])])
    return " AND ".join(f"({p})" if " OR " in p and len(parts) > 1 else p for p in parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    inv = sub.add_parser("inventory", help="write the bundle's component inventory as JSON")
    inv.add_argument("bundle", type=Path)
    inv.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    try:
        data = inventory(args.bundle.resolve())
    except InventoryError as error:
        print(f"components: {error}", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
