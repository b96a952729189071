"""The licence inventory's rules (packaging/linux/components.py), on made-up metadata: how a distribution's licence
is read, which copyright notices count, and the DEP-5 rendering. Plain and fast: no bundle is built here (the
packaging tests check the real package's copyright file)."""

from __future__ import annotations

import importlib.util
from email.message import Message
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.cli import REPO_ROOT


def load_components() -> ModuleType:
    path = Path(REPO_ROOT) / "packaging" / "linux" / "components.py"
    spec = importlib.util.spec_from_file_location("switchover_packaging_components", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


components = load_components()


def metadata(**fields: str | list[str]) -> Message:
    message = Message()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            message[key.replace("_", "-")] = item
    return message


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"License_Expression": "Apache-2.0 AND MIT"}, "Apache-2.0 AND MIT"),  # PEP 639 wins
        ({"License": "BSD-3-Clause", "Classifier": "License :: OSI Approved :: BSD License"}, "BSD-3-Clause"),
        ({"License": "Apache License 2.0"}, "Apache-2.0"),  # a free-form alias
        ({"License": "a long custom text\nover lines", "Classifier": "License :: OSI Approved :: MIT License"},
         "MIT"),
        ({"Classifier": ["License :: OSI Approved :: MIT License",
                         "License :: OSI Approved :: Apache Software License"]}, "Apache-2.0 OR MIT"),
        ({"License": "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"}, "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only"),
    ],
)
def test_licence_from_metadata(fields: dict[str, str | list[str]], expected: str) -> None:
    assert components.license_of("somedist", metadata(**fields)) == expected


def test_an_unknown_licence_stops_the_build_with_what_to_do() -> None:
    for fields in ({}, {"License": "BSD"}, {"Classifier": "License :: OSI Approved :: BSD License"},
                   {"License_Expression": "LicenseRef-Proprietary"}):
        with pytest.raises(components.InventoryError, match="LICENSE_OVERRIDES"):
            components.license_of("mystery", metadata(**fields))


def test_our_overrides_beat_metadata() -> None:
    found = components.license_of("pyinstaller", metadata(License="GPLv2-or-later with a special exception"))
    assert found == "GPL-2.0-or-later WITH Bootloader-exception AND Apache-2.0"


def test_expression_terms_and_dep5_syntax() -> None:
    assert components.spdx_ids("MIT AND (Apache-2.0 OR BSD-3-Clause)") == ["MIT", "Apache-2.0", "BSD-3-Clause"]
    assert components.spdx_ids("GPL-2.0-or-later WITH Bootloader-exception AND Apache-2.0") == [
        "GPL-2.0-or-later WITH Bootloader-exception", "Apache-2.0"]
    assert components.dep5_expression("GPL-2.0-or-later WITH Bootloader-exception") == (
        "GPL-2.0-or-later with Bootloader exception")
    assert components.join_dep5(["MIT", "Apache-2.0 OR BSD-3-Clause", "MIT AND PSF-2.0"]) == (
        "MIT, and Apache-2.0 or BSD-3-Clause, and PSF-2.0")
    assert components.join_dep5(["MIT", "PSF-2.0"]) == "MIT and PSF-2.0"
    with pytest.raises(components.InventoryError):
        components.dep5_expression("MIT AND (A OR B)")


def test_copyright_notices_from_licence_texts() -> None:
    texts = [
        "The MIT License\n\nCopyright (c) 2017 Thomas Kluyver\n\nPermission is hereby granted...",
        "Copyright © 2019, [Encode OSS Ltd](https://www.encode.io/).\nAll rights reserved.",
        "Copyright (c) 2001, 2002, 2003,\n2004 Python Software Foundation; All Rights Reserved",
        "Copyright [yyyy] [name of copyright owner]\nCopyright 2026 <copyright holders>",
        "Copyright (C) 1989, 1991 Free Software Foundation, Inc.",
        "Copyright (c) 2017 Thomas Kluyver",  # the same notice twice counts once
    ]
    assert components.copyright_lines(texts) == [
        "2017 Thomas Kluyver", "2019, Encode OSS Ltd.", "2001, 2002, 2003, 2004 Python Software Foundation"]


