"""The Windows .ico and macOS .icns are made here on Linux, so their structure is checked here too: every
entry must be a PNG of the size its header claims (Explorer and Finder silently show a blank icon otherwise)."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PySide6.QtGui import QImage

from tests.support.cli import REPO_ROOT

pytestmark = pytest.mark.packaging


def load_make_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_icons", Path(REPO_ROOT) / "packaging" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = QImage.fromData(data, "PNG")
    assert not image.isNull()
    return image.width(), image.height()


def test_ico_holds_a_png_per_size(qapp: Any, tmp_path: Path) -> None:
    ico_path, _ = load_make_icons().make_icons(tmp_path)
    data = ico_path.read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _c, _r, planes, bpp, length, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * index)
        assert (planes, bpp) == (1, 32)
        size = width or 256
        assert width == height
        assert png_size(data[offset:offset + length]) == (size, size)
        sizes.append(size)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_chunks_are_pngs_of_the_declared_size(qapp: Any, tmp_path: Path) -> None:
    _, icns_path = load_make_icons().make_icons(tmp_path)
    data = icns_path.read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    expected = {b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024,
                b"ic11": 32, b"ic12": 64, b"ic13": 256, b"ic14": 512}
    found = {}
    offset = 8
    while offset < len(data):
        kind, length = data[offset:offset + 4], struct.unpack_from(">I", data, offset + 4)[0]
        found[kind] = png_size(data[offset + 8:offset + length])[0]
        offset += length
    assert offset == len(data)
    assert found == expected
