"""Draws the app icons (PNG) from the favicon's shapes, once; the PNGs are committed. Pure Python, no build step.

python tools/make_icons.py    # writes mccs/web/static/web/icons/*.png
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

GREEN = (0x1F, 0x6F, 0x50)
WHITE = (0xFF, 0xFF, 0xFF)
# The "M" of favicon.svg, in its 64×64 box.
M = [
    (14, 44),
    (14, 20),
    (20, 20),
    (32, 34),
    (44, 20),
    (50, 20),
    (50, 44),
    (43, 44),
    (43, 31),
    (32, 44),
    (21, 31),
    (21, 44),
]
OUT = Path(__file__).resolve().parent.parent / "mccs" / "web" / "static" / "web" / "icons"


def inside_polygon(x: float, y: float, poly) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def inside_rounded_square(x: float, y: float, radius: float) -> bool:
    cx = min(max(x, radius), 64 - radius)
    cy = min(max(y, radius), 64 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def pixel(x: float, y: float, *, maskable: bool) -> tuple[int, int, int, int]:
    if maskable:  # full bleed; the letter shrinks into the safe zone (the inner 80 %)
        gx, gy = 32 + (x - 32) / 0.75, 32 + (y - 32) / 0.75
        return (*WHITE, 255) if inside_polygon(gx, gy, M) else (*GREEN, 255)
    if not inside_rounded_square(x, y, 12):
        return (0, 0, 0, 0)
    return (*WHITE, 255) if inside_polygon(x, y, M) else (*GREEN, 255)


def render(size: int, *, maskable: bool = False, samples: int = 3) -> bytes:
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type 0
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) * 64 / size
                    y = (py + (sy + 0.5) / samples) * 64 / size
                    r, g, b, a = pixel(x, y, maskable=maskable)
                    acc = [acc[0] + r * a, acc[1] + g * a, acc[2] + b * a, acc[3] + a]
            alpha = acc[3] / samples**2
            colour = [round(c / acc[3]) if acc[3] else 0 for c in acc[:3]]
            row += bytes([*colour, round(alpha)])
        rows.append(bytes(row))
    return png(size, b"".join(rows))


def png(size: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),
    ]:
        (OUT / name).write_bytes(render(size, maskable=maskable))
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
