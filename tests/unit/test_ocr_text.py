"""Tesseract's word table and PP-OCR's text boxes → parser text: joins, OCR repairs, and
which fields are unsure."""

from __future__ import annotations

import pytest

from crawler.licences.ocr_text import (
    OcrPage,
    OcrWord,
    better_reading,
    field_confidence,
    normalise_ocr,
    page_from_boxes,
    page_from_tsv,
    pages_from_tsv,
    unsure_fields,
)

HEADER = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
)


def tsv(*lines: list[tuple[int, int, str, float]], page: int = 1) -> str:
    """Lines of (left, width, text, conf) words, 40 px high, as ``tesseract … tsv`` prints."""
    rows = [HEADER, f"1\t{page}\t0\t0\t0\t0\t0\t0\t2480\t3508\t-1\t"]
    for n, words in enumerate(lines, 1):
        rows.append(f"4\t{page}\t1\t1\t{n}\t0\t0\t{n * 60}\t2000\t40\t-1\t")
        rows += [
            f"5\t{page}\t1\t1\t{n}\t{i}\t{left}\t{n * 60}\t{width}\t40\t{conf}\t{text}"
            for i, (left, width, text, conf) in enumerate(words, 1)
        ]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("words", "text"),
    [
        # chi_sim splits Chinese into runs: joined without spaces when they touch
        ([(0, 80, "公司", 95), (84, 80, "名称", 93), (166, 20, ":", 90)], "公司名称:"),
        # a wide gap (label … value) stays a space, so a label without a colon still parses
        ([(0, 160, "公司名称", 95), (300, 200, "北京踏行", 91)], "公司名称 北京踏行"),
        # Latin words always keep their space (domain lists, split numbers)
        ([(0, 200, "a.com", 95), (210, 200, "b.cn", 95)], "a.com b.cn"),
        ([(0, 100, "京B2-2025", 95), (104, 80, "2223", 95)], "京B2-2025 2223"),
        # Chinese next to Latin that touches: no space (京 | B2-…)
        ([(0, 40, "京", 90), (42, 200, "B2-20252223", 96)], "京B2-20252223"),
        # words come in any order in a line: sorted by position
        ([(84, 80, "名称", 93), (0, 80, "公司", 95)], "公司名称"),
    ],
)
def test_words_join_into_lines(words: list, text: str) -> None:
    assert page_from_tsv(tsv(words)).text == text


def test_page_keeps_lines_words_and_confidence() -> None:
    page = page_from_tsv(tsv([(0, 80, "公司", 90)], [(0, 80, "名称", 70), (90, 40, "x", -1)]))
    assert page.text == "公司\n名称x"
    assert [(w.text, w.confidence, w.line) for w in page.words] == [
        ("公司", 90, 0),
        ("名称", 70, 1),
        ("x", 0, 1),  # Tesseract's -1 (no confidence) counts as 0
    ]
    assert page.confidence == pytest.approx(160 / 3)


def test_unsure_lines_ignore_unsure_punctuation() -> None:
    page = page_from_tsv(
        tsv(
            [(0, 80, "编号", 93), (82, 20, ";", 0), (104, 200, "京B2-20252223", 91)],
            [(0, 80, "九厂", 41), (82, 20, "路", 90)],
            [(0, 80, "公司", 95)],
        )
    )
    assert page.unsure_lines() == [("九厂路", 41)]
    assert page.unsure_lines(threshold=95) == [("编号;京B2-20252223", 91), ("九厂路", 41)]


def test_empty_and_malformed_rows_are_skipped() -> None:
    bad = HEADER + "\n5\t1\t1\t1\t1\t1\tx\t0\t10\t10\t90\tword\n5\t1\t1\t1\t1\t2\t0\t0\t9\n"
    page = page_from_tsv(bad)
    assert page.text == "" and page.words == () and page.confidence is None


