"""The `next` report in a real browser: headless Chromium draws the conflict matrix with
one red square per conflicting pair (both ways), green for the clean ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageDraw

from tests.e2e.browser import chromium, screenshot
from treemerge.report import render_next_html

pytestmark = pytest.mark.slow  # reports rendered in headless Chromium

__all__ = ["chromium"]  # the session fixture, used below by name

# The exact colours of the template's matrix cells.
RED = (0xD9, 0x53, 0x4F)
GREEN = (0x5C, 0xB8, 0x5C)
GREY = (0xDC, 0xDC, 0xDC)
# Tall enough to hold the matrix below the sections that lead the page.
HEIGHT = 1800
# A matrix cell is 40×40 pixels; the legend's swatches are 14×14. Between the two:
MIN_CELL_AREA = 400

TREES = ["libvirt", "vmware", "ironic", "zvm", "scheduler", "api"]
CONFLICTS = {("libvirt", "vmware"): 2, ("libvirt", "zvm"): 1, ("ironic", "scheduler"): 3,
             ("vmware", "api"): 12}  # fmt: skip


def matrix_cells() -> list[list[int]]:
    """The symmetric matrix of CONFLICTS over TREES."""
    cells = [[0] * len(TREES) for _ in TREES]
    for (a, b), count in CONFLICTS.items():
        i, j = TREES.index(a), TREES.index(b)
        cells[i][j] = cells[j][i] = count
    return cells


def tree(index: int, name: str) -> dict[str, Any]:
    """A tree of the report: vmware and scheduler are left out, zvm fell back."""
    left_out = name in ("vmware", "scheduler")
    return {
        "subsystem": name,
        "head": f"{index:x}" * 40,
        "merged": not left_out,
        "fallback": name == "zvm",
        "used_head": "e" * 40 if name == "zvm" else None,
        "commits": 3 + index,
        "conflicts": [
            {"path": f"nova/{a}/{b}.py", "owners": [a.upper()], "with": [b]}
            for (a, b) in CONFLICTS
            if a == name and left_out
        ],
        "test": {"status": "passed", "output": "Compiling nova\nok"},
    }


def document() -> dict[str, Any]:
    return {
        "upstream": "main",
        "base": "a" * 40,
        "result": "b" * 40,
        "generated": "2026-11-22T09:30:00Z",
        "trees": [tree(index, name) for index, name in enumerate(TREES)],
        "matrix": {"trees": TREES, "cells": matrix_cells()},
        "changes": ["vmware gained a conflict with libvirt", "ironic no longer conflicts"],
    }


def exact(image: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """A mask: 255 where `image` has exactly `colour`, 0 elsewhere."""
    bands = [
        band.point(lambda value, want=want: 255 if value == want else 0)
        for band, want in zip(image.split(), colour, strict=True)
    ]
    return ImageChops.multiply(ImageChops.multiply(bands[0], bands[1]), bands[2])


def blobs(mask: Image.Image) -> list[int]:
    """The areas of the 4-connected regions of a mask, largest first (consumes the mask)."""
    areas = []
    while (box := mask.getbbox()) is not None:
        left, top, right, _ = box
        seed = next((x, top) for x in range(left, right) if mask.getpixel((x, top)))
        before = mask.histogram()[255]
        ImageDraw.floodfill(mask, seed, 0)
        areas.append(before - mask.histogram()[255])
    return sorted(areas, reverse=True)


def cells(image: Image.Image, colour: tuple[int, int, int]) -> list[int]:
    """The areas of the regions of `colour` big enough to be matrix cells."""
    return [area for area in blobs(exact(image, colour)) if area >= MIN_CELL_AREA]


def shoot(chromium: Path, directory: Path) -> Image.Image:
    """The report of `document()` as Chromium shows it; the files stay in `directory`."""
    page = directory / "next.html"
    page.write_text(render_next_html(document()), encoding="utf-8")
    png = screenshot(chromium, page, directory / "next.png", height=HEIGHT)
    image = Image.open(png).convert("RGB")
    assert image.size == (1400, HEIGHT)
    return image


def test_the_matrix_shows_one_red_square_per_conflicting_pair(
    chromium: Path, tmp_path: Path
) -> None:
    image = shoot(chromium, tmp_path)

    red, green, grey = cells(image, RED), cells(image, GREEN), cells(image, GREY)
    flat = [count for row in matrix_cells() for count in row]
    conflicting = sum(1 for count in flat if count)
    clean = len(flat) - conflicting - len(TREES)
    counts = (len(red), len(green), len(grey))
    assert counts == (conflicting, clean, len(TREES)), f"see {tmp_path / 'next.png'}"
    # Every cell has the same size; a red one loses a few pixels to its white count.
    full = max(green)
    assert all(area == full for area in green + grey)
    assert all(0.8 * full <= area < full for area in red)


def test_the_colours_are_in_the_proportion_of_the_pairs(chromium: Path, tmp_path: Path) -> None:
    image = shoot(chromium, tmp_path)

    colours = image.getcolors(image.width * image.height)
    assert colours is not None
    pixels = {colour: count for count, colour in colours}
    flat = [count for row in matrix_cells() for count in row]
    conflicting = sum(1 for count in flat if count)
    expected = conflicting / (len(flat) - conflicting - len(TREES))
    assert pixels.get(RED)
    assert pixels.get(GREEN)
    assert expected / 1.5 < pixels[RED] / pixels[GREEN] < expected * 1.5
