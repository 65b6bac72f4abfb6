"""Draws the PWA's icons (src/wa_crm/entrypoints/http/static/pwa/*.png) with the standard
library only: a white speech bubble on the brand's teal gradient (app.css's --accent to
#34a39a, as the .brand-mark). Run once when the design changes; the PNGs are committed.

    python scripts/make_pwa_icons.py
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/wa_crm/entrypoints/http/static/pwa"
ACCENT = (15, 118, 110)
LIGHT = (52, 163, 154)
WHITE = (255, 255, 255)
SAMPLES = 4  # per side: 16 samples a pixel smooth the edges


def _rounded_rect(x: float, y: float, box: tuple[float, float, float, float], r: float) -> bool:
    left, top, right, bottom = box
    if not (left <= x <= right and top <= y <= bottom):
        return False
    cx = min(max(x, left + r), right - r)
    cy = min(max(y, top + r), bottom - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


Point = tuple[float, float]


def _triangle(x: float, y: float, a: Point, b: Point, c: Point) -> bool:
    def side(p: tuple[float, float], q: tuple[float, float]) -> float:
        return (x - q[0]) * (p[1] - q[1]) - (p[0] - q[0]) * (y - q[1])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))


def _colour(x: float, y: float, scale: float) -> tuple[int, int, int] | None:
    """The bubble's colour at (x, y) in the unit square, its content scaled around the centre."""
    u, v = (x - 0.5) / scale + 0.5, (y - 0.5) / scale + 0.5
    for dot in (0.36, 0.5, 0.64):
        if (u - dot) ** 2 + (v - 0.46) ** 2 <= 0.045**2:
            return ACCENT
    if _rounded_rect(u, v, (0.2, 0.26, 0.8, 0.66), 0.13) or _triangle(
        u, v, (0.28, 0.6), (0.46, 0.64), (0.25, 0.79)
    ):
        return WHITE
    return None


def _draw(size: int, corner: float, scale: float) -> bytes:
    """RGBA rows: the gradient inside a square of rounded ``corner`` (0: full bleed)."""
    rows = bytearray()
    for py in range(size):
        rows.append(0)
        for px in range(size):
            red = green = blue = alpha = 0.0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px + (sx + 0.5) / SAMPLES) / size
                    y = (py + (sy + 0.5) / SAMPLES) / size
                    if corner and not _rounded_rect(x, y, (0, 0, 1, 1), corner):
                        continue
                    shade = (x + y) / 2
                    colour = _colour(x, y, scale) or tuple(
                        round(a + (b - a) * shade) for a, b in zip(ACCENT, LIGHT, strict=True)
                    )
                    red, green, blue = red + colour[0], green + colour[1], blue + colour[2]
                    alpha += 1
            n = SAMPLES * SAMPLES
            if alpha:
                rows += bytes((round(red / alpha), round(green / alpha), round(blue / alpha)))
            else:
                rows += b"\x00\x00\x00"
            rows.append(round(255 * alpha / n))
    return bytes(rows)


def png(size: int, corner: float = 0.0, scale: float = 1.0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(_draw(size, corner, scale), 9))
        + chunk(b"IEND", b"")
    )


ICONS: dict[str, Callable[[], bytes]] = {
    # "any": a rounded square, transparent around it
    "icon-192.png": lambda: png(192, corner=0.2),
    "icon-512.png": lambda: png(512, corner=0.2),
    # "maskable": full bleed, the bubble inside the safe zone (the centre circle of 80%)
    "icon-maskable-512.png": lambda: png(512, scale=0.8),
    # iOS rounds the corners itself and shows transparency as black
    "apple-touch-icon.png": lambda: png(180, scale=0.9),
}


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, draw in ICONS.items():
        (OUT / name).write_bytes(draw())
        print(OUT / name)
