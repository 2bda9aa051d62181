"""Scans in: a licence PDF or photo → the text the licence parser reads, with how it was read.

A PDF with a text layer gives its text (poppler); a PDF without one and every image go through
Tesseract's Simplified Chinese model page by page (crawler/licences/ocr.py). The work is
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
from crawler.licences.ocr_text import OcrWord, normalise_ocr, unsure_fields
from crawler.licences.parser import Licence, parse_licence
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
    engine: str  # "pdftotext" | "tesseract"
    engine_version: str  # "pdftotext 22.12.0", "tesseract 5.3.0 chi_sim"
    confidence: float | None  # mean word confidence 0-100 for OCR, None for a text layer
    pages: int
    low_confidence: tuple[str, ...]  # OCR lines with a word under ocr_text.UNSURE_BELOW
    sha256: str = ""  # of the file's bytes, as read
    words: tuple[OcrWord, ...] = ()  # every OCR word with its confidence, in reading order
    repairs: tuple[str, ...] = ()  # what the OCR normaliser changed (letters for digits)


def _is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF")


def _ocr(images: list[Image.Image], work: Path) -> ScanText:
    from crawler.licences.ocr import ocr_page, tesseract_version

    version = tesseract_version()
    texts, words, low = [], [], []
    for number, image in enumerate(images, 1):
        page = ocr_page(image, work, f"ocr-{number}")
        texts.append(page.text)
        low += [f"page {number}: {line} (confidence {c:.0f})" for line, c in page.unsure_lines()]
        words += page.words
    text, repairs = normalise_ocr("\n".join(texts))
    confs = [w.confidence for w in words]
    return ScanText(
        text=text,
        engine="tesseract",
        engine_version=version,
        confidence=round(statistics.fmean(confs), 1) if confs else None,
        pages=len(images),
        low_confidence=tuple(low),
        words=tuple(words),
        repairs=tuple(repairs),
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


def _checked_fields(licence: Licence) -> list[tuple[str, str | None]]:
    """(label, value) of every field a user relies on, as the certificate labels it."""
    fields: list[tuple[str, str | None]] = [
        ("经营许可证编号", licence.license_no),
        ("公司名称", licence.company),
        ("法定代表人", licence.legal_rep),
        ("发证日期", licence.issued_raw),
        ("有效期至", licence.expires_raw),
    ]
    fields += [("业务种类", s.name + (f"({s.scope})" if s.scope else "")) for s in licence.services]
    for w in licence.websites:
        fields += [
            ("网站域名", w.host),
            ("网站名称", w.site_name),
            ("服务器放置地", w.server_location),
            ("网站接入服务提供单位", w.access_provider),
        ]
    return list(dict.fromkeys(fields))


def licence_from_scan(scan: ScanText) -> Licence:
    """The scan's text parsed, with what OCR was unsure of or repaired among its warnings."""
    licence = parse_licence(scan.text)
    if not scan.words and not scan.repairs:
        return licence
    extra = [*scan.repairs, *unsure_fields(_checked_fields(licence), scan.words)]
    return dataclasses.replace(licence, warnings=tuple(dict.fromkeys([*licence.warnings, *extra])))