def test_compact_patterns_cover_exactly_each_components_files() -> None:
    owners = {
        "_internal/PySide6/Qt/lib/libQt6Core.so.6": "qt",
        "_internal/PySide6/Qt/lib/libicuuc.so.73": "icu",
        "_internal/PySide6/Qt/plugins/platforms/libqxcb.so": "qt",
        "_internal/PySide6/QtCore.abi3.so": "qt",
        "_internal/certifi/cacert.pem": "certifi",
        "_internal/certifi/py.typed": "certifi",
    }
    assert components.compact_patterns(owners) == {
        "certifi": ["_internal/certifi/*"],
        "icu": ["_internal/PySide6/Qt/lib/libicuuc.so.73"],
        "qt": ["_internal/PySide6/Qt/lib/libQt6Core.so.6", "_internal/PySide6/Qt/plugins/*",
               "_internal/PySide6/QtCore.abi3.so"],
    }


def inventory() -> dict[str, object]:
    def component(key: str, license_: str, files: list[str], in_executable: bool, text: str = "") -> dict[str, object]:
        return {"key": key, "name": key, "version": "1.0", "license": license_, "copyright": [f"2020 {key} people"],
                "homepage": "", "license_texts": {"LICENSE": text} if text else {}, "files": files,
                "in_executable": in_executable, "note": ""}

    return {"components": [
        component("httpx", "BSD-3-Clause", [], True, "Copyright (c) 2019 Encode\nRedistribution and use ..."),
        component("qt", "LGPL-3.0-only OR GPL-3.0-only", ["_internal/PySide6/QtCore.abi3.so"], True),
        component("certifi", "MPL-2.0", ["_internal/certifi/cacert.pem"], False),
    ]}


def test_rendered_copyright_is_dep5_with_a_text_for_every_licence() -> None:
    text = components.render_copyright(inventory(), install_dir="opt/x", own_license="MIT", homepage="https://h",
                                       common_licenses=True)
    blocks = text.strip().split("\n\n")
    assert blocks[0].startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")
    assert blocks[1] == "Files: *\nCopyright: The Switchover contributors\nLicense: MIT"
    executable = blocks[2]
    assert "Files: opt/x/switchover\n" in executable
    assert "\n 2020 httpx people\n" in executable and "\n 2020 qt people\n" in executable
    assert "License: MIT, and BSD-3-Clause, and LGPL-3.0-only or GPL-3.0-only\n" in executable
    assert "Files: opt/x/_internal/PySide6/*\nCopyright: 2020 qt people\n" in text
    licences = [block.splitlines()[0] for block in blocks if block.startswith("License: ")]
    assert licences == ["License: MIT", "License: BSD-3-Clause", "License: LGPL-3.0-only", "License: GPL-3.0-only",
                        "License: MPL-2.0"]
    assert " Redistribution and use ...\n" in text and "Copyright (c) 2019 Encode\n" not in text
    assert "/usr/share/common-licenses/LGPL-3" in text
    for line in text.splitlines():  # every continuation line is indented; empty ones are " ."
        assert line == "" or line[0] != "\t"


def test_rpm_flavour_carries_full_texts_and_one_spdx_expression() -> None:
    text = components.render_copyright(inventory(), install_dir="opt/x", own_license="MIT", homepage="https://h",
                                       common_licenses=False)
    assert "/usr/share/common-licenses" not in text
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in text
    assert components.spdx_expression(inventory(), "MIT") == (
        "MIT AND BSD-3-Clause AND (LGPL-3.0-only OR GPL-3.0-only) AND MPL-2.0")


def test_a_licence_without_any_text_stops_the_build() -> None:
    data = inventory()
    data["components"][0]["license_texts"] = {}  # type: ignore[index]
    with pytest.raises(components.InventoryError, match="no text found for the licence 'BSD-3-Clause'"):
        components.render_copyright(data, install_dir="opt/x", own_license="MIT", homepage="h", common_licenses=True)
