"""Make the Windows .ico and macOS .icns app icons from the scalable SVG, with QtSvg and no other tools.

Both formats can hold PNG images, so each size is rendered straight from the SVG (crisp at every size) and
wrapped in the container by hand: no Pillow, no `iconutil`, and the output can be checked on any OS.
Writes packaging/build/icons/<APP_ID>.ico and .icns, where packaging/switchover.spec looks for them.

Usage (repository root, any OS): python packaging/make_icons.py [OUT_DIR]
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "desktop"))

from switchover import APP_ID  # noqa: E402

SVG = ROOT / "resources" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS chunk types holding PNG data, by pixel size (the @2x variants reuse the larger renders).
ICNS_TYPES = (
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512),
    (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),
)


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from switchover.ui.icons import render_svg

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    render_svg(SVG, size).save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """ICONDIR + one ICONDIRENTRY per size, then the PNG payloads (Windows Vista and later)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, payload = b"", b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


def icns(pngs: dict[int, bytes]) -> bytes:
    """'icns' header, then (type, length, PNG) chunks; lengths include the 8-byte chunk header."""
    chunks = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def make_icons(out_dir: Path) -> tuple[Path, Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    sizes = sorted(set(ICO_SIZES) | {size for _kind, size in ICNS_TYPES})
    pngs = {size: render_png(size) for size in sizes}
    out_dir.mkdir(parents=True, exist_ok=True)
    ico_path, icns_path = out_dir / f"{APP_ID}.ico", out_dir / f"{APP_ID}.icns"
    ico_path.write_bytes(ico({size: pngs[size] for size in ICO_SIZES}))
    icns_path.write_bytes(icns(pngs))
    del app
    return ico_path, icns_path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "packaging" / "build" / "icons"
    for path in make_icons(target):
        print(path)
