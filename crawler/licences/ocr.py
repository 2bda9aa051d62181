"""One page read by both OCR engines: Tesseract, run directly (``tesseract page.png stdout -l
chi_sim tsv``: the word table gives the text and each word's confidence in one run), and PP-OCR
(ocr_ppocr.py), whose reading becomes the licence.

Tesseract also turns the page upright: a page whose words are mostly unsure is asked of its
orientation detection (OSD) and read again upright. Its lines with an unsure word are read
again alone, cropped at a few scales, and the surest plausible reading kept, so that its second
opinion differs from PP-OCR's reading only where one of them really misread. pytesseract was
measured against the direct call: the same TSV byte for byte and no faster, so no wrapper.
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from crawler.licences.ocr_image import prepare, sideways
from crawler.licences.ocr_text import OcrPage, better_reading, page_from_tsv, pages_from_tsv
from crawler.licences.scan_tools import (
    INSTALL_HINT,
    ScanToolMissing,
    UnreadableScan,
    run_tool,
    tool,
)

LANGUAGE = "chi_sim"
#: Page segmentation: one uniform block of text. Keeps a label and its value on one line.
PSM = "6"
#: Below this mean word confidence the page may be upside down or sideways: ask OSD.
_ASK_OSD_BELOW = 70.0
_ROTATE_RE = re.compile(r"^Rotate:\s*(\d+)", re.MULTILINE)
_OSD_CONF_RE = re.compile(r"^Orientation confidence:\s*([\d.]+)", re.MULTILINE)
#: Unsure lines read again per page (least sure first): bounds the extra time.
MAX_REREADS = 12
#: Scales each unsure line is read again at. chi_sim reads a line at its own fixed height, and
#: the page's ~64 px lines misread some rare characters that a smaller copy gets right
#: (九厂路, 栖梧, 中国电信股份 on the test scans); 2x up made them worse.
REREAD_SCALES = (1.0, 0.75, 0.5)
#: Margin around a line's box, in line heights: room for strokes the box cut off.
_PAD = 0.25


@dataclass(frozen=True)
class PageReadings:
    """One page as each engine read it."""

    ppocr: OcrPage  # the reading the licence is parsed from
    tesseract: OcrPage  # the second opinion: where it differs, the field is named as unsure


def _tesseract() -> str:
    return tool("tesseract", "tesseract-ocr")


@functools.cache
def _version_of(binary: str) -> str:
    version = run_tool([binary, "--version"], "tesseract --version").splitlines()[0].strip()
    languages = run_tool([binary, "--list-langs"], "tesseract --list-langs").split()
    if LANGUAGE not in languages:
        raise ScanToolMissing(
            f"Tesseract has no Simplified Chinese model ({LANGUAGE}; Debian package "
            f"tesseract-ocr-chi-sim): {INSTALL_HINT}"
        )
    return f"{version} {LANGUAGE}"


def tesseract_version() -> str:
    """``tesseract 5.3.0 chi_sim``; :class:`ScanToolMissing` without Tesseract or its model."""
    return _version_of(_tesseract())


def _read(png: Path) -> OcrPage:
    tsv = run_tool(
        [_tesseract(), str(png), "stdout", "-l", LANGUAGE, "--psm", PSM, "tsv"],
        f"tesseract on {png.name}",
    )
    return page_from_tsv(tsv)


def reread_unsure(page: Image.Image, text: OcrPage, work: Path, name: str) -> OcrPage:
    """``text`` with each unsure line (at most :data:`MAX_REREADS`) replaced by its surest
    plausible re-reading: the line cropped from ``page``, at each of :data:`REREAD_SCALES`,
    read alone (``--psm 7``) in one Tesseract run over all the crops."""
    todo = [i for i in text.unsure_indexes() if i < len(text.boxes)][:MAX_REREADS]
    if not todo:
        return text
    crops: list[Path] = []
    for i in todo:
        left, top, right, bottom = text.boxes[i]
        pad = max(4, round((bottom - top) * _PAD))
        box = (
            max(0, left - pad),
            max(0, top - pad),
            min(page.width, right + pad),
            min(page.height, bottom + pad),
        )
        line = page.crop(box)
        for scale in REREAD_SCALES:
            size = (max(1, round(line.width * scale)), max(1, round(line.height * scale)))
            crop = work / f"{name}-line{i}-{scale}.png"
            line.resize(size, Image.Resampling.LANCZOS).save(crop)
            crops.append(crop)
    listing = work / f"{name}-lines.txt"
    listing.write_text("".join(f"{c}\n" for c in crops), encoding="utf-8")
    tsv = run_tool(
        [_tesseract(), str(listing), "stdout", "-l", LANGUAGE, "--psm", "7", "tsv"],
        f"tesseract on the unsure lines of {name}",
    )
    pages = pages_from_tsv(tsv)
    n = len(REREAD_SCALES)
    for k, i in enumerate(todo):
        rereads = [pages[p] for p in range(k * n + 1, k * n + n + 1) if p in pages]
        best = better_reading(text.lines[i], text.line_confidence(i) or 0.0, rereads)
        if best is not None:
            text = text.with_line(i, best)
    return text


def osd_rotation(png: Path) -> int:
    """Degrees (0, 90, 180, 270) to turn the page clockwise so it reads upright; 0 when OSD
    is unsure or finds too little text to tell."""
    try:
        out = run_tool([_tesseract(), str(png), "stdout", "--psm", "0"], "tesseract OSD")
    except UnreadableScan:  # OSD gives up on sparse pages: the page is read as it is
        return 0
    rotate, conf = _ROTATE_RE.search(out), _OSD_CONF_RE.search(out)
    if not rotate or not conf or float(conf[1]) < 1.0:
        return 0
    return int(rotate[1]) % 360


def ocr_page(image: Image.Image, work: Path, name: str) -> PageReadings:
    """One page read by both engines: prepared, turned upright if OSD says it is not (asked
    first when the lines run sideways, else only when Tesseract's words came out unsure), read
    by Tesseract with its unsure lines read again, and by PP-OCR. PP-OCR runs in a thread
    beside the Tesseract process (ONNX Runtime releases the GIL): the two overlap on the
    page's wall time."""
    from crawler.licences.ocr_ppocr import read_ppocr

    page = prepare(image)
    png = work / f"{name}.png"
    page.save(png)
    if sideways(page):
        turn = osd_rotation(png)
        if turn:
            page = page.rotate(-turn, expand=True)
            page.save(png)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ppocr") as pool:
        ppocr = pool.submit(read_ppocr, page)
        text = _read(png)
        if (text.confidence or 0) < _ASK_OSD_BELOW:
            turn = osd_rotation(png)
            if turn:
                upright = page.rotate(-turn, expand=True)
                upright.save(png)
                turned = _read(png)
                if (turned.confidence or 0) > (text.confidence or 0):
                    page, text = upright, turned
                    ppocr.cancel()
                    ppocr = pool.submit(read_ppocr, page)
        text = reread_unsure(page, text, work, name)
        return PageReadings(ppocr.result(), text)
