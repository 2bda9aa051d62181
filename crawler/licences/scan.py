"""Scans in: a licence PDF or photo → the text the licence parser reads, with how it was read.

A PDF with a text layer gives its text (poppler); a PDF without one and every image are read
page by page by two OCR engines (crawler/licences/ocr.py): PP-OCR's reading becomes the licence,
and the fields Tesseract reads otherwise are named as unsure (ocr_agreement.py). The work is
bounded: file size, pages, pixels, and a timeout on each tool run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crawler.licences.document_file import read_document
from crawler.licences.ocr_agreement import checked_fields, disagreements
from crawler.licences.ocr_text import OcrWord, normalise_ocr, unsure_fields
from crawler.licences.parser import Licence, NotALicence, parse_licence
from crawler.licences.scan_tools import ScanToolMissing, UnreadableScan

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "MAX_SCAN_BYTES",
    "SCAN_SUFFIXES",
    "ScanText",
    "ScanToolMissing",
    "UnreadableScan",
    "licence_from_scan",
    "read_scan",
]

SCAN_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
#: A phone photo or a scanned PDF is megabytes, not the kilobytes of a text document.
MAX_SCAN_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class ScanText:
    """What a scan reads as, and how: the source of a licence loaded from it."""

    text: str  # what goes to the parser (crawler/licences/parser.py parse_licence)
    engine: str  # "pdftotext" | "ppocr"
    engine_version: str  # "pdftotext 22.12.0", "rapidocr 3.10.0 PP-OCRv6; second reading …"
    confidence: float | None  # mean word confidence 0-100 for OCR, None for a text layer
    pages: int
    low_confidence: tuple[str, ...]  # OCR lines with a word under ocr_text.UNSURE_BELOW
    sha256: str = ""  # of the file's bytes, as read
    words: tuple[OcrWord, ...] = ()  # every OCR word with its confidence, in reading order
    repairs: tuple[str, ...] = ()  # what the OCR normaliser changed (letters for digits)
    second_reading: str = ""  # Tesseract's text of the same pages, to name where they differ


def _is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF")


def _ocr(images: list[Image.Image], work: Path) -> ScanText:
    from crawler.licences.ocr import ocr_page, tesseract_version
    from crawler.licences.ocr_ppocr import ppocr_version

    version = f"{ppocr_version()}; second reading {tesseract_version()}"
    texts, seconds, words, low = [], [], [], []
    for number, image in enumerate(images, 1):
        read = ocr_page(image, work, f"ocr-{number}")
        texts.append(read.ppocr.text)
        seconds.append(read.tesseract.text)
        low += [
            f"page {number}: {line} (confidence {c:.0f})" for line, c in read.ppocr.unsure_lines()
        ]
        words += read.ppocr.words
    text, repairs = normalise_ocr("\n".join(texts))
    confs = [w.confidence for w in words]
    return ScanText(
        text=text,
        engine="ppocr",
        engine_version=version,
        confidence=round(statistics.fmean(confs), 1) if confs else None,
        pages=len(images),
        low_confidence=tuple(low),
        words=tuple(words),
        repairs=tuple(repairs),
        second_reading=normalise_ocr("\n".join(seconds))[0],
    )


def read_scan(path: Path) -> ScanText:
    """The text of a licence scan (PDF, PNG, JPEG, TIFF) and how it was read.

    :class:`UnreadableScan` for a bad file, :class:`ScanToolMissing` when Tesseract or poppler
    is not installed; OSError / UnreadableDocument from reading the file itself."""
    # Pillow and the tool wrappers load only when a scan is read: ~40 ms off every command.
    from crawler.licences.ocr_image import open_pages
    from crawler.licences.pdf_text import page_count, poppler_version, rasterise, text_layer

    data = read_document(path, MAX_SCAN_BYTES)
    sha = hashlib.sha256(data).hexdigest()
    with tempfile.TemporaryDirectory(prefix="icpwatch-scan-") as tmp:
        work = Path(tmp)
        if _is_pdf(data):
            pdf = work / "scan.pdf"  # our copy: the tools never see a path that could change
            pdf.write_bytes(data)
            pages = page_count(pdf)
            text = text_layer(pdf, pages)
            if text is not None:
                return ScanText(text, "pdftotext", poppler_version(), None, pages, (), sha)
            images = [open_pages(p.read_bytes())[0] for p in rasterise(pdf, pages, work)]
        else:
            images = open_pages(data)
        scan = _ocr(images, work)
    if not scan.text.strip():
        raise UnreadableScan("OCR found no text")
    return dataclasses.replace(scan, sha256=sha)


def licence_from_scan(scan: ScanText) -> Licence:
    """The scan's text parsed, with what OCR was unsure of or repaired among its warnings: the
    fields whose words the engine scored low, and those the second engine read otherwise."""
    licence = parse_licence(scan.text)
    if not scan.words and not scan.repairs and not scan.second_reading:
        return licence
    fields = checked_fields(licence)
    extra = [*scan.repairs, *unsure_fields(fields.values(), scan.words)]
    if scan.second_reading:
        try:
            second = checked_fields(parse_licence(scan.second_reading))
        except NotALicence:
            second = {}
        extra += disagreements(fields, second, "PP-OCR", "Tesseract")
    return dataclasses.replace(licence, warnings=tuple(dict.fromkeys([*licence.warnings, *extra])))
