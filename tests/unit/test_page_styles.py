"""Styles that may hide a shown number (crawler/check/styles.py) and what the render policy
makes of them: a page that shows its number goes to the browser only when a style could hide
it."""

from __future__ import annotations

import asyncio
import time

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.check import check_page
from crawler.check.styles import (
    MAX_SHEETS,
    inline_style_risk,
    page_style_risk,
    style_blocks,
    stylesheet_links,
    stylesheet_risk,
)
from crawler.fetch.stylesheets import fetch_stylesheets
from crawler.render.policy import render_decision, wants_stylesheets

EXPECTED = "京B2-20252223"
ARTICLE = "<p>正文内容，讲述一个很长的故事。</p>" * 30


def page(footer: str, head: str = "") -> str:
    return (
        f"<html><head>{head}</head><body><main>{ARTICLE}</main>"
        f'<footer class="footer">{footer}</footer></body></html>'
    )


INLINE = [
    # (name, footer html, risk starts with, or None)
    ("plain", f"<p>经营许可证：{EXPECTED}</p>", None),
    ("white span", f'<span style="color:#fff">经营许可证：{EXPECTED}</span>', "an inline style"),
    ("white word", f"<span style='color: white'>{EXPECTED}</span>", "an inline style"),
    ("near-white rgb", f'<p style="color:rgb(250, 250, 250)">{EXPECTED}</p>', "an inline style"),
    ("white on a dark background", f'<p style="background:#222;color:#fff">{EXPECTED}</p>', None),
    ("grey is readable", f'<span style="color:#999">{EXPECTED}</span>', None),
    ("tiny font", f'<span style="font-size:4px">{EXPECTED}</span>', "an inline style"),
    ("small readable font", f'<span style="font-size:12px">{EXPECTED}</span>', None),
    ("zero opacity", f'<div style="opacity: 0"><p>{EXPECTED}</p></div>', "an inline style"),
    ("half opacity", f'<div style="opacity:0.5"><p>{EXPECTED}</p></div>', None),
    ("pushed off the page", f'<p style="text-indent:-9999px">{EXPECTED}</p>', "an inline style"),
    ("far left", f'<p style="position:absolute;left:-10000px">{EXPECTED}</p>', "an inline style"),
    ("zero height, clipped", f'<p style="height:0;overflow:hidden">{EXPECTED}</p>',
     "an inline style"),
    ("zero height, overflow shows", f'<p style="height:0">{EXPECTED}</p>', None),
    ("style far before the number",
     '<p style="color:#fff">x</p>' + "<p>正文</p>" * 100 + f"<p>{EXPECTED}</p>", None),
    ("split across spans", '<span style="font-size:2px">京B2-</span><span>20252223</span>',
     "an inline style"),
]  # fmt: skip


@pytest.mark.parametrize(("html", "risk"), [c[1:] for c in INLINE], ids=[c[0] for c in INLINE])
def test_inline_style_risk(html: str, risk: str | None) -> None:
    body = page(html).encode()
    got = inline_style_risk(body, check_page(body, EXPECTED))
    assert (got or "").startswith(risk or "") and (got is None) == (risk is None), got


SHEETS = [
    # (name, css, rule found, or None)
    ("footer hidden", "footer.footer { display: none; }", "footer.footer {display: none}"),
    ("by id", "#copyright{visibility:hidden}", "#copyright {visibility:hidden}"),
    ("a tag inside the footer", ".footer p { font-size: 3px }", ".footer p {font-size: 3px}"),
    ("one of a selector list", "h1, .site-footer { opacity: 0 }", "h1, .site-footer {opacity: 0}"),
    ("a pop-up inside the footer", ".footer .qrcode { display: none }", None),
    ("a comment widget's footer", ".like_comment_ft, .trc-widget-footer { display: none }", None),
    ("a page bottom", ".g-bottom { visibility: hidden }", ".g-bottom {visibility: hidden}"),
    ("readable size", ".footer { font-size: 12px }", None),
    ("white footer text on its own", ".footer { color: #fff }", None),
    ("inside @media", "@media (max-width: 600px) { .footer { display: none } }", None),
    ("after @media", "@media print { a { b: c } } .footer{display:none}", ".footer {display:none}"),
    ("nested at-blocks", "@supports (x) { @media screen { .footer{display:none} } }", None),
    ("in a comment", "/* .footer { display: none } */ .nav { display: none }", None),
    ("after @import", '@import url("a.css"); .footer{display:none}', ".footer {display:none}"),
    ("unclosed", ".footer { display: none", None),
    ("stray braces", "}}} .footer{display:none}", ".footer {display:none}"),
    ("zero height clipped", ".beian{height:0;overflow:hidden}", ".beian {height:0}"),
    ("a pseudo-element", ".footer:after, .footer::before { display: none }", None),
    ("a dialog's BEM footer", ".weui-dialog__ft { display: none }", None),
    ("a share icon", ".mpad .icon_wxapp_video_share_bottom {display:none}", None),
]  # fmt: skip


@pytest.mark.parametrize(("css", "rule"), [c[1:] for c in SHEETS], ids=[c[0] for c in SHEETS])
def test_stylesheet_risk(css: str, rule: str | None) -> None:
    assert stylesheet_risk(css.encode()) == rule


