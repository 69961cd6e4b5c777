"""pdf/logo: the heading's logo is decoded once per process and drawn as fpdf2 draws it from
the file; a logo replaced in place is read again."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from fpdf import FPDF
from PIL import Image

from portal_app.pdf import logo


def _logo_file(folder: Path, color: tuple[int, int, int, int]) -> Path:
    path = folder / "logo.png"
    Image.new("RGBA", (40, 20), color).save(path)
    return path


def _page(path: Path, *, preload: bool) -> FPDF:
    pdf = FPDF()
    pdf.add_page()
    if preload:
        logo.preload_logo(pdf, path)
    pdf.image(str(path), x=10, y=10, w=40, h=20)
    return pdf


def _raster(data: bytes) -> bytes:
    return subprocess.run(
        ["pdftoppm", "-r", "50", "-"], input=data, capture_output=True, check=True
    ).stdout


def test_a_preloaded_logo_draws_as_fpdf2_draws_the_file(tmp_path):
    path = _logo_file(tmp_path, (200, 30, 30, 128))
    first, second = _page(path, preload=True), _page(path, preload=True)
    assert (
        first.image_cache.images[str(path)]["data"]
        is (second.image_cache.images[str(path)]["data"])
    )
    assert first.image_cache.images[str(path)]["usages"] == 1
    expected = _raster(bytes(_page(path, preload=False).output()))
    assert _raster(bytes(first.output())) == _raster(bytes(second.output())) == expected


def test_a_logo_replaced_in_place_is_read_again(tmp_path):
    path = _logo_file(tmp_path, (200, 30, 30, 255))
    red = _raster(bytes(_page(path, preload=True).output()))
    stat = path.stat()
    Image.new("RGBA", (40, 20), (30, 30, 200, 255)).save(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    blue = _raster(bytes(_page(path, preload=True).output()))
    assert blue != red
    assert blue == _raster(bytes(_page(path, preload=False).output()))