@pytest.mark.parametrize(
    ("boxes", "lines"),
    [
        ([], []),
        # read in any order: top to bottom, then left to right, a box per word
        (
            [((600, 100, 900, 150), "成都快购", 99.0), ((100, 102, 400, 148), "公司名称:", 98.0)],
            ["公司名称: 成都快购"],
        ),
        (
            [((100, 300, 300, 350), "B", 90.0), ((100, 100, 300, 150), "A", 90.0)],
            ["A", "B"],
        ),
        # a label column beside a two-line value: the label joins the row its centre is on
        (
            [
                ((100, 888, 420, 937), "业务种类", 99.0),
                ((600, 888, 1600, 937), "在线数据处理", 99.0),
                ((100, 958, 450, 1017), "(服务项目)", 86.0),
                ((600, 969, 1300, 1010), "信息服务业务", 98.0),
            ],
            ["业务种类 在线数据处理", "(服务项目) 信息服务业务"],
        ),
        # lines closer than half a line height apart are still two lines
        (
            [((100, 100, 300, 150), "A", 90.0), ((100, 126, 300, 176), "B", 90.0)],
            ["A", "B"],
        ),
        # a slanted box whose centre is within half the smaller height of the line's
        (
            [((100, 100, 300, 150), "A", 90.0), ((400, 118, 600, 168), "B", 90.0)],
            ["A B"],
        ),
    ],
)
def test_page_from_boxes(
    boxes: list[tuple[tuple[int, int, int, int], str, float]], lines: list[str]
) -> None:
    page = page_from_boxes(boxes)
    assert list(page.lines) == lines
    assert len(page.boxes) == len(lines)
    assert sorted(w.text for w in page.words) == sorted(t for _, t, _ in boxes)


#: A photographed page whose lines rise to the right (boxes as PP-OCR found them): the value
#: of 业务种类 sits as close to 法定代表人's row as to its own label's.
SLANTED = [
    ((549, 985, 888, 1062), "法定代表人:柴继军", 100.0),
    ((546, 1057, 710, 1127), "业务种类", 100.0),
    ((839, 1009, 1706, 1108), "在线数据处理", 100.0),
    ((548, 1123, 730, 1188), "(服务项目)", 99.6),
    ((841, 1090, 1434, 1171), "信息服务业务", 100.0),
]


@pytest.mark.parametrize(
    ("slope", "lines"),
    [
        (-0.06, ["法定代表人:柴继军", "业务种类 在线数据处理", "(服务项目) 信息服务业务"]),
        # level lines assumed: the value joins the row above (what the slope corrects)
        (0.0, ["法定代表人:柴继军 在线数据处理", "业务种类", "(服务项目) 信息服务业务"]),
    ],
)
def test_boxes_are_grouped_along_the_slope_of_the_print(slope: float, lines: list[str]) -> None:
    assert list(page_from_boxes(SLANTED, slope).lines) == lines


def test_page_from_boxes_keeps_each_box_score_and_line_box() -> None:
    page = page_from_boxes(
        [((600, 100, 900, 150), "杨远熙", 61.0), ((100, 104, 400, 146), "法定代表人:", 99.0)]
    )
    assert page.words == (OcrWord("法定代表人:", 99.0, 0), OcrWord("杨远熙", 61.0, 0))
    assert page.boxes == ((100, 100, 900, 150),)
    assert page.unsure_lines() == [("法定代表人: 杨远熙", 61.0)]
    assert field_confidence("杨远熙", page.words) == 61.0