def test_style_blocks_and_links() -> None:
    links = "".join(f'<link rel="stylesheet" href="/s{i}.css">' for i in range(MAX_SHEETS + 2))
    body = (
        "<head><link rel=icon href=/f.ico><link href='/print.css' rel='stylesheet'>"
        f"{links}<style>a{{}}</style><STYLE media=x>b{{}}</STYLE></head><style>c{{"
    ).encode()
    assert stylesheet_links(body) == ["/print.css", "/s0.css", "/s1.css"]
    assert style_blocks(body) == b"a{}\nb{}\nc{"


@pytest.mark.parametrize(
    "css",
    [
        "{" * 200_000 + "}" * 200_000,
        ".footer " * 100_000,
        "a{" + "color:#fff;" * 40_000 + "}",
        "@media x{" * 50_000,
        "/*" + "*" * 400_000,
        ".footer{display:x" * 30_000,
    ],
    ids=["braces", "selector", "declarations", "at-blocks", "comment", "rules"],
)
def test_hostile_stylesheets_are_scanned_in_linear_time(css: str) -> None:
    started = time.process_time()
    stylesheet_risk(css.encode())
    style_blocks(("<style>" + css).encode() * 2)
    assert time.process_time() - started < 1.0


def test_many_number_lookalikes_are_bounded() -> None:
    body = page('<i style="color:#fff">B2-</i>' * 20_000 + f"<p>{EXPECTED}</p>").encode()
    finding = check_page(body, EXPECTED)
    started = time.process_time()
    inline_style_risk(body, finding)
    assert time.process_time() - started < 1.0


POLICY = [
    # (name, html, sheets, render?, reason starts with)
    ("compliant, plain", page(EXPECTED), [], False, "compliant: a browser adds no number"),
    ("compliant, white inline", page(f'<span style="color:#fff">{EXPECTED}</span>'), [], True,
     "compliant: an inline style near the number (color:#fff) may hide it"),
    ("compliant, <style> hides the footer",
     page(EXPECTED, "<style>.footer{display:none}</style>"), [], True,
     "compliant: a <style> block may hide the footer (.footer {display:none})"),
    ("compliant, linked sheet hides it", page(EXPECTED),
     [("https://a.cn/site.css", b"footer.footer{visibility:hidden}")], True,
     "compliant: https://a.cn/site.css may hide the footer"),
    ("compliant, harmless sheet", page(EXPECTED), [("https://a.cn/s.css", b".nav{display:none}")],
     False, "compliant: a browser adds no number"),
    ("wrong number is not asked", page("京B2-20252224", "<style>.footer{display:none}</style>"),
     [], False, "wrong_number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("html", "sheets", "render", "reason"), [c[1:] for c in POLICY], ids=[c[0] for c in POLICY]
)
def test_render_policy_on_shown_numbers(html: str, sheets: list, render: bool, reason: str) -> None:
    finding = check_page(html, EXPECTED)
    styles = page_style_risk(html.encode(), finding)
    decision = render_decision("auto", finding, html.encode(), sheets, styles)
    assert (decision.render, decision.reason[: len(reason)]) == (render, reason), decision.reason


@pytest.mark.parametrize(
    ("mode", "html", "wanted"),
    [
        ("auto", page(EXPECTED), True),
        ("always", page(EXPECTED), False),
        ("auto", page("© 2025"), False),
        ("auto", page("京B2-20252224"), False),
    ],
)
def test_stylesheets_are_wanted_only_for_shown_numbers_in_auto(
    mode: str, html: str, wanted: bool
) -> None:
    assert wants_stylesheets(mode, check_page(html, EXPECTED)) is wanted


class FakeEngine:
    """Answers stylesheet requests from a table; anything else fails as a download would."""

    def __init__(self, answers: dict[str, tuple[int, bytes] | Exception]) -> None:
        self.answers, self.requests = answers, []

    async def download_async(self, request: Request) -> HtmlResponse:
        self.requests.append(request)
        answer = self.answers.get(request.url, ConnectionError("refused"))
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return HtmlResponse(request.url, status=status, body=body, request=request)


def test_fetch_stylesheets_keeps_what_answered_and_skips_failures() -> None:
    html = (
        '<link rel="stylesheet" href="/a.css"><link rel="stylesheet" href="//cdn.cn/b.css">'
        '<link rel="stylesheet" href="data:text/css,x"><link rel="stylesheet" href="/gone.css">'
    )
    response = HtmlResponse("https://site.cn/index.html", body=html.encode())
    engine = FakeEngine(
        {
            "https://site.cn/a.css": (200, b"a{}"),
            "https://cdn.cn/b.css": (404, b"nope"),
            "https://site.cn/gone.css": TimeoutError("took too long"),
        }
    )
    got = asyncio.run(fetch_stylesheets(engine, response))
    assert got == [("https://site.cn/a.css", b"a{}")]
    assert [r.url for r in engine.requests] == [
        "https://site.cn/a.css",
        "https://cdn.cn/b.css",
    ]  # data: is never requested, and only the first MAX_SHEETS links are read
    assert all(r.meta["download_maxsize"] and r.meta["dont_redirect"] for r in engine.requests)
