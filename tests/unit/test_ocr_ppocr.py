"""PP-OCR through RapidOCR: the models load from the wheel, and a drawn line reads back."""

from __future__ import annotations

import sys

import pytest

from crawler.licences import ocr_ppocr
from crawler.licences.scan_tools import ScanToolMissing, UnreadableScan

PIL = pytest.importorskip("PIL.Image", reason="Pillow draws the page")


def test_an_engine_that_cannot_load_names_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import fails as if not installed
    ocr_ppocr._engine.cache_clear()
    try:
        with pytest.raises(ScanToolMissing, match=r"PP-OCR cannot load .*pip install rapidocr"):
            ocr_ppocr.ppocr_version()
    finally:
        ocr_ppocr._engine.cache_clear()


@pytest.mark.ocr
def test_a_drawn_licence_line_reads_back_with_its_box() -> None:
    from PIL import ImageDraw, ImageFont

    from tests.fakes.scan_maker import FONT, FONT_INDEX

    if not FONT.exists():
        pytest.skip(f"no CJK font to draw with: {FONT} (fonts-noto-cjk)")
    page = PIL.new("RGB", (1400, 300), "white")
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(str(FONT), 48, index=FONT_INDEX)
    draw.text((60, 40), "法定代表人：杨远熙", font=font, fill="black")
    draw.text((60, 160), "经营许可证编号：川B2-20200036", font=font, fill="black")
    read = ocr_ppocr.read_ppocr(page)
    assert [line.replace(" ", "") for line in read.lines] == [
        "法定代表人：杨远熙",
        "经营许可证编号：川B2-20200036",
    ]
    assert all(w.confidence > 90 for w in read.words)
    left, top, _, bottom = read.boxes[0]
    assert 40 <= left <= 70 and 30 <= top <= 60 and bottom < 150
    assert ocr_ppocr.ppocr_version().startswith("rapidocr 3.")


@pytest.mark.ocr
def test_a_page_the_engine_cannot_take_fails_as_an_unreadable_scan() -> None:
    with pytest.raises(UnreadableScan, match="PP-OCR could not read a page: ResizeImgError"):
        ocr_ppocr.read_ppocr(PIL.new("L", (8000, 20), 0))
    assert ocr_ppocr.read_ppocr(PIL.new("RGB", (1, 1), "white")).lines == ()