@pytest.mark.parametrize(
    ("ocr", "text", "repaired"),
    [
        ("经营许可证编号:京B2-20252223", "经营许可证编号:京B2-20252223", False),
        # letters read for digits in the serial and the category
        ("京B2-2O252223", "京B2-20252223", True),
        ("京Bl-2025222I", "京B1-20252221", True),
        ("苏B2-2020 O928", "苏B2-20200928", True),
        # 8 for B only after a province: 82-12345678 alone is not called a number
        ("京82-20252223", "京B2-20252223", True),
        # the stroke of a province read as a letter of its own (PP-OCR's 川IB2)
        ("经营许可证编号:川IB2-20200036", "经营许可证编号:川B2-20200036", True),
        ("京 lB2-20252223", "京B2-20252223", True),
        ("IB2-20252223", "IB2-20252223", False),  # no province: I is not taken as one's stroke
        ("编号 82-20252223", "编号 82-20252223", False),
        # 一 (one) or — read for the dash: no note, it is still the same number
        ("京B2一20252223", "京B2-20252223", False),
        # full-width forms are the parser's: NFKC here is harmless
        ("京Ｂ２－２０２５２２２３", "京B2-20252223", False),
        # OCR punctuation and 曰 for 日 after a number
        ("信息服务业务〈仅限互联网信息服务〉", "信息服务业务(仅限互联网信息服务)", False),
        ("发证日期: 2025年03月02曰", "发证日期: 2025年03月02日", False),
        ("有效期至: 2030年0月2目", "有效期至: 2030年0月2日", False),
        ("项目 曰 目录", "项目 曰 目录", False),  # not after a number: left alone
        ("信息服务业务(仪限互联网信息服务)", "信息服务业务(仅限互联网信息服务)", False),
        # the 附页 heading with 获 misread or lost, not any 准经营
        ("某某有限公司区准经营信息服务业务", "某某有限公司获准经营信息服务业务", False),
        ("某某有限公司准经营信息服务业务", "某某有限公司获准经营信息服务业务", False),
        ("经批准经营", "经批准经营", False),
        # a label's colon misread
        ("公司名称; 常州五百像素网络科技有限公司", "公司名称: 常州五百像素网络科技有限公司", False),
        ("法定代表人, 柴继军", "法定代表人: 柴继军", False),
        ("根据公司名称, 依法", "根据公司名称, 依法", False),  # not a label at a line start
        # too short or too long a serial is not a licence number: left alone
        ("B2-2025222", "B2-2025222", False),
        ("京B2-2O2522230", "京B2-2O2522230", False),
    ],
)
def test_normalise_ocr(ocr: str, text: str, repaired: bool) -> None:
    fixed, notes = normalise_ocr(ocr)
    assert fixed == text
    assert bool(notes) == repaired
    if repaired:
        assert notes[0].startswith("licence number: OCR read") and text[-8:] in notes[0]


@pytest.mark.parametrize(
    ("ocr", "text"),
    [
        ("网站域名: chaoqiankejicom", "网站域名: chaoqiankeji.com"),
        ("网址:a.cn、www.qinghedatacomcn", "网址:a.cn、www.qinghedata.com.cn"),
        ("域名 examplecn exampl3net", "域名 example.cn exampl3.net"),
        # a name with its dots, or a suffix with its dot, is left as it is
        ("网站域名: xyzcom.cn shop.example.com", "网站域名: xyzcom.cn shop.example.com"),
        # only on a domain line: telecom in a sentence is a word
        ("中国电信 telecom 业务", "中国电信 telecom 业务"),
    ],
)
def test_domains_that_lost_their_dot(ocr: str, text: str) -> None:
    fixed, notes = normalise_ocr(ocr)
    assert fixed == text
    assert len(notes) == sum(a != b for a, b in zip(ocr.split(), text.split(), strict=True))


def words(*pairs: tuple[str, float]) -> tuple[OcrWord, ...]:
    return tuple(OcrWord(t, c, 0) for t, c in pairs)


@pytest.mark.parametrize(
    ("value", "ocr", "expected"),
    [
        ("北京踏行科技", words(("北京", 95), ("踏行", 40), ("科技", 90)), 40),
        # the surest copy counts: a number printed twice, one copy blurred
        (
            "京B2-20252223",
            words(("京B2-2025", 30), ("2223", 90), ("x", 90), ("京B2-20252223", 92)),
            92,
        ),
        # compared as the parser saw it: spaces, full width, repaired letters
        ("京B2-20252223", words(("京Ｂ２－", 80), ("2O25", 70), ("2223", 90)), 70),
        ("serve24h.com", words(("网站域名:", 95), ("SERVE24H.COM", 88)), 88),
        (
            "不在这里",
            words(
                ("北京", 95),
            ),
            None,
        ),
        (
            "",
            words(
                ("北京", 95),
            ),
            None,
        ),
    ],
)
def test_field_confidence(value: str, ocr: tuple[OcrWord, ...], expected: float | None) -> None:
    assert field_confidence(value, ocr) == expected


