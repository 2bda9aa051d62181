"""Domain list files: text, CSV and XLSX as compliance teams keep them, and what is not a host."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from crawler.licences.domain_lists import BadLine, Duplicate, UnreadableList, parse_domain_list


def xlsx(cells: dict[str, object]) -> bytes:
    book = Workbook()
    for ref, value in cells.items():
        book.active[ref] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


AB = ["a.example.cn", "b.example.cn"]
IDN = "xn--fsqu00a.xn--fiqs8s"  # 例子.中国


def hosts(data: bytes, name: str) -> list[str]:
    return [h.host for h in parse_domain_list(data, name).hosts]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"a.example.cn\nb.example.cn\n", "l.txt", AB),
        (b"\xef\xbb\xbfa.example.cn\r\nb.example.cn\r\n", "l.txt", AB),
        (b"# shops\n\n  a.example.cn  # the main one\n\n", "l.txt", ["a.example.cn"]),
        ("中文网.cn\n例子.中国\n".encode("gbk"), "l.txt", ["xn--fiq228c5hs.cn", IDN]),
        ("例子.中国\n".encode("utf-16"), "l.txt", ["xn--fsqu00a.xn--fiqs8s"]),
        # URLs pasted instead of hosts: the host is what is licensed
        (b"https://WWW.A.example.cn/shop?x=1#top\nhttp://b.example.cn:8080/\n", "l.txt",
         AB),
        (b"a.example.cn\n", "no-suffix", ["a.example.cn"]),
        (b"\xef\xbb\xbfDomain,name\r\na.example.cn,A\r\n,empty\r\n", "l.csv", ["a.example.cn"]),
        (b"name,DOMAIN\nA,a.example.cn\nB,\"b.example.cn\"\n", "l.csv", AB),
        ("公司,domain\n示例,例子.中国\n".encode("gb18030"), "l.csv", ["xn--fsqu00a.xn--fiqs8s"]),
        (b"\n\ndomain\na.example.cn\n", "l.csv", ["a.example.cn"]),
    ],
)  # fmt: skip
def test_valid_lists(data: bytes, name: str, expected: list[str]) -> None:
    found = parse_domain_list(data, name)
    assert ([h.host for h in found.hosts], found.bad) == (expected, ())


@pytest.mark.parametrize(
    ("data", "name", "bad"),
    [
        (b"a.example.cn\nnot a host\nlocalhost\n", "l.txt",
         [(2, "one host per line"), (3, "'localhost' is not a host name")]),
        (b"10.0.0.1\nhttp://[::1]/\n", "l.txt",
         [(1, "'10.0.0.1' is an IP address"), (2, "'http://[::1]/' is not a host name")]),
        (b"a.example.cn\nexample.invalidtld\n", "l.txt", [(2, "has no known public suffix")]),
        (b"\xe4\xbe\x8b\x1b[31m.cn\n", "l.txt", [(1, "not a host name")]),
        (b"domain\na.example.cn\n=HYPERLINK(\"x\")\n", "l.csv", [(3, "not a host name")]),
    ],
)  # fmt: skip
def test_bad_lines_are_named_by_number(data: bytes, name: str, bad: list[tuple[int, str]]) -> None:
    found = parse_domain_list(data, name)
    assert [b.line for b in found.bad] == [n for n, _ in bad]
    for got, (_, reason) in zip(found.bad, bad, strict=True):
        assert reason in got.reason


def test_duplicates_are_one_host_named_once_not_errors() -> None:
    data = b"a.example.cn\nwww.a.example.cn\nb.example.cn\nhttps://a.example.cn/x\n"
    found = parse_domain_list(data, "l.txt")
    assert [h.host for h in found.hosts] == ["a.example.cn", "b.example.cn"]
    assert found.duplicates == (Duplicate("a.example.cn", (1, 2, 4)),)
    assert found.bad == ()


def test_xlsx_rows_numbers_and_empty_cells() -> None:
    data = xlsx(
        {
            "A2": "site",
            "B2": "Domain",
            "B3": "a.example.cn",
            "A4": "a row without a domain",
            "B5": 12345,
            "B6": 12.0,
            "B8": "https://b.example.cn/",
        }
    )
    found = parse_domain_list(data, "list.xlsx")
    assert [h.host for h in found.hosts] == ["a.example.cn", "b.example.cn"]
    assert [(b.line, b.value) for b in found.bad] == [(5, "12345"), (6, "12")]
    assert found.unit == "row"


def test_an_xlsx_is_known_by_its_bytes_whatever_its_name() -> None:
    assert hosts(xlsx({"A1": "domain", "A2": "a.example.cn"}), "list.txt") == ["a.example.cn"]


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "l.txt", "empty file"),
        (b"# only a comment\n\n", "l.txt", "no domains"),
        (b"host,name\na.example.cn,A\n", "l.csv", "no 'domain' column"),
        (b"\n\n", "l.csv", "empty file"),
        (b"a.example.cn\x00\x01\x02", "l.txt", "binary"),
        (b"PK\x03\x04 not really a zip", "l.xlsx", "not a readable XLSX"),
        (xlsx({"A1": "name", "A2": "a.example.cn"}), "l.xlsx", "no 'domain' column"),
        (xlsx({}), "l.xlsx", "empty"),
    ],
)
def test_files_that_are_no_list(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(UnreadableList, match=reason):
        parse_domain_list(data, name)


def test_bad_line_keeps_the_value_as_written() -> None:
    (bad,) = parse_domain_list(b"a.example.cn\n  bad_host  \n", "l.txt").bad
    assert bad == BadLine(2, "bad_host", "'bad_host' is not a host name")
