"""The 16-cell barcode a synthetic frame carries in its top eighth: frame ``n``'s bits, white for 1, black for 0.

It survives lossy encoding, so the index of a decoded frame can be read back. Imports numpy alone:
``scripts/check_lerobot_load.py`` loads this file by path into LeRobot's interpreter, where lerec is not installed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BARCODE_BITS = 16


def barcode_cells(width: int, height: int) -> Iterator[tuple[int, slice, slice]]:
    """(bit, rows, columns) of each cell, left to right."""
    band = max(1, height // 8)
    for bit in range(BARCODE_BITS):
        x0, x1 = bit * width // BARCODE_BITS, (bit + 1) * width // BARCODE_BITS
        yield bit, slice(0, band), slice(x0, x1)


def draw_barcode(frame: np.ndarray, n: int) -> None:
    """Paint ``n``'s bits into ``frame`` (H, W[, C]), in place."""
    height, width = frame.shape[:2]
    for bit, rows, cols in barcode_cells(width, height):
        frame[rows, cols] = 255 if (n >> bit) & 1 else 0


def cell_levels(image: np.ndarray) -> np.ndarray:
    """Mean level (0-255) of the centre half of each cell, over all channels of ``image`` (H, W[, C])."""
    height, width = image.shape[:2]
    levels = np.empty(BARCODE_BITS)
    for bit, rows, cols in barcode_cells(width, height):
        cell = image[rows, cols]
        h, w = cell.shape[:2]
        levels[bit] = cell[h // 4 : h - h // 4 or None, w // 4 : w - w // 4 or None].mean()
    return levels


def read_barcode(image: np.ndarray) -> int:
    """The index a (decoded) frame's barcode shows, each cell read as brighter than mid-grey or not."""
    return int(sum(1 << bit for bit, level in enumerate(cell_levels(image)) if level > 127))


def contradicting_bits(levels: np.ndarray, n: int) -> list[int]:
    """The bits whose cell is clearly dark or bright against ``n``'s bit. A cell in between is codec smear
    (SVT-AV1's fastest presets leave a few cells grey in frames whose other pixels are right), not evidence."""
    bits = (n >> np.arange(BARCODE_BITS)) & 1
    return [int(b) for b in np.flatnonzero(((levels > 192) & (bits == 0)) | ((levels < 64) & (bits == 1)))]
