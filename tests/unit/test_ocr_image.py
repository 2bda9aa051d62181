"""Scan images before OCR: the limits that keep a hostile file cheap, and the preprocessing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

pytest.importorskip("PIL", reason="Pillow reads the scans")

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from crawler.licences.ocr_image import (
    MAX_PIXELS,
    TARGET_LONG_SIDE,
    even_light,
    grey,
    open_pages,
    prepare,
    scaled,
    sideways,
    skew_angle,
    without_rules,
)
from crawler.licences.pdf_text import MAX_PAGES
from crawler.licences.scan_tools import UnreadableScan

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


def png_bytes(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A few hundred bytes claiming ``width`` x ``height`` grey pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bomb_png(100_000, 100_000), "too large to decode safely"),
        (bomb_png(10_000, 7_000), "over the 64-megapixel limit"),
        (b"\x89PNG\r\n\x1a\n" + b"junk" * 10, "damaged image"),
        (b"hello, not an image", "not an image"),
        (png_bytes(Image.new("L", (50, 50)))[:60], "damaged image"),
    ],
)
def test_bad_images_are_one_clear_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableScan, match=reason):
        open_pages(data)


def test_pixel_limit_is_above_a_phone_photo() -> None:
    assert MAX_PIXELS >= 8000 * 6000  # a 48-megapixel photo is read


def test_tiff_pages_are_read_up_to_the_page_limit() -> None:
    frames = [Image.new("L", (20, 20), 255 - i) for i in range(MAX_PAGES + 1)]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:3])
    assert [p.getpixel((0, 0)) for p in open_pages(buf.getvalue())] == [255, 254, 253]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    with pytest.raises(UnreadableScan, match=f"{MAX_PAGES + 1} pages, over the"):
        open_pages(buf.getvalue())


def test_exif_orientation_turns_a_phone_photo_upright() -> None:
    image = Image.new("L", (40, 20), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif)
    assert open_pages(buf.getvalue())[0].size == (20, 40)


def test_red_seal_fades_and_black_print_stays() -> None:
    image = Image.new("RGB", (3, 1))
    image.putdata([(0, 0, 0), (220, 30, 30), (255, 255, 255)])  # print, seal, paper
    ink, seal, paper = (grey(image).getpixel((x, 0)) for x in range(3))
    assert ink < 30 and seal > 200 and paper == 255
    assert grey(Image.new("L", (2, 2), 77)).getpixel((0, 0)) == 77


@pytest.mark.parametrize(
    ("size", "long_side"),
    [
        ((1240, 1754), TARGET_LONG_SIDE),  # A4 at 150 dpi: up to ~300 dpi
        ((2480, 3508), 3508),  # A4 at 300 dpi: as it is
        ((6000, 8000), TARGET_LONG_SIDE),  # a big photo: down
        ((300, 400), 1200),  # a thumbnail: at most 3x up
    ],
)
def test_scaled_to_about_300_dpi(size: tuple[int, int], long_side: int) -> None:
    assert max(scaled(Image.new("L", size, 255)).size) == long_side


def lines_page(angle: float) -> Image.Image:
    """Black text-like bars on white, turned by ``angle`` degrees."""
    page = Image.new("L", (1200, 1600), 255)
    draw = ImageDraw.Draw(page)
    for y in range(200, 1400, 60):
        draw.rectangle((150, y, 1050, y + 22), fill=0)
    return page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)


@pytest.mark.parametrize("angle", [0.0, 2.0, -3.5, 5.0])
def test_skew_angle_levels_the_lines(angle: float) -> None:
    assert skew_angle(lines_page(angle)) == pytest.approx(-angle, abs=0.5)


def test_prepare_gives_a_level_grey_page() -> None:
    page = prepare(lines_page(3.0).convert("RGB"))
    assert page.mode == "L"
    assert skew_angle(page) == 0.0


@pytest.mark.parametrize(("turn", "expected"), [(0, False), (90, True), (180, False), (270, True)])
def test_sideways_pages_are_told_apart(turn: int, expected: bool) -> None:
    assert sideways(lines_page(0).rotate(turn, expand=True)) is expected


def test_table_rules_are_taken_out_and_the_text_stays() -> None:
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    for y in range(1000, 1900, 100):  # a ruled table: rows and a column line
        draw.line((300, y, 2200, y), fill=0, width=3)
    draw.line((800, 1000, 800, 1800), fill=0, width=3)
    for x in range(320, 780, 50):  # characters: short strokes, even in a tight row
        draw.rectangle((x, 1030, x + 40, 1070), fill=0)
    clean = without_rules(page)
    assert clean.getpixel((1500, 1000)) == 255 and clean.getpixel((800, 1150)) == 255
    assert clean.getpixel((360, 1800)) == 255 and clean.getpixel((2140, 1000)) == 255  # ends
    assert clean.getpixel((330, 1050)) == 0 and clean.getpixel((760, 1050)) == 0


@pytest.mark.skipif(not CJK_FONT.exists(), reason=f"no CJK font: {CJK_FONT} (fonts-noto-cjk)")
def test_text_without_a_table_is_left_as_it_was() -> None:
    """Rows hard for a rule detector (strokes across whole characters, in bold) stay."""
    font = ImageFont.truetype(str(CJK_FONT), 46, index=2)  # 11 pt at 300 dpi
    page = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(page)
    lines = (
        "中华人民共和国增值电信业务经营许可证",
        "一二三四五六七八九十一二三四五六七八九十",
        "口国目画曰日 口国目画曰日 口国目画曰日",
        "京B2-20252223  serve24h.com",
    )
    for i, line in enumerate(lines * 10):
        draw.text((300, 300 + i * 70), line, font=font, fill=0, stroke_width=1, stroke_fill=0)
    assert without_rules(page).tobytes() == page.tobytes()


def test_even_light_whitens_paper_in_falling_light_and_keeps_the_ink() -> None:
    """A photo lit from one side: paper from 240 down to 90 grey, print 40 darker than it."""
    page = Image.linear_gradient("L").resize((1600, 2000)).point(lambda v: 240 - v * 150 // 255)
    draw = ImageDraw.Draw(page)
    for y in range(100, 1900, 80):
        for x in range(100, 1500, 60):
            paper = page.getpixel((x, y))
            draw.rectangle((x, y, x + 6, y + 40), fill=paper - 40)  # a stroke
    even = even_light(page)
    assert min(even.getpixel((30, y)) for y in range(0, 2000, 100)) >= 245  # paper, top to bottom
    strokes = [even.getpixel((x + 3, y + 20)) for y in (100, 980, 1860) for x in (100, 1420)]
    assert all(v <= 225 for v in strokes)  # ink still darker than the paper everywhere


def test_unsure_lines_are_read_again_cropped_and_the_surest_kept(monkeypatch, tmp_path) -> None:
    """Each unsure line is cropped (padded) at every re-read scale into one Tesseract run; the
    surest plausible reading replaces the line, the sure lines are not read again."""
    from crawler.licences import ocr
    from crawler.licences.ocr_text import OcrPage, OcrWord

    first = OcrPage(
        ("公司名称:甲", "服务器放置地:九广路"),
        (OcrWord("公司名称:甲", 95, 0), OcrWord("服务器放置地:", 95, 1), OcrWord("九广路", 40, 1)),
        ((100, 100, 500, 160), (100, 200, 900, 264)),
    )
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight"
    last = len(ocr.REREAD_SCALES)  # a page per scale: the last reads best
    readings = {1: ("服务器放置地:九广路", 80), last: ("服务器放置地:九厂路", 93)}
    seen: list[tuple[int, int]] = []

    def fake_tool(args: list[str], what: str) -> str:
        assert args[args.index("--psm") + 1] == "7"
        crops = Path(args[1]).read_text(encoding="utf-8").split()
        seen.extend(Image.open(c).size for c in crops)
        rows = [header + "\tconf\ttext"]
        for page, (text, conf) in readings.items():
            rows.append(f"5\t{page}\t1\t1\t1\t1\t0\t0\t100\t40\t{conf}\t{text}")
        return "\n".join(rows) + "\n"

    monkeypatch.setattr(ocr, "run_tool", fake_tool)
    monkeypatch.setattr(ocr, "_tesseract", lambda: "tesseract")
    page = Image.new("L", (1200, 400), 255)
    got = ocr.reread_unsure(page, first, tmp_path, "p1")
    assert got.lines == ("公司名称:甲", "服务器放置地:九厂路")
    assert got.words[-1] == OcrWord("服务器放置地:九厂路", 40, 1)
    pad = round(64 * 0.25)
    width, height = 800 + 2 * pad, 64 + 2 * pad
    assert seen == [(round(width * s), round(height * s)) for s in ocr.REREAD_SCALES]
