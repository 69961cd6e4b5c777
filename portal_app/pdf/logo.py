"""The company logo of the documents' heading, decoded once per process (issue 23 item 5).

fpdf2 decodes a raster image with Pillow and deflates its pixels and alpha mask again for
every document that draws it: ~3-5 ms of CPU for the default 256x256 logo, on every invoice.
What it gets (size, colour space, filter, compressed data) depends only on the file, so it is
kept per process, by path, modification time and size (a logo replaced in place is read again),
and each document gets its own copy of it (fpdf2 numbers and counts images per document)
under the file's name in its image cache, where `FPDF.image(path)` finds it as though it had
read the file itself. A logo with an ICC profile is left to fpdf2 (profiles are numbered per
document too). Threads: the cache is changed under a lock; entries are never changed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from fpdf import FPDF
from fpdf.image_datastructures import ImageCache, RasterImageInfo
from fpdf.image_parsing import preload_image

# Logos kept per process (one per company in use; a logo is ~30-100 KB compressed).
LOGO_CACHE_SIZE = 16
# Per-document fields fpdf2 sets on an image's info; the kept info never holds them.
_PER_DOCUMENT = ("i", "usages", "iccp_i", "obj_id")

_logos: OrderedDict[tuple[str, int, int], RasterImageInfo] = OrderedDict()
_lock = threading.Lock()


def _decoded(name: str, key: tuple[str, int, int]) -> RasterImageInfo | None:
    """fpdf2's info for the raster image file `name`, kept per process; None when it is not
    a raster image fpdf2 can share between documents (vector, ICC profile)."""
    with _lock:
        found = _logos.get(key)
        if found is not None:
            _logos.move_to_end(key)
            return found
    _, _, info = preload_image(ImageCache(), name)
    if not isinstance(info, RasterImageInfo) or info.get("iccp") is not None:
        return None
    kept = RasterImageInfo({k: v for k, v in info.items() if k not in _PER_DOCUMENT})
    with _lock:
        _logos[key] = kept
        while len(_logos) > LOGO_CACHE_SIZE:
            _logos.popitem(last=False)
    return kept


def preload_logo(pdf: FPDF, path: Path) -> None:
    """Put the decoded logo at `path` into `pdf`'s image cache, so that `pdf.image(str(path))`
    draws it without decoding the file. Raises what fpdf2 raises for an unreadable image."""
    name = str(path)
    if name in pdf.image_cache.images:
        return
    stat = path.stat()
    info = _decoded(name, (name, stat.st_mtime_ns, stat.st_size))
    if info is None:
        return
    own = RasterImageInfo(info)
    own["i"] = len(pdf.image_cache.images) + 1
    own["usages"] = 0  # FPDF.image counts its own use
    own["iccp_i"] = None
    pdf.image_cache.images[name] = own
