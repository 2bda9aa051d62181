"""The footer check on hostile pages: linear time, no exception on any input (issue 14)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from crawler.check.decide import check_page
from crawler.check.decode import decode_page
from crawler.check.finding import Verdict
from tests.conftest import CORPUS

EXP = "京B2-20252223"
MB = 1 << 20
COMPANY = "北京某某网络科技有限公司"


def rep(unit: str | bytes, size: int = MB) -> bytes:
    """``unit`` repeated to about ``size`` bytes."""
    u = unit.encode() if isinstance(unit, str) else unit
    return u * max(1, size // len(u))


#: ~1 MB pages that made one of the check's regexes or loops backtrack or rescan.
HOSTILE: dict[str, Callable[[], bytes]] = {
    "category-chain": lambda: rep("A2.B1.B2."),
    "category-dash": lambda: rep("B2-"),
    "category-lt": lambda: rep("B2<"),
    "category-7-digits": lambda: rep("B2-2025222 "),
    "label": lambda: rep("经营许可证编号："),
    "icp-zheng": lambda: rep("ICP证"),
    "labels-in-text": lambda: b"<p>" + rep("ICP证 "),
    "filing-prefix": lambda: rep("京ICP备"),
    "police-prefix": lambda: rep("京公网安备"),
    "bei": lambda: rep("备"),
    "zheng": lambda: rep("证"),
    "icp-tags-zheng": lambda: rep("icp<" * 80 + "证"),
    "lt": lambda: rep("<"),
    "comment-open": lambda: rep("<!--"),
    "nbsp-between-categories": lambda: rep("B2" + "&nbsp;" * 40 + "." + "&nbsp;" * 40),
    "empty-tags": lambda: rep("B2<b></b>"),
    "licence-numbers": lambda: (EXP + " ").encode() * 140_000,
    "numbers-in-comment": lambda: b"<!--" + rep(EXP + " "),
    "numbers-in-attribute": lambda: b"<p title='" + rep(EXP + " ") + b"'>x</p>",
    "numbers-after-ellipsis": lambda: b"<p>" + rep("\u2026" + EXP + " ") + b"</p>",
    "deep-divs": lambda: b"<div>" * 100_000,
    "a-href": lambda: rep("<a href="),
    "div-open": lambda: rep("<div"),
    "meta-open": lambda: rep("<meta "),
    "script-open": lambda: rep("<script>"),
    "base-open": lambda: "<a href=x>ICP证</a>".encode() + rep("<base "),
    "mii": lambda: rep("mii"),
    "miit-hosts": lambda: rep("beian.miit.gov.cn "),
    "miit-hosts-in-title": lambda: b"<a title='" + rep("beian.miit.gov.cn ") + b"' href=x>",
    "foot-in-script": lambda: b"<script>" + rep("<footer foot id=foot "),
    "company-with-tags": lambda: rep("北京<b></b>某某"),
    "spaces-after-category": lambda: rep("B2" + " " * 200 + "x"),
    "full-width": lambda: rep("京Ｂ２．Ａ１－２０２５２２２　ＩＣＰ证"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_page_is_checked_fast(name: str) -> None:
    page = HOSTILE[name]()
    check_page(page[:1000], EXP)  # warm caches (compiled company regex …)
    t0 = time.perf_counter()
    finding = check_page(page, EXP, company=COMPANY)
    elapsed = time.perf_counter() - t0
    assert finding.verdict in set(Verdict)
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s for {len(page) / MB:.1f} MB"


def test_many_licence_numbers_keep_the_footer_and_say_the_cap() -> None:
    """140,000 numbers used to raise ValueError (chr() past U+10FFFF for the 65,536th marker)."""
    page = ("<p>" + f"{EXP} " * 140_000 + "</p><div class='footer'>" + EXP + "</div>").encode()
    finding = check_page(page, EXP)
    assert finding.verdict == Verdict.COMPLIANT
    assert any("only the first and last" in n for n in finding.notes)


def _nested(depth: int, footer: str) -> str:
    return (
        "<html><body><p>正文</p>"
        + "<div>" * depth
        + f"<div class='footer'>{footer}</div>"
        + "</div>" * depth
        + f"<p class='copyright'>{footer}</p></body></html>"
    )


def test_deeply_nested_compliant_page_is_judged_with_a_note() -> None:
    """lxml stops at 2,048 levels and drops the rest of the page; the check flattens and notes."""
    html = "<html><body><p>正文</p>" + "<div>" * 20_000 + f"<p>{EXP}</p>" + "</div>" * 20_000
    finding = check_page((html + f"<div class='footer'>{EXP}</div></body></html>").encode(), EXP)
    assert finding.verdict == Verdict.COMPLIANT
    assert any("nesting deeper" in n for n in finding.notes)


def test_deeply_nested_page_without_number_is_missing() -> None:
    html = "<html><body>" + "<div>" * 20_000 + "正文" + "</div>" * 20_000 + "</body></html>"
    finding = check_page(html.encode(), EXP)
    assert finding.verdict == Verdict.MISSING


def test_deeply_nested_number_is_found_in_its_nested_footer() -> None:
    html = (
        "<html><body><div class='footer'>"
        + "<span>" * 20_000
        + EXP
        + "</span>" * 20_000
        + "</div></body></html>"
    )
    assert check_page(html.encode(), EXP).verdict == Verdict.COMPLIANT


# ---- never raise

GOOD = f"<html><body><p>正文</p><div class='footer'>{EXP}</div></body></html>"

ODD: list[tuple[str, bytes | str, str | None]] = [
    ("charset-undefined", GOOD.encode(), "undefined"),
    ("charset-unicode-escape", GOOD.encode(), "unicode_escape"),
    ("charset-idna", GOOD.encode(), "idna"),
    ("charset-base64", GOOD.encode(), "base64"),
    ("charset-garbage", GOOD.encode(), "\x00\ufffd;;"),
    ("nul-bytes", GOOD.encode().replace(b"<p>", b"<p>\x00\x00"), None),
    ("lone-utf16-bom", b"\xff\xfe", None),
    ("utf16-bom-odd-length", b"\xff\xfe<\x00p\x00>", None),
    ("surrogates-in-text", GOOD.replace("正文", "\ud800\udfff\udc00"), None),
    ("huge-attribute", f"<p title='{'x' * 2_000_000}'>{EXP}</p>", None),
    ("bad-base-href", f"<base href='http://[bad'><a href='/x'>ICP证</a>{EXP}", None),
    ("bad-link-href", "<a href='http://[bad'>增值电信业务经营许可证</a>", None),
    ("marker-characters", f"\ue000\U000f0000\ue001\ue002<p>{EXP}\ue000</p>", None),
    ("xml-declaration", b"<?xml version='1.0' encoding='undefined'?><p>x</p>", None),
    ("meta-charset-utf16", b"<meta charset=utf-16><p>" + EXP.encode() + b"</p>", None),
]


@pytest.mark.parametrize(("page", "encoding"), [o[1:] for o in ODD], ids=[o[0] for o in ODD])
def test_odd_input_never_raises(page: bytes | str, encoding: str | None) -> None:
    finding = check_page(page, EXP, encoding=encoding, company=COMPANY, url="https://x.cn/")
    assert finding.verdict in set(Verdict)
    json.dumps(finding.to_dict(), ensure_ascii=False)


def test_undefined_charset_label_is_noted_and_the_page_still_judged() -> None:
    finding = check_page(GOOD.encode(), EXP, encoding="undefined")
    assert finding.verdict == Verdict.COMPLIANT
    assert any("undefined" in n for n in finding.notes)


def _corpus_pages() -> list[Path]:
    pages = CORPUS / "pages"
    return sorted(pages.iterdir()) if pages.is_dir() else []


def test_fuzz_random_bytes_and_corpus_slices_never_raise() -> None:
    rng = random.Random(14)
    pages = _corpus_pages()
    for i in range(300):
        if pages and i % 2:
            body = rng.choice(pages).read_bytes()
            a = rng.randrange(len(body))
            data = body[a : a + rng.randrange(1, 200_000)]
        else:
            data = rng.randbytes(rng.randrange(0, 5000))
            # splice in bytes the check looks for
            for piece in (EXP.encode(), "证备".encode(), b"<!--", b"<a href=", b"\xef\xbc"):
                at = rng.randrange(len(data) + 1)
                data = data[:at] + piece + data[at:]
        encoding = rng.choice([None, "utf-8", "gbk", "utf-16", "undefined", "latin-1"])
        finding = check_page(data, EXP, encoding=encoding, company=COMPANY, url="http://x.cn/")
        assert finding.verdict in set(Verdict)


# ---- decoding: a few bad bytes do not make a UTF-8 page GB18030


def test_mostly_utf8_page_with_bad_bytes_decodes_as_utf8() -> None:
    """Even-length runs of CJK UTF-8 also decode as GB18030 (mojibake): the old rule took it."""
    page = ("<p>正文内容</p>" * 50).encode() + b"\xb0A"
    page += f"<div class='footer'>{EXP}</div>".encode()
    text, codec, notes = decode_page(page)
    assert codec == "utf-8"
    assert "正文内容" in text and EXP in text
    assert any("invalid bytes" in n for n in notes)
    assert check_page(page, EXP).verdict == Verdict.COMPLIANT


def test_declared_utf8_with_a_bad_byte_is_not_read_as_gb18030() -> None:
    page = ("<meta charset='utf-8'>" + "<p>正文内容</p>" * 50).encode() + b"\xb0A"
    page += f"<div class='footer'>{EXP}</div>".encode()
    text, codec, _ = decode_page(page)
    assert codec == "utf-8" and "正文内容" in text


def test_gbk_without_declaration_is_still_gb18030() -> None:
    page = (
        "<p>" + "正文内容，讲述一个故事。" * 50 + f"</p><div class='footer'>{EXP}</div>"
    ).encode("gbk")
    text, codec, _ = decode_page(page)
    assert codec == "gb18030" and "正文内容" in text
    assert check_page(page, EXP).verdict == Verdict.COMPLIANT
