"""PDF licences through poppler: the page count, the text layer (``pdftotext -layout``), and
the pages as images for OCR when there is no usable text layer.

Measured on a Chinese licence printed to PDF (5 pages): ``pdftotext -layout`` 63 ms and 0.977
similar to the source text, pypdf 447 ms and pdfminer.six 611 ms, both 0.875 (out-of-order
runs); so poppler, which the rasterising needs anyway, and no Python PDF library."""

from __future__ import annotations

import re
from pathlib import Path

from crawler.licences.numbers import find_numbers, normalise
from crawler.licences.scan_tools import UnreadableScan, run_tool, tool, tool_version

#: A licence is a certificate and an annex or two; more pages is not one (and bounds the OCR).
MAX_PAGES = 20
#: Rasterised pages get this long side in pixels: A4 at 300 dpi, Tesseract's best resolution,
#: whatever size the PDF claims for its pages (a 5 m poster page stays 12 megapixels).
RASTER_LONG_SIDE = 3508
#: Fewer printable characters per page than this is no text layer (a scanner's watermark).
_MIN_CHARS_PER_PAGE = 40
_PAGES_RE = re.compile(r"^Pages:\s+(\d+)\s*$", re.MULTILINE)


def _poppler(name: str) -> str:
    return tool(name, "poppler-utils")


def poppler_version() -> str:
    """``pdftotext 22.12.0``: what read a text layer."""
    line = tool_version([_poppler("pdftotext"), "-v"])
    return line.replace(" version", "")


def page_count(pdf: Path) -> int:
    """Pages of the PDF, or :class:`UnreadableScan` (not a PDF, encrypted, over the limit)."""
    info = run_tool([_poppler("pdfinfo"), str(pdf)], "pdfinfo")
    m = _PAGES_RE.search(info)
    if not m or int(m[1]) == 0:
        raise UnreadableScan("a PDF without pages")
    pages = int(m[1])
    if pages > MAX_PAGES:
        raise UnreadableScan(f"{pages} pages, over the {MAX_PAGES}-page limit for a licence")
    return pages


def text_layer(pdf: Path, pages: int) -> str | None:
    """The PDF's own text, or None when it has none worth reading (a scan in a PDF).

    Kept only when it looks like a licence (the word 许可证 or a licence number), so a
    scanner's junk text layer or watermark sends the pages to OCR instead."""
    text = run_tool(
        [_poppler("pdftotext"), "-layout", "-enc", "UTF-8", "-l", str(pages), str(pdf), "-"],
        "pdftotext",
    )
    printable = sum(1 for ch in text if not ch.isspace())
    flat = normalise(text)
    if printable < _MIN_CHARS_PER_PAGE * pages:
        return None
    if "许可证" not in re.sub(r"\s+", "", flat) and not any(find_numbers(flat)):
        return None
    return text


def rasterise(pdf: Path, pages: int, out_dir: Path) -> list[Path]:
    """Each page as a PNG in ``out_dir``, long side :data:`RASTER_LONG_SIDE` pixels."""
    run_tool(
        [
            _poppler("pdftoppm"),
            "-png",
            "-scale-to",
            str(RASTER_LONG_SIDE),
            "-l",
            str(pages),
            str(pdf),
            str(out_dir / "page"),
        ],
        "pdftoppm",
    )
    found = sorted(out_dir.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    if not found:
        raise UnreadableScan("pdftoppm rendered no page")
    return found
