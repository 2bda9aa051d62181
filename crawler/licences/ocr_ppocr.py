"""PP-OCR (PaddleOCR's Chinese text detection and recognition models, run by ONNX Runtime through
RapidOCR) on one page image: the engine whose reading becomes the licence.

Measured on the test scans against Tesseract chi_sim: it reads the rare characters of names and
addresses Tesseract misreads at every scale (杨远熙, 九厂路) and the rows of a photographed
ruled table Tesseract drops. The models ship inside the ``rapidocr`` wheel, so nothing is
downloaded when a scan is read; its OpenCV is the headless build (no libGL).
"""

from __future__ import annotations

import functools
import statistics
from importlib import metadata
from typing import TYPE_CHECKING, Any

from crawler.licences.ocr_text import OcrPage, page_from_boxes
from crawler.licences.scan_tools import ScanToolMissing, UnreadableScan

if TYPE_CHECKING:
    from PIL import Image

DISTRIBUTION = "rapidocr"
#: Boxes this many times longer than high give the print's slope (their top edge).
_LONG = 4


@functools.cache
def _engine() -> Any:
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise ScanToolMissing(
            f"PP-OCR cannot load ({exc}): pip install {DISTRIBUTION} onnxruntime"
        ) from exc
    # "error": an empty page is not worth a log line; the caller reports what matters
    return RapidOCR(params={"Global.log_level": "error"})


def ppocr_version() -> str:
    """``rapidocr 3.10.0 PP-OCRv6``; :class:`ScanToolMissing` when it cannot load."""
    models = _engine().cfg.Det.ocr_version.value
    return f"{DISTRIBUTION} {metadata.version(DISTRIBUTION)} {models}"


def read_ppocr(page: Image.Image) -> OcrPage:
    """The page's text boxes read and grouped into lines, each box's score as its confidence."""
    import numpy as np

    engine = _engine()
    try:
        out = engine(np.asarray(page.convert("RGB")))
    except Exception as exc:  # the engine's own errors (a page 8000x20 px): this scan fails alone
        raise UnreadableScan(f"PP-OCR could not read a page: {type(exc).__name__} {exc}") from exc
    if out.boxes is None:
        return OcrPage((), ())
    boxes, slopes = [], []
    for points, text, score in zip(out.boxes, out.txts, out.scores, strict=True):
        xs = [round(float(p[0])) for p in points]
        ys = [round(float(p[1])) for p in points]
        boxes.append(((min(xs), min(ys), max(xs), max(ys)), text, float(score) * 100))
        (x0, y0), (x1, y1) = points[0], points[1]  # the box's top edge, left to right
        if x1 - x0 > _LONG * (max(ys) - min(ys)):
            slopes.append(float(y1 - y0) / float(x1 - x0))
    return page_from_boxes(boxes, statistics.median(slopes) if slopes else 0.0)
