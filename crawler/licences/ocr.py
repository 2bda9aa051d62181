"""Tesseract on one page image, run directly (``tesseract page.png stdout -l chi_sim tsv``):
the word table gives the text and each word's confidence in one run.

pytesseract was measured against it: the same TSV byte for byte and no faster (it runs the same
binary through temporary files), so no wrapper dependency. A page whose words are mostly
unsure is asked of Tesseract's orientation detection (OSD) and read again upright.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from PIL import Image

from crawler.licences.ocr_image import prepare, sideways
from crawler.licences.ocr_text import OcrPage, page_from_tsv
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


def ocr_page(image: Image.Image, work: Path, name: str) -> OcrPage:
    """One page read: prepared, OCR'd, and turned upright if OSD says it is not (asked first
    when the lines run sideways, else only when the words came out unsure)."""
    page = prepare(image)
    png = work / f"{name}.png"
    page.save(png)
    if sideways(page):
        turn = osd_rotation(png)
        if turn:
            page = page.rotate(-turn, expand=True)
            page.save(png)
    text = _read(png)
    if (text.confidence or 0) >= _ASK_OSD_BELOW:
        return text
    turn = osd_rotation(png)
    if not turn:
        return text
    page.rotate(-turn, expand=True).save(png)
    turned = _read(png)
    return turned if (turned.confidence or 0) > (text.confidence or 0) else text
