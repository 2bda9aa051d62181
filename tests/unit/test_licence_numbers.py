"""The licence-number grammar shared by the parser and the footer check."""

from __future__ import annotations

import pytest

from crawler.licences.numbers import (
    InvalidLicenceNumber,
    canonical,
    edit_distance,
    find_numbers,
    is_near_miss,
    normalise,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("京B2-20252223", "京B2-20252223"),
        ("  京B2-20252223 ", "京B2-20252223"),
        ("京b2-20252223", "京B2-20252223"),
        ("B2-20180123", "B2-20180123"),
        ("A2.B1.B2-20090003", "A2.B1.B2-20090003"),
        ("A2·B1·B2-20090003", "A2.B1.B2-20090003"),
        ("京ICP证030173号", "京ICP证030173号"),
        ("京ICP证030173", "京ICP证030173号"),
        ("京 ICP 证 030173 号", "京ICP证030173号"),
        ("粤Ｂ２－２０１９０４５６", "粤B2-20190456"),
        ("粤B2\u300020190456".replace("\u3000", "－"), "粤B2-20190456"),
        ("京B2\u201420252223", "京B2-20252223"),
        ("京B2\u201320252223", "京B2-20252223"),
        ("京B2\u221220252223", "京B2-20252223"),
        ("京B2\u201020252223", "京B2-20252223"),
        ("京B2\uff0d20252223", "京B2-20252223"),
        ("京 B2 - 2025 2223", "京B2-20252223"),
        ("京\u3000B2-20252223", "京B2-20252223"),
        ("苏ICP证B2-20100204", "苏B2-20100204"),
        ("粤ICP证B2-20090191", "粤B2-20090191"),
        ("京ICP证B2-20252223", "京B2-20252223"),
        ("沪ICP证：B2-20170116", "沪B2-20170116"),
        ("沪ICP证: B2-20170116", "沪B2-20170116"),
        ("京 ICP 证 B2 - 20252223", "京B2-20252223"),
        ("京ＩＣＰ证Ｂ２－２０２５２２２３", "京B2-20252223"),
        ("京icp证b2-20252223", "京B2-20252223"),
        ("京ICP证060123号", "京ICP证060123号"),
    ],
)
def test_canonical(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "京ICP备20252223号",
        "京ICP备20252223号-1",
        "京B2-2025222",
        "京B2-202522231",
        "京B9-20252223",
        "C2-20252223",
        "京公网安备 11010502000000号",
        "京网文[2024]1468-073号",
        "B2-20180123 and more",
        "京ICP证B2-202522231",
        "京ICP证",
        "京ICP证：",
    ],
)
def test_not_a_number(text: str) -> None:
    with pytest.raises(InvalidLicenceNumber, match="not a licence number"):
        canonical(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("版权所有 粤B2-20090191-18 粤ICP备1234号", ["粤B2-20090191"]),
        ("京B2-202522231", []),
        ("京ICP备20252223号-1 京公网安备 11010502000000号", []),
        ("京网文[2024]1468-073号", []),
        ("京ICP证030173号&nbsp;", ["京ICP证030173号"]),
        (
            "增值电信业务经营许可证：京B2-20252223 ; 沪B2-20170001",
            ["京B2-20252223", "沪B2-20170001"],
        ),
        ("XB2-20252223", []),
        ("12B2-20252223", []),
    ],
)
def test_find_numbers(text: str, found: list[str]) -> None:
    assert [m.number.canonical for m in find_numbers(normalise(text))] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("苏ICP证B2-20100204", ["苏B2-20100204"]),
        ("经营许可证编号：粤ICP证B2-20090191号", ["粤B2-20090191"]),
        ("沪ICP证：B2-20170116", ["沪B2-20170116"]),
        ("京ICP证060123号 京ICP证B2-20252223", ["京ICP证060123号", "京B2-20252223"]),
        ("京ICP备12345678号 B2-20180123", ["B2-20180123"]),
        ("京ICP证 见附件 B2-20180123", ["B2-20180123"]),
        ("京ICP证" + " " * 5000 + "x", []),
    ],
)
def test_province_before_icp_zheng(text: str, found: list[str]) -> None:
    assert [m.number.canonical for m in find_numbers(normalise(text))] == found


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("京B2-202522231", ["京B2-202522231"]),
        ("京B2-2025222310", ["京B2-2025222310"]),
        ("京B2-20252223101", []),  # three more: another kind of number
        ("京B2-202522232024", []),
        ("京B2-20252223 2024", []),
        ("京B2-20252223", ["京B2-20252223"]),
        ("苏ICP证B2-201002041", ["苏B2-201002041"]),
    ],
)
def test_typos_finds_serials_with_extra_digits(text: str, found: list[str]) -> None:
    assert [m.number.canonical for m in find_numbers(normalise(text), typos=True)] == found
    strict = [m.number.canonical for m in find_numbers(normalise(text))]
    assert strict == [n for n in found if len(n.rsplit("-", 1)[1]) == 8]  # documents: 8 digits


def test_extra_digit_is_a_near_miss() -> None:
    assert is_near_miss("京B2-202522231", "京B2-20252223")
    assert not is_near_miss("京B2-2025222399", "京B2-20252211")


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("京B2-20252223", "京B2-20252223", 0),
        ("京B2-20252223", "京B2-20252224", 1),
        ("京B2-20252223", "京B2-20252232", 1),  # one transposition
        ("京B2-20252223", "京B2-20252214", 2),
        ("京B2-20252223", "京B2-20253322", 3),
        ("京B2-20252223", "沪B2-20170001", 7),
        ("", "abc", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b) == distance == edit_distance(b, a)


@pytest.mark.parametrize(
    ("shown", "near"),
    [
        ("京B2-20252224", True),
        ("京B2-20252232", True),
        ("京B2-20252332", True),
        ("京B2-20253322", False),
        ("京B2-20252223", False),
        ("京B2-20991234", False),
        ("沪B2-20252223", True),
    ],
)
def test_near_miss(shown: str, near: bool) -> None:
    assert is_near_miss(shown, "京B2-20252223") is near