def test_unsure_fields_name_label_value_and_confidence() -> None:
    ocr = words(("公司名称:", 95), ("北京", 95), ("踏行", 41), ("法定代表人:", 96), ("乔庆军", 90))
    fields = [("公司名称", "北京踏行"), ("法定代表人", "乔庆军"), ("发证日期", None)]
    assert unsure_fields(fields, ocr) == ["OCR unsure of 公司名称 北京踏行 (confidence 41)"]
    assert unsure_fields(fields, ocr, threshold=40) == []


def test_lines_keep_their_boxes() -> None:
    page = page_from_tsv(tsv([(10, 80, "公司", 90), (100, 50, "名称", 90)], [(5, 40, "x", 90)]))
    assert page.boxes == ((10, 60, 150, 100), (5, 120, 45, 160))


def test_multi_image_run_splits_by_page() -> None:
    both = tsv([(0, 80, "甲", 90)], page=1) + tsv([(0, 80, "乙", 80)], page=2).split("\n", 1)[1]
    pages = pages_from_tsv(both)
    assert {n: p.text for n, p in pages.items()} == {1: "甲", 2: "乙"}


def line(text: str, *confs: float) -> OcrPage:
    """One line read, its words one per confidence (the first carries the text)."""
    return OcrPage(
        (text,), tuple(OcrWord(text if i == 0 else "", c, 0) for i, c in enumerate(confs))
    )


RIGHT = "服务器放置地:北京市昌平区北七家镇九厂路中国电信大厦"


@pytest.mark.parametrize(
    ("rereads", "kept"),
    [
        # the surest re-read surer than the first reading wins
        ([line("服务器放置地:北京市昌平区北七家镇九广路中国电信大厦", 91), line(RIGHT, 93)], RIGHT),
        # none surer than the line as first read (90): it stays
        ([line(RIGHT, 89), line(RIGHT, 90)], None),
        # surer but another label, or a phrase lost or added: not the same line
        ([line("网站名称:北京市昌平区北七家镇九厂路中国电信大厦", 99)], None),
        ([line("服务器放置地:北京市昌平区", 99)], None),
        ([line(RIGHT + "中国电信大厦中国电信大厦", 99)], None),
        # two lines or no words from a one-line crop: not a reading
        ([OcrPage((RIGHT, "x"), (OcrWord(RIGHT, 99, 0), OcrWord("x", 99, 1)))], None),
        ([OcrPage((), ())], None),
    ],
)
def test_better_reading(rereads: list[OcrPage], kept: str | None) -> None:
    first = "服务器放置地:北京市昌平区北七家镇九广路中国电信大厦"
    best = better_reading(first, 90.0, rereads)
    assert (best.lines[0] if best else None) == kept


def test_a_better_reading_replaces_its_line_and_words() -> None:
    page = page_from_tsv(
        tsv([(0, 80, "甲", 95)], [(0, 80, "九广路", 40), (90, 80, "大厦", 90)], [(0, 80, "丙", 95)])
    )
    assert page.unsure_indexes() == [1]
    new = page.with_line(1, line("九厂路大厦", 93))
    assert new.text == "甲\n九厂路大厦\n丙"
    assert [(w.text, w.confidence, w.line) for w in new.words] == [
        ("甲", 95, 0),
        ("九厂路大厦", 40, 1),  # no surer than the line was: its field stays warned of
        ("丙", 95, 2),
    ]
    assert new.boxes == page.boxes
