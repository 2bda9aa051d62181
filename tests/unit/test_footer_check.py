"""The footer check on adversarial pages written for each rule and verdict."""

from __future__ import annotations

import dataclasses
import json

import pytest

from crawler.check.decide import check_page
from crawler.check.decode import decode_page
from crawler.check.finding import CONTEXT_CHARS, Finding, NumberEvidence, Verdict
from crawler.licences.numbers import InvalidLicenceNumber, parse_number

EXP = "京B2-20252223"
ARTICLE = "".join(
    f"<p>第{i}段：这里是正文内容，讲述一个很长的故事，与许可证无关。</p>" for i in range(40)
)


def page(footer: str = "", *, top: str = "", head: str = "", body: str = ARTICLE) -> str:
    """A page with a header, a long article and a footer block (class "footer")."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>示例</title>{head}</head>"
        f"<body><div class='nav'>{top}</div><div id='main'>{body}</div>"
        f"<div class='footer'>{footer}</div></body></html>"
    )


def plain(content: str, *, head: str = "") -> str:
    """A page whose body is just ``content`` (no footer markers)."""
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{content}</body></html>"


# (id, html, expected, verdict, near_miss)
VERDICTS = [
    # ---- compliant: the number is visible in the footer
    ("footer-div", page(f"增值电信业务经营许可证：{EXP}"), EXP, "compliant", False),
    ("footer-tag", plain(f"{ARTICLE}<footer><p>{EXP}</p></footer>"), EXP, "compliant", False),
    (
        "role-contentinfo",
        plain(f"<div role='contentinfo'>{EXP}</div>{ARTICLE}"),
        EXP,
        "compliant",
        False,
    ),
    ("id-ft", plain(f"<div id='ft'>{EXP}</div>{ARTICLE}"), EXP, "compliant", False),
    (
        "class-copyright",
        plain(f"<p class='g-copyright'>{EXP}</p>{ARTICLE}"),
        EXP,
        "compliant",
        False,
    ),
    (
        "class-beian",
        plain(f"<span class='beian-info'>{EXP}</span>{ARTICLE}"),
        EXP,
        "compliant",
        False,
    ),
    ("in-link", page(f"<a href='http://beian.miit.gov.cn/'>{EXP}</a>"), EXP, "compliant", False),
    ("bottom-quarter", plain(f"{ARTICLE}<div class='x'>{EXP}</div>"), EXP, "compliant", False),
    ("split-spans", page("京<span>B2</span>-<b>2025</b>2223"), EXP, "compliant", False),
    ("split-province", page("<span>京</span><span>B2-20252223</span>"), EXP, "compliant", False),
    (
        "split-every-part",
        page("<i>京</i><i>B2</i><i>-</i><i>2025</i><i>2223</i>"),
        EXP,
        "compliant",
        False,
    ),
    ("full-width", page("京Ｂ２－２０２５２２２３"), EXP, "compliant", False),
    ("full-width-dash", page("京B2－20252223"), EXP, "compliant", False),
    ("full-width-digit", page("京B２-20252223"), EXP, "compliant", False),
    ("em-dash", page("京B2—20252223"), EXP, "compliant", False),
    ("en-dash", page("京B2–20252223"), EXP, "compliant", False),
    ("minus-sign", page("京B2−20252223"), EXP, "compliant", False),
    ("hyphen-u2010", page("京B2‐20252223"), EXP, "compliant", False),
    ("mdash-entity", page("京B2&mdash;20252223"), EXP, "compliant", False),
    ("numeric-dash-entity", page("京B2&#8211;20252223"), EXP, "compliant", False),
    ("hex-dash-entity", page("京B2&#x2d;20252223"), EXP, "compliant", False),
    ("nbsp-entities", page("京&nbsp;B2&nbsp;-&nbsp;20252223"), EXP, "compliant", False),
    ("nbsp-char", page("京\u00a0B2\u00a0-\u00a020252223"), EXP, "compliant", False),
    ("ideographic-space", page("京\u3000B2\u3000-\u300020252223"), EXP, "compliant", False),
    ("spaces-around-dash", page("京 B2 - 20252223"), EXP, "compliant", False),
    ("hao", page("京B2-20252223号"), EXP, "compliant", False),
    ("site-suffix", page("粤B2-20090191-18"), "粤B2-20090191", "compliant", False),
    ("hao-and-suffix", page("京B2-20252223号-2"), EXP, "compliant", False),
    ("lowercase-category", page("京b2-20252223"), EXP, "compliant", False),
    ("combined-categories", page("京A2.B1.B2-20090003"), "京A2.B1.B2-20090003", "compliant", False),
    ("cross-regional", page("B2-20180123"), "B2-20180123", "compliant", False),
    ("old-style", page("京ICP证030173号"), "京ICP证030173号", "compliant", False),
    ("old-style-spaced", page("京 ICP 证 030173 号&nbsp;"), "京ICP证030173号", "compliant", False),
    (
        "old-style-split",
        page("京ICP证<span>030173</span>号"),
        "京ICP证030173号",
        "compliant",
        False,
    ),
    # the province written before ICP证 (苏ICP证B2-…) is the number's province
    ("prov-icp-zheng", page("苏ICP证B2-20100204"), "苏B2-20100204", "compliant", False),
    ("prov-icp-zheng-hao", page("粤ICP证B2-20090191号"), "粤B2-20090191", "compliant", False),
    ("prov-icp-zheng-suffix", page("粤ICP证B2-20090191号-2"), "粤B2-20090191", "compliant", False),
    ("prov-icp-zheng-jing", page("京ICP证B2-20252223"), EXP, "compliant", False),
    ("prov-icp-zheng-colon", page("沪ICP证：B2-20170116"), "沪B2-20170116", "compliant", False),
    ("prov-icp-zheng-ascii-colon", page("京ICP证: B2-20252223"), EXP, "compliant", False),
    ("prov-icp-zheng-lower", page("京icp证b2-20252223"), EXP, "compliant", False),
    (
        "prov-icp-zheng-full-width",
        page("京ＩＣＰ证Ｂ２－２０２５２２２３"),
        EXP,
        "compliant",
        False,
    ),
    ("prov-icp-zheng-spaces", page("京 ICP 证 B2 - 20252223"), EXP, "compliant", False),
    ("prov-icp-zheng-nbsp", page("京ICP证&nbsp;B2-20252223"), EXP, "compliant", False),
    ("prov-icp-zheng-ideographic", page("京\u3000ICP证\u3000B2-20252223"), EXP, "compliant", False),
    (
        "prov-icp-zheng-tags",
        page("<span>京</span><span>ICP证</span><b>B2-20252223</b>"),
        EXP,
        "compliant",
        False,
    ),
    (
        "prov-icp-zheng-after-label",
        page("增值电信业务经营许可证：苏ICP证B2-20100204号"),
        "苏B2-20100204",
        "compliant",
        False,
    ),
    (
        "prov-icp-zheng-expected-form",
        page("苏B2-20100204"),
        "苏ICP证B2-20100204",
        "compliant",
        False,
    ),
    ("icp-zheng-cross-regional", page("ICP证B2-20180123"), "B2-20180123", "compliant", False),
    ("old-style-kept", page("京ICP证060123号"), "京ICP证060123号", "compliant", False),
    # zh-Hant pages: traditional province, 證 and 號 read as their simplified forms
    ("traditional-province", page("粵B2-20090191"), "粤B2-20090191", "compliant", False),
    ("traditional-old-style", page("京ICP證030173號"), "京ICP证030173号", "compliant", False),
    (
        "traditional-prov-icp-zheng",
        page("粵ICP證B2-20090191號-2"),
        "粤B2-20090191",
        "compliant",
        False,
    ),
    (
        "traditional-after-label",
        page("增值電信業務經營許可證：遼B2-20100001"),
        "辽B2-20100001",
        "compliant",
        False,
    ),
    (
        "prov-icp-zheng-on-cross-regional",
        page("苏ICP证B2-20100204"),
        "B2-20100204",
        "wrong_number",
        True,
    ),
    (
        "hidden-garbage-inside",
        page('京B2-2025<span style="display:none">9</span>2223'),
        EXP,
        "compliant",
        False,
    ),
    (
        "visibility-restored",
        page(f"<div style='visibility:hidden'><b style='visibility: visible'>{EXP}</b></div>"),
        EXP,
        "compliant",
        False,
    ),
    (
        "hidden-attr-overridden",
        page(f"<p hidden style='display:block'>{EXP}</p>"),
        EXP,
        "compliant",
        False,
    ),
    (
        "compliant-beats-hidden",
        page(EXP, head=f"<meta name='icp' content='{EXP}'>"),
        EXP,
        "compliant",
        False,
    ),
    ("compliant-with-other-number", page(f"沪B2-20170116 {EXP}"), EXP, "compliant", False),
    # ---- displayed_elsewhere: visible, but not in the footer / bottom region
    ("top-of-page", page("", top=f"许可证 {EXP}"), EXP, "displayed_elsewhere", False),
    ("first-paragraph", plain(f"<p>{EXP}</p>{ARTICLE}"), EXP, "displayed_elsewhere", False),
    ("elsewhere-beats-hidden", page(f"<!-- {EXP} -->", top=EXP), EXP, "displayed_elsewhere", False),
    # ---- hidden: present only where visitors do not see it
    ("comment", page(f"<!-- {EXP} -->"), EXP, "hidden", False),
    (
        "commented-html",
        page(f"<!-- <p>增值电信业务经营许可证：{EXP}</p> -->"),
        EXP,
        "hidden",
        False,
    ),
    ("script", page(f"<script>var icp = '{EXP}';</script>"), EXP, "hidden", False),
    (
        "script-template",
        page(f"<script type='text/html'><a>{EXP}-2</a></script>"),
        EXP,
        "hidden",
        False,
    ),
    ("style", page(f"<style>/* {EXP} */</style>"), EXP, "hidden", False),
    ("template", page(f"<template><p>{EXP}</p></template>"), EXP, "hidden", False),
    ("noscript", page(f"<noscript>{EXP}</noscript>"), EXP, "hidden", False),
    ("display-none", page(f"<div style='display:none'>{EXP}</div>"), EXP, "hidden", False),
    (
        "display-none-spaced",
        page(f"<div style='color:red; DISPLAY : NONE !important'>{EXP}</div>"),
        EXP,
        "hidden",
        False,
    ),
    (
        "display-none-ancestor",
        page(f"<div style='display:none'><p><span>{EXP}</span></p></div>"),
        EXP,
        "hidden",
        False,
    ),
    ("hidden-attr", page(f"<p hidden>{EXP}</p>"), EXP, "hidden", False),
    ("visibility-hidden", page(f"<p style='visibility:hidden'>{EXP}</p>"), EXP, "hidden", False),
    ("title-attr", page(f"<a href='/' title='{EXP}'>备案信息</a>"), EXP, "hidden", False),
    ("alt-attr", page(f"<img src='/a.png' alt='{EXP}'>"), EXP, "hidden", False),
    ("data-attr", page(f"<div data-licence='{EXP}'>版权所有</div>"), EXP, "hidden", False),
    (
        "meta-content",
        page("版权所有", head=f"<meta name='licence' content='{EXP}'>"),
        EXP,
        "hidden",
        False,
    ),
    ("head-title", page("版权所有", head=f"<title>{EXP}</title>"), EXP, "hidden", False),
    ("hidden-beats-wrong", page(f"沪B2-20170116<!-- {EXP} -->"), EXP, "hidden", False),
    # ---- wrong_number: another licence number is visible
    ("typo-digit", page("京B2-20252224"), EXP, "wrong_number", True),
    ("typo-two-digits", page("京B2-20252294"), EXP, "wrong_number", True),
    ("transposition", page("京B2-20252232"), EXP, "wrong_number", True),
    ("wrong-province", page("津B2-20252223"), EXP, "wrong_number", True),
    ("someone-else", page("沪B2-20170116"), EXP, "wrong_number", False),
    ("missing-province", page("B2-20252223"), EXP, "wrong_number", True),
    ("province-on-cross-regional", page("京B2-20180123"), "B2-20180123", "wrong_number", True),
    (
        "wrong-beats-label",
        page("增值电信业务经营许可证：沪B2-20170116"),
        EXP,
        "wrong_number",
        False,
    ),
    ("old-style-other", page("京ICP证030174号"), "京ICP证030173号", "wrong_number", True),
    ("extra-digit", page("京B2-202522231"), EXP, "wrong_number", True),
    ("two-extra-digits", page("京B2-2025222310"), EXP, "wrong_number", True),
    (
        "extra-digit-after-label",
        page("增值电信业务经营许可证：京B2-202522231"),
        EXP,
        "wrong_number",
        True,
    ),
    ("extra-digit-full-width", page("京Ｂ２－２０２５２２２３１"), EXP, "wrong_number", True),
    ("province-before-icp-zheng-other", page("苏ICP证B2-20100204"), EXP, "wrong_number", False),
    ("province-before-icp-zheng-typo", page("京ICP证B2-20252224"), EXP, "wrong_number", True),
    # ---- label_only: a licence label is visible without a number
    (
        "label-link",
        page("<a href='/images/licence.jpg'>增值电信业务经营许可证</a>"),
        EXP,
        "label_only",
        False,
    ),
    (
        "label-image",
        page("<a href='/cert.html'><img src='/img/icp.png' alt='经营许可证'></a>"),
        EXP,
        "label_only",
        False,
    ),
    ("label-icp-zheng", page("ICP证：见公示"), EXP, "label_only", False),
    ("label-icp-licence", page("ICP经营许可证"), EXP, "label_only", False),
    (
        "traditional-label-link",
        page("<a href='/images/licence.jpg'>增值電信業務經營許可證</a>"),
        EXP,
        "label_only",
        False,
    ),
    (
        "traditional-internet-label",
        page("<a href='/l.jpg'>互聯網信息服務經營許可證</a>"),
        EXP,
        "label_only",
        False,
    ),
    (
        "traditional-label-image",
        page("<a href='/cert.html'><img src='/img/icp.png' alt='經營許可證'></a>"),
        EXP,
        "label_only",
        False,
    ),
    ("traditional-icp-licence", page("ICP經營證"), EXP, "label_only", False),
    ("label-broken-number", page("增值电信业务经营许可证：京B2-2025222"), EXP, "label_only", False),
    # ---- missing
    ("nothing", page("版权所有 © 2024"), EXP, "missing", False),
    ("filing-same-digits", page("京ICP备20252223号"), EXP, "missing", False),
    ("filing-with-suffix", page("京ICP备20252223号-1"), EXP, "missing", False),
    ("police-filing", page("京公网安备 11010502000000号"), EXP, "missing", False),
    ("culture-licence", page("京网文[2024]1468-073号"), EXP, "missing", False),
    (
        "culture-label-is-not-telecom",
        page("<a href='/l.jpg'>网络文化经营许可证</a>"),
        EXP,
        "missing",
        False,
    ),
    ("food-label-is-not-telecom", page("食品经营许可证：JY11234567890"), EXP, "missing", False),
    ("news-licence", page("互联网新闻信息服务许可证：11220180001"), EXP, "missing", False),
    (
        "category-in-css",
        page("版权所有", head="<style>.b2-20252223{color:red}</style>"),
        EXP,
        "missing",
        False,
    ),
    ("number-in-url", page("<a href='/b2-20180123.html'>新闻</a>"), "B2-20180123", "hidden", False),
    (
        "static-filing-no-shell",
        page("京ICP备12345678号<script src='/js/footer.js'></script>"),
        EXP,
        "missing",
        False,
    ),
    # ---- needs_render: scripts produce what visitors see
    (
        "app-shell",
        plain("<div id='app'></div><script src='/js/app.3f2a.js'></script>"),
        EXP,
        "needs_render",
        False,
    ),
    (
        "app-shell-root",
        plain(
            "<noscript>请启用 JavaScript</noscript><div id='root'></div>"
            "<script src='/static/main.js'></script>"
        ),
        EXP,
        "needs_render",
        False,
    ),
    (
        "app-shell-number-in-state",
        plain(f'<div id=\'app\'></div><script>window.__STATE__={{"icp":"{EXP}"}}</script>'),
        EXP,
        "needs_render",
        False,
    ),
    (
        "app-shell-beats-label",
        plain("<div id='app'></div><a href='/l.jpg'>经营许可证</a><script src='/app.js'></script>"),
        EXP,
        "needs_render",
        False,
    ),
    ("footer-script", page("<script src='/js/pcfooter.js'></script>"), EXP, "needs_render", False),
    (
        "footer-iframe",
        page("<iframe src='/common/frame_footer.html'></iframe>"),
        EXP,
        "needs_render",
        False,
    ),
    (
        "empty-footer-element",
        plain(f"{ARTICLE}<footer></footer><script src='/a.js'></script>"),
        EXP,
        "needs_render",
        False,
    ),
    (
        "empty-footer-id",
        plain(f"{ARTICLE}<div id='footer'>  </div><script src='/a.js'></script>"),
        EXP,
        "needs_render",
        False,
    ),
    (
        "ad-bottom-is-not-footer",
        plain(f"{ARTICLE}<div id='ad_bottom_area'></div><script src='/a.js'></script>"),
        EXP,
        "missing",
        False,
    ),
    (
        "combo-url-is-not-footer",
        plain(f"{ARTICLE}<script src='/??a.js,footer.js'></script>"),
        EXP,
        "missing",
        False,
    ),
]


@pytest.mark.parametrize(
    ("html", "expected", "verdict", "near"),
    [pytest.param(h, e, v, n, id=i) for i, h, e, v, n in VERDICTS],
)
def test_verdict(html: str, expected: str, verdict: str, near: bool) -> None:
    finding = check_page(html, expected)
    assert finding.verdict == verdict, finding.to_dict()
    assert finding.near_miss is near
    assert finding.expected == parse_number(expected).canonical


@pytest.mark.parametrize(
    ("html", "expected", "verdict", "near"),
    [pytest.param(h, e, v, n, id=i) for i, h, e, v, n in VERDICTS],
)
def test_same_verdict_from_utf8_bytes(html: str, expected: str, verdict: str, near: bool) -> None:
    """Bytes in (as the spider passes response.body) must give the same answer as text."""
    assert check_page(html.encode("utf-8"), expected, encoding="utf-8").verdict == verdict


def test_verdict_strings_are_the_documented_ones() -> None:
    assert [str(v) for v in Verdict] == [
        "compliant",
        "displayed_elsewhere",
        "hidden",
        "wrong_number",
        "needs_render",
        "label_only",
        "missing",
    ]


# (id, html, expected number, where, region)
HIDDEN_WHERE = [
    ("comment", page(f"<!-- {EXP} -->"), "comment", "footer"),
    ("script", page(f"<script>var a='{EXP}'</script>"), "script", "footer"),
    ("style", page(f"<style>/*{EXP}*/</style>"), "style", "footer"),
    ("template", page(f"<template><p>{EXP}</p></template>"), "template", "footer"),
    ("noscript", page(f"<noscript>{EXP}</noscript>"), "noscript", "footer"),
    ("display-none", page(f"<p style='display:none'>{EXP}</p>"), "display:none", "footer"),
    ("hidden-attribute", page(f"<p hidden>{EXP}</p>"), "hidden attribute", "footer"),
    (
        "visibility",
        page(f"<p style='visibility:collapse'>{EXP}</p>"),
        "visibility:hidden",
        "footer",
    ),
    ("title-attr", page(f"<a title='{EXP}'>x</a>"), "attribute:title", "footer"),
    ("alt-attr", page(f"<img alt='{EXP}'>"), "attribute:alt", "footer"),
    ("data-attr", plain(f"<div data-icp='{EXP}'>x</div>{ARTICLE}"), "attribute:data-icp", "body"),
    ("meta", page("", head=f"<meta name='x' content='{EXP}'>"), "meta", "body"),
    ("title", page("", head=f"<title>{EXP}</title>"), "title", "body"),
]


@pytest.mark.parametrize(
    ("html", "where", "region"), [pytest.param(h, w, r, id=i) for i, h, w, r in HIDDEN_WHERE]
)
def test_hidden_evidence_says_where(html: str, where: str, region: str) -> None:
    finding = check_page(html, EXP)
    assert finding.verdict == Verdict.HIDDEN
    assert finding.displayed == ()
    assert [(e.number, e.where, e.visible, e.region) for e in finding.hidden] == [
        (EXP, where, False, region)
    ]
    assert finding.hidden[0].matches_expected
    assert any(where in note for note in finding.notes)


def test_evidence_of_a_displayed_number() -> None:
    html = page(
        f"<p>增值电信业务经营许可证：<a href='https://beian.miit.gov.cn/'>{EXP}号-3</a></p>"
    )
    finding = check_page(html, EXP)
    assert finding.verdict == Verdict.COMPLIANT
    (ev,) = finding.displayed
    assert ev == NumberEvidence(
        number=EXP,
        raw="京B2-20252223号-3",
        context="增值电信业务经营许可证：京B2-20252223号-3",
        path="/html/body/div[3]/p/a",
        region="footer",
        visible=True,
        where="text",
        suffix="-3",
        matches_expected=True,
        near_miss=False,
        province_missing=False,
    )
    assert "shown with site suffix -3 (京B2-20252223号-3)" in finding.notes
    assert finding.miit_link and finding.miit_href == "https://beian.miit.gov.cn/"


def test_path_of_a_split_number_is_the_common_ancestor() -> None:
    finding = check_page(page("<p>京<span>B2</span>-<b>2025</b>2223</p>"), EXP)
    assert [(e.raw, e.path) for e in finding.displayed] == [(EXP, "/html/body/div[3]/p")]


def test_context_is_at_most_120_characters() -> None:
    long_text = "版权所有，" * 60
    finding = check_page(page(f"{long_text}{EXP}{long_text}"), EXP)
    (ev,) = finding.displayed
    assert len(ev.context) <= CONTEXT_CHARS
    assert EXP in ev.context


def test_every_number_on_the_page_is_reported() -> None:
    html = page(
        f"<p>{EXP}</p><p>沪B2-20170116</p><!-- 粤B2-20090191 -->",
        top="B2-20180123",
    )
    finding = check_page(html, EXP)
    assert finding.verdict == Verdict.COMPLIANT
    assert [(e.number, e.region) for e in finding.displayed] == [
        ("B2-20180123", "body"),
        (EXP, "footer"),
        ("沪B2-20170116", "footer"),
    ]
    assert [(e.number, e.where) for e in finding.hidden] == [("粤B2-20090191", "comment")]
    assert [e.matches_expected for e in finding.displayed] == [False, True, False]


def test_province_missing_is_reported_and_noted() -> None:
    finding = check_page(page("B2-20252223"), EXP)
    assert finding.verdict == Verdict.WRONG_NUMBER and finding.near_miss
    (ev,) = finding.displayed
    assert (ev.number, ev.province_missing, ev.near_miss) == ("B2-20252223", True, True)
    assert any("shown without province character 京" in n for n in finding.notes)


def test_near_miss_flags_per_item() -> None:
    finding = check_page(page("京B2-20252232 沪B2-20170116"), EXP)
    assert finding.verdict == Verdict.WRONG_NUMBER and finding.near_miss
    assert [(e.number, e.near_miss) for e in finding.displayed] == [
        ("京B2-20252232", True),
        ("沪B2-20170116", False),
    ]


def test_same_serial_other_categories_is_a_near_miss() -> None:
    finding = check_page(page("京B2-20090003"), "京A2.B1.B2-20090003")
    assert finding.verdict == Verdict.WRONG_NUMBER and finding.near_miss


def test_filing_digits_are_not_the_licence_and_are_noted() -> None:
    finding = check_page(
        page("<a href='https://beian.miit.gov.cn/#/Integrated/index'>京ICP备20252223号-1</a>"), EXP
    )
    assert finding.verdict == Verdict.MISSING
    assert finding.displayed == () and finding.hidden == ()
    assert finding.filings == ("京ICP备20252223号-1",)
    assert finding.miit_link
    assert finding.miit_href == "https://beian.miit.gov.cn/#/Integrated/index"
    assert any("20252223" in n and "京ICP备20252223号-1" in n for n in finding.notes)


@pytest.mark.parametrize(
    ("footer", "filings", "police"),
    [
        ("京ICP备20252223号", ("京ICP备20252223号",), ()),
        ("京ICP备20252223号-1", ("京ICP备20252223号-1",), ()),
        ("浙 ICP 备 17005035 号 -1", ("浙ICP备17005035号-1",), ()),
        ("京ＩＣＰ备２０２５２２２３号", ("京ICP备20252223号",), ()),
        ("京<span>ICP</span>备<b>20252223</b>号", ("京ICP备20252223号",), ()),
        ("京公网安备 11010502000000号", (), ("京公网安备11010502000000号",)),
        (
            "京ICP备1号 京公网安备11010502000000号 粤ICP备16057936号-4",
            ("粤ICP备16057936号-4",),
            ("京公网安备11010502000000号",),
        ),
        ("<!-- 京ICP备20252223号 -->", (), ()),
        ("<script>var f='京ICP备20252223号'</script>", (), ()),
        ("<a title='京ICP备20252223号'>备案</a>", (), ()),
        ("京ICP備20252223號-1", ("京ICP备20252223号-1",), ()),
        (
            "粵ICP備<b>16057936</b>號 京公網安備 11010502000000號",
            ("粤ICP备16057936号",),
            ("京公网安备11010502000000号",),
        ),
        ("ICP备案查询", (), ()),
    ],
)
def test_filings_shown(footer: str, filings: tuple[str, ...], police: tuple[str, ...]) -> None:
    finding = check_page(page(footer), EXP)
    assert finding.filings == filings
    assert finding.police_filings == police


@pytest.mark.parametrize(
    ("footer", "linked"),
    [
        ("<a href='https://beian.miit.gov.cn/'>备案</a>", True),
        ("<a href='http://www.miitbeian.gov.cn'>备案</a>", True),
        ("<a href='http://www.miibeian.gov.cn/'>备案</a>", True),
        ("<a href='https://beian.miit.gov.cn/#/Integrated/index'>备案</a>", True),
        ("<A HREF='HTTPS://BEIAN.MIIT.GOV.CN/'>备案</A>", True),
        ("<a href='http://www.beian.gov.cn/portal'>公安备案</a>", False),
        ("beian.miit.gov.cn", False),
        ("<!-- <a href='https://beian.miit.gov.cn/'>备案</a> -->", False),
        ("<img src='https://beian.miit.gov.cn/logo.png'>", False),
    ],
)
def test_miit_link(footer: str, linked: bool) -> None:
    assert check_page(page(footer), EXP).miit_link is linked


@pytest.mark.parametrize(
    ("html", "company", "shown"),
    [
        (page("北京某某科技有限公司 版权所有"), "北京某某科技有限公司", True),
        (page("北京某某<span>科技</span>有限公司"), "北京某某科技有限公司", True),
        (page("北京某某 科技 有限公司"), "北京某某科技有限公司", True),
        (page("某某（北京）科技有限公司"), "某某(北京)科技有限公司", True),
        (page("某某(北京)科技有限公司"), "某某（北京）科技有限公司", True),
        (page("ACME 网络"), "acme网络", True),
        (
            page("版权所有", head="<title>北京某某科技有限公司</title>"),
            "北京某某科技有限公司",
            False,
        ),
        (page("<!-- 北京某某科技有限公司 -->"), "北京某某科技有限公司", False),
        (page("<a title='北京某某科技有限公司'>x</a>"), "北京某某科技有限公司", False),
        (page("北京另一家科技有限公司"), "北京某某科技有限公司", False),
        (page("北京某某網絡科技有限公司 版權所有"), "北京某某網絡科技有限公司", True),
    ],
)
def test_company_shown(html: str, company: str, shown: bool) -> None:
    finding = check_page(html, EXP, company=company)
    assert finding.company == company
    assert finding.company_shown is shown


def test_company_not_given_is_none() -> None:
    assert check_page(page(EXP), EXP).company_shown is None


def test_label_link_is_recorded_and_resolved() -> None:
    html = page("<a href='/images/licence.jpg'>增值电信业务经营许可证</a>")
    finding = check_page(html, EXP, url="https://www.example.cn/index.html")
    assert finding.verdict == Verdict.LABEL_ONLY
    (lab,) = finding.label_links
    assert (lab.text, lab.href, lab.src, lab.region) == (
        "增值电信业务经营许可证",
        "https://www.example.cn/images/licence.jpg",
        None,
        "footer",
    )
    assert lab.path == "/html/body/div[3]/a"
    assert any("https://www.example.cn/images/licence.jpg" in n for n in finding.notes)


def test_label_image_records_src_and_href() -> None:
    html = page("<a href='/cert.html'><img src='/img/icp.png' alt='经营许可证'></a>")
    finding = check_page(html, EXP, url="https://www.example.cn/")
    (lab,) = finding.label_links
    assert (lab.text, lab.href, lab.src) == (
        "经营许可证",
        "https://www.example.cn/cert.html",
        "https://www.example.cn/img/icp.png",
    )


def test_label_link_uses_base_href() -> None:
    html = page("<a href='l.jpg'>ICP证</a>", head="<base href='https://cdn.example.cn/s/'>")
    finding = check_page(html, EXP, url="https://www.example.cn/")
    assert [lab.href for lab in finding.label_links] == ["https://cdn.example.cn/s/l.jpg"]


def test_hidden_label_is_not_label_only() -> None:
    finding = check_page(page("<a style='display:none' href='/l.jpg'>经营许可证</a>"), EXP)
    assert finding.verdict == Verdict.MISSING and finding.label_links == ()


def test_needs_render_notes_the_signal() -> None:
    finding = check_page(page("<script src='/js/pcfooter.js'></script>"), EXP)
    assert finding.verdict == Verdict.NEEDS_RENDER
    assert any("footer is loaded by a script: /js/pcfooter.js" in n for n in finding.notes)
    shell = check_page(plain("<div id='app'></div><script src='/app.js'></script>"), EXP)
    assert any(n.startswith("app shell") and "mount point" in n for n in shell.notes)


# ---------------------------------------------------------------- decoding

GBK_PAGE = (
    "<html><head><meta http-equiv='Content-Type' content='text/html; charset={cs}'></head>"
    "<body>"
    + ARTICLE
    + "<div class='footer'>朱镕基网络科技有限公司 京B2-20252223</div></body></html>"
)


@pytest.mark.parametrize(
    ("data", "hint", "encoding", "verdict"),
    [
        pytest.param(
            GBK_PAGE.format(cs="gbk").encode("gbk"), None, "gb18030", "compliant", id="gbk-meta"
        ),
        pytest.param(
            GBK_PAGE.format(cs="GB2312").encode("gbk"),
            None,
            "gb18030",
            "compliant",
            id="gb2312-label-decoded-as-gb18030",
        ),
        pytest.param(
            f"<meta charset='gb2312'><p>{EXP}</p>".encode("gb18030"),
            None,
            "gb18030",
            "compliant",
            id="meta-charset-short",
        ),
        pytest.param(
            GBK_PAGE.format(cs="utf-8").encode("gbk"),
            "gbk",
            "gb18030",
            "compliant",
            id="hint-beats-meta",
        ),
        pytest.param(
            b"\xef\xbb\xbf" + GBK_PAGE.format(cs="gbk").encode("utf-8"),
            "gbk",
            "utf-8",
            "compliant",
            id="utf8-bom-beats-hint-and-meta",
        ),
        pytest.param(
            "\ufeff".encode("utf-16-le") + GBK_PAGE.format(cs="gbk").encode("utf-16-le"),
            None,
            "utf-16-le",
            "compliant",
            id="utf16-bom",
        ),
        pytest.param(
            GBK_PAGE.format(cs="gbk").encode("gbk"),
            "utf-8",
            "gb18030",
            "compliant",
            id="wrong-utf8-hint-falls-back",
        ),
        pytest.param(
            (
                "<html><head><meta charset='big5'></head><body><p>正文</p><div class='footer'>"
                "<a href='/l.jpg'>增值電信業務經營許可證</a> 京ICP備20252223號</div></body></html>"
            ).encode("big5"),
            None,
            "big5",
            "label_only",
            id="big5-traditional-label",
        ),
        pytest.param(
            plain(f"<p>{EXP}</p>").encode("utf-8"),
            "cp1252",
            "utf-8",
            "compliant",
            id="weak-western-hint-ignored",
        ),
        pytest.param(
            plain(f"{ARTICLE}<p>{EXP}</p>").replace("<meta charset='utf-8'>", "").encode("gb18030"),
            None,
            "gb18030",
            "compliant",
            id="undeclared-gbk-falls-back-to-gb18030",
        ),
        pytest.param(
            plain(f"{ARTICLE}<p>{EXP}</p>").encode("utf-8"),
            "x-unknown-charset",
            "utf-8",
            "compliant",
            id="unknown-hint",
        ),
    ],
)
def test_decoding(data: bytes, hint: str | None, encoding: str, verdict: str) -> None:
    finding = check_page(data, EXP, encoding=hint, company="朱镕基网络科技有限公司")
    assert finding.encoding == encoding
    assert finding.verdict == verdict


def test_gbk_only_character_survives_gb2312_label() -> None:
    """镕 is not in GB2312: decoding a gb2312-labelled page as GB2312 would lose it."""
    data = GBK_PAGE.format(cs="gb2312").encode("gbk")
    finding = check_page(data, EXP, company="朱镕基网络科技有限公司")
    assert finding.company_shown is True
    assert finding.displayed[0].context.startswith("朱镕基网络科技有限公司")


def test_decode_page_notes_a_bad_hint() -> None:
    text, codec, notes = decode_page("京".encode("gbk") + b"B2", "utf-8")
    assert (text, codec) == ("京B2", "gb18030")
    assert notes == ["encoding hint utf-8 does not decode the page"]


def test_text_input_has_no_encoding() -> None:
    assert check_page(page(EXP), EXP).encoding is None


def test_undecodable_bytes_are_replaced_not_fatal() -> None:
    finding = check_page(
        b"\xff\xfe\xfd" * 0 + b"<p>\x80\xff " + EXP.encode() + b"</p>", EXP, encoding="ascii"
    )
    assert finding.verdict in (Verdict.COMPLIANT, Verdict.DISPLAYED_ELSEWHERE)


# ---------------------------------------------------------------- API shape


def test_invalid_expected_number_raises() -> None:
    with pytest.raises(InvalidLicenceNumber):
        check_page(page(EXP), "京B2-2025222")


def test_expected_may_be_a_parsed_number() -> None:
    assert check_page(page(EXP), parse_number("京Ｂ２－20252223")).verdict == Verdict.COMPLIANT


def test_finding_is_frozen_and_hashable_evidence() -> None:
    finding = check_page(page(EXP), EXP)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.verdict = Verdict.MISSING  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.displayed[0].number = "x"  # type: ignore[misc]
    assert isinstance(finding, Finding)
    assert isinstance(finding.displayed, tuple) and isinstance(finding.notes, tuple)


def test_to_dict_is_json_ready_with_documented_keys() -> None:
    html = page(f"{EXP} 京ICP备20252223号-1 京公网安备11010502000000号<!-- {EXP} -->")
    d = check_page(html, EXP, company="某公司", url="https://x.cn/").to_dict()
    assert json.loads(json.dumps(d, ensure_ascii=False)) == d
    assert {
        "verdict",
        "near_miss",
        "expected",
        "displayed",
        "hidden",
        "filings",
        "police_filings",
        "miit_link",
        "company_shown",
        "notes",
    } <= set(d)
    assert d["verdict"] == "compliant" and type(d["verdict"]) is str
    assert d["expected"] == EXP
    assert d["filings"] == ["京ICP备20252223号-1"]
    assert d["police_filings"] == ["京公网安备11010502000000号"]
    assert d["displayed"][0]["number"] == EXP and d["displayed"][0]["visible"] is True
    assert d["hidden"][0]["where"] == "comment" and d["hidden"][0]["visible"] is False
    assert set(d["displayed"][0]) == {
        "number",
        "raw",
        "context",
        "path",
        "region",
        "visible",
        "where",
        "suffix",
        "matches_expected",
        "near_miss",
        "province_missing",
    }
    assert d["company_shown"] is False and d["url"] == "https://x.cn/"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html></html>",
        "<!-- only a comment -->",
        "京B2-20252223",
        "<p>京B2-",
        "<<<>>>&&&;;" * 50,
        "<div>" * 3000 + EXP + "</div>" * 3000,
    ],
)
def test_odd_pages_do_not_crash(html: str) -> None:
    finding = check_page(html, EXP)
    assert finding.verdict in set(Verdict)
    check_page(html.encode("utf-8"), EXP)


def test_deeply_nested_footer_number_is_found() -> None:
    html = plain(ARTICLE + "<div>" * 600 + f"<p class='footer'>{EXP}</p>" + "</div>" * 600)
    assert check_page(html, EXP).verdict == Verdict.COMPLIANT


def test_region_is_per_number_within_one_block() -> None:
    """Two numbers as direct text of <body>: one at the top, one at the very end."""
    filler = "正文内容。" * 400
    finding = check_page(f"<html><body>沪B2-20170116 {filler} {EXP}</body></html>", EXP)
    assert [(e.number, e.region) for e in finding.displayed] == [
        ("沪B2-20170116", "body"),
        (EXP, "footer"),
    ]
    assert finding.verdict == Verdict.COMPLIANT


def test_filing_in_commented_out_block_with_script_is_not_shown() -> None:
    html = page("<!-- <script>var a=1;</script> 京ICP备20252223号 --> 京ICP备11111111号")
    assert check_page(html, EXP).filings == ("京ICP备11111111号",)


def test_number_broken_by_a_line_break_is_not_joined() -> None:
    finding = check_page(page("京B2-<br>20252223"), EXP)
    assert finding.displayed == ()
    assert finding.verdict == Verdict.MISSING


def test_number_followed_by_a_year_in_the_next_block() -> None:
    """Block boundaries separate: the next cell's digits do not lengthen the serial."""
    finding = check_page(page(f"<table><tr><td>{EXP}</td><td>2024</td></tr></table>"), EXP)
    assert finding.verdict == Verdict.COMPLIANT


def test_number_glued_to_digits_inline_is_not_the_number() -> None:
    finding = check_page(page(f"<span>{EXP}</span><span>2024</span>"), EXP)
    assert finding.verdict == Verdict.MISSING


@pytest.mark.parametrize(
    ("markup", "where"),
    [
        (f"<xmp>{EXP}</xmp>", "text"),
        (f"<textarea>{EXP}</textarea>", "text"),
        (f"<svg><text>{EXP}</text></svg>", "text"),
        (f"<noembed>{EXP}</noembed>", "noembed"),
        (f"<noframes>{EXP}</noframes>", "noframes"),
        (f"<iframe>{EXP}</iframe>", "iframe"),
    ],
)
def test_rare_containers(markup: str, where: str) -> None:
    finding = check_page(page(markup), EXP)
    assert [e.where for e in finding.displayed + finding.hidden] == [where]
    assert finding.verdict == (Verdict.COMPLIANT if where == "text" else Verdict.HIDDEN)


# ---- region: the footer as a reader sees the page bottom (issue 16). Footers below are written
# for these tests after the shapes public Chinese sites use (portal site-info strips, WordPress,
# Discuz!, DedeCMS, government sites); no page is copied.
NEWS = "".join(
    f"<li><a href='/news/{i}.html'>第{i}条新闻标题：城市建设与社区服务的最新进展报道</a></li>"
    for i in range(60)
)
FRIEND_LINKS = "".join(
    f"<a href='http://l{i}.example.cn/'>友情链接单位{i}号</a> " for i in range(40)
)
LOGIN_MODAL = (
    "<div class='login-box' style='display:none'><h3>用户登录</h3>"
    + "<p>登录即表示同意用户服务协议与隐私政策，我们将依法保护您的个人信息安全。</p>" * 8
    + "</div>"
)
TOOLBAR = "<div class='side-kefu'><a href='#'>在线客服</a></div><div id='gotop'>返回顶部</div>"


def site(bottom: str, *, top: str = "", trailer: str = "", main: str = NEWS) -> str:
    """A portal-like homepage: header, a news list, then ``bottom`` and ``trailer`` at the end."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>示例门户</title></head><body>"
        f"<div class='header'><div class='logo'>示例门户</div><div class='nav'>{top}"
        "<a href='/'>首页</a><a href='/news/'>新闻</a><a href='/tech/'>科技</a></div></div>"
        f"<div class='main'><ul class='news-list'>{main}</ul></div>"
        f"{bottom}{trailer}<script src='/js/stat.js'></script></body></html>"
    )


def at_top(markup: str) -> str:
    """``markup`` first, then a long article: only its name can make it the footer."""
    return plain(markup + ARTICLE * 3)


LICENCE = f"增值电信业务经营许可证：{EXP}"
COPY = "Copyright © 2004-2024 示例网络科技有限公司 版权所有"

# (id, html, verdict)
REGION_CASES = [
    # copyright strips and link rows after the footer element
    (
        "portal-site-info-after-site-footer",
        site(
            f"<div class='site-footer'><div class='links'>{FRIEND_LINKS}</div></div>"
            f"<div class='site-info'><p>{COPY}</p><p>{LICENCE} "
            "<a href='https://beian.miit.gov.cn/'>京ICP备12345678号-1</a></p></div>",
            trailer=LOGIN_MODAL * 3 + TOOLBAR,
        ),
        "compliant",
    ),
    (
        "unnamed-strip-after-footer-tag",
        site(
            f"<footer class='footer'><nav>{FRIEND_LINKS}</nav></footer>"
            f"<div class='wrap'><p>{COPY} {LICENCE}</p></div>",
            trailer=LOGIN_MODAL * 3,
        ),
        "compliant",
    ),
    (
        "link-row-after-footer-id",
        site(
            f"<div id='footer'>{FRIEND_LINKS}</div><p class='links'>"
            f"<a href='/about/'>关于我们</a> | <a href='/lic/'>{LICENCE}</a></p>",
            trailer=LOGIN_MODAL * 3,
        ),
        "compliant",
    ),
    (
        "wordpress-site-info",
        site(
            "<footer id='colophon' class='site-footer'><div class='footer-widgets'>"
            "<section class='widget'><h2>关于本站</h2><p>记录技术与生活。</p></section></div>"
            f"<div class='site-info'><a href='https://cn.wordpress.org/'>自豪地采用WordPress</a>"
            f"<span class='sep'> | </span>{LICENCE}</div></footer>",
        ),
        "compliant",
    ),
    (
        "discuz-ft",
        site(
            "<div id='ft' class='wp cl'><div id='flk' class='y'><p>"
            "<a href='archiver/'>Archiver</a><span class='pipe'>|</span>"
            "<a href='forum.php?mobile=yes'>手机版</a><span class='pipe'>|</span>"
            "<a href='forum.php?mod=misc&amp;action=showdarkroom'>小黑屋</a>"
            f"<strong><a href='/'>示例社区</a></strong> ( {LICENCE} )</p>"
            "<p class='xs0'>GMT+8, 2024-5-1 12:00</p></div>"
            "<div id='frt'><p>Powered by <strong>Discuz!</strong> X3.4</p>"
            "<p class='xs0'>&copy; 2001-2024 Comsenz Inc.</p></div></div>",
            trailer=LOGIN_MODAL * 3,
        ),
        "compliant",
    ),
    (
        "dedecms-footer-body",
        site(
            "<div class='footer w960 center mt1 clear'><div class='footer_left'></div>"
            "<div class='footer_body'><p class='powered'>Powered by DedeCMS</p>"
            f"<div class='copyright'>{COPY}<br>{LICENCE}</div></div>"
            "<div class='footer_right'></div></div>",
            trailer=LOGIN_MODAL * 3,
        ),
        "compliant",
    ),
    (
        "government-bottom",
        site(
            "<div class='bottom'><div class='bottom-nav'><a href='/map/'>网站地图</a> | "
            "<a href='/lxwm/'>联系我们</a></div><p>主办单位：示例市人民政府办公室 "
            f"网站标识码：1100000001</p><p>{LICENCE} 京公网安备 11010502000001号</p></div>",
            trailer=LOGIN_MODAL * 3,
        ),
        "compliant",
    ),
    (
        "included-template-no-footer-name",
        site(
            f"<div class='w1200'><div class='links'>{FRIEND_LINKS}</div>"
            f"<p><a href='/about/'>关于我们</a> | <a href='/contact/'>联系我们</a></p>"
            f"<p>{COPY}</p><p>{LICENCE}</p></div>",
            trailer=LOGIN_MODAL * 3 + TOOLBAR,
        ),
        "compliant",
    ),
    (
        "included-template-number-first",
        site(
            f"<div class='w1200'><p>{LICENCE}</p><div class='links'>{FRIEND_LINKS * 2}</div>"
            f"<p>{COPY}</p></div>",
        ),
        "compliant",
    ),
    # footer-like names, the number at the very top of the page
    ("name-footer-wrap", at_top(f"<div class='footer-wrap'>{EXP}</div>"), "compliant"),
    ("name-g-ft", at_top(f"<div class='g-ft'>{EXP}</div>"), "compliant"),
    ("name-page-bottom", at_top(f"<div id='page-bottom'>{EXP}</div>"), "compliant"),
    ("name-page-bottom-camel", at_top(f"<div class='pageBottom'>{EXP}</div>"), "compliant"),
    ("name-copy-right", at_top(f"<p class='copy-right'>{EXP}</p>"), "compliant"),
    ("name-copyright", at_top(f"<p class='copyright'>{EXP}</p>"), "compliant"),
    ("name-copy", at_top(f"<p class='copy'>{EXP}</p>"), "compliant"),
    ("name-site-info", at_top(f"<div class='site-info'>{EXP}</div>"), "compliant"),
    ("name-site-info-camel", at_top(f"<div id='siteInfo'>{EXP}</div>"), "compliant"),
    ("name-foot", at_top(f"<div class='foot'>{EXP}</div>"), "compliant"),
    ("name-foot-box", at_top(f"<div class='foot_box clearfix'>{EXP}</div>"), "compliant"),
    ("name-ft", at_top(f"<div class='ft'>{EXP}</div>"), "compliant"),
    ("name-end", at_top(f"<div class='end'>{EXP}</div>"), "compliant"),
    ("name-bottom", at_top(f"<div class='bottom'>{EXP}</div>"), "compliant"),
    ("name-footer-tag", at_top(f"<footer>{EXP}</footer>"), "compliant"),
    # not the page's footer
    ("name-football", at_top(f"<div class='football-news'>{EXP}</div>"), "displayed_elsewhere"),
    ("name-footnote", at_top(f"<div class='footnote'>{EXP}</div>"), "displayed_elsewhere"),
    ("name-card-footer", at_top(f"<div class='card-footer'>{EXP}</div>"), "displayed_elsewhere"),
    ("name-box-ft", at_top(f"<div class='box-ft'>{EXP}</div>"), "displayed_elsewhere"),
    ("name-bem-ft", at_top(f"<div class='weui-dialog__ft'>{EXP}</div>"), "displayed_elsewhere"),
    (
        "name-header-bottom",
        at_top(f"<div class='header-bottom'>{EXP}</div>"),
        "displayed_elsewhere",
    ),
    ("name-text-end", at_top(f"<div class='text-end'>{EXP}</div>"), "displayed_elsewhere"),
    (
        "name-margin-bottom",
        at_top(f"<p class='mb-3 margin-bottom'>{EXP}</p>"),
        "displayed_elsewhere",
    ),
    ("name-bottom-0", at_top(f"<p class='absolute bottom-0'>{EXP}</p>"), "displayed_elsewhere"),
    ("name-ad-bottom", at_top(f"<p id='ad_bottom_area'>{EXP}</p>"), "displayed_elsewhere"),
    ("name-endless", at_top(f"<p class='endless-scroll'>{EXP}</p>"), "displayed_elsewhere"),
    (
        "article-footer",
        at_top(f"<article><h2>标题</h2><p>正文</p><footer>{EXP}</footer></article>"),
        "displayed_elsewhere",
    ),
    (
        "after-article-footer",
        at_top(f"<article><p>正文</p><footer>作者</footer><p>{EXP}</p></article>"),
        "displayed_elsewhere",
    ),
    ("header-of-portal", site(f"<div class='footer'>{COPY}</div>", top=EXP), "displayed_elsewhere"),
    (
        "middle-of-portal",
        site(f"<div class='footer'>{COPY}</div>", main=NEWS + f"<li>{EXP}</li>" + NEWS),
        "displayed_elsewhere",
    ),
    (
        "sidebar-before-footer",
        site(
            f"<div class='sidebar'><p>{EXP}</p>{NEWS}</div><div class='footer'>{COPY}</div>",
        ),
        "displayed_elsewhere",
    ),
    (
        "header-of-short-page",
        plain(f"<div class='hd'>{EXP}</div><div>{'正文内容。' * 60}</div><p>{COPY}</p>"),
        "displayed_elsewhere",
    ),
    (
        "first-of-two-blocks",
        plain(f"<div>{EXP}</div><div>{'正文内容。' * 600}</div>"),
        "displayed_elsewhere",
    ),
]


@pytest.mark.parametrize(
    ("html", "verdict"), [pytest.param(h, v, id=i) for i, h, v in REGION_CASES]
)
def test_region(html: str, verdict: str) -> None:
    finding = check_page(html, EXP)
    assert finding.verdict == verdict, finding.to_dict()
    region = "footer" if verdict == "compliant" else "body"
    assert [e.region for e in finding.displayed] == [region]


def test_region_cases_need_the_new_rules() -> None:
    """The positive portal cases are not at the bottom by text position alone."""
    from crawler.check.finding import BOTTOM_CHARS, BOTTOM_FRACTION
    from crawler.check.parse import mark_candidates, text_fractions
    from crawler.check.scan import RawPage, scan_page

    for case in ("included-template-no-footer-name", "included-template-number-first"):
        html = next(h for i, h, _ in REGION_CASES if i == case).encode()
        raw = RawPage(html)
        marked, _, _ = mark_candidates(raw, scan_page(raw).marks)
        fractions, _ = text_fractions(marked)
        assert all(f < BOTTOM_FRACTION and a > BOTTOM_CHARS for f, a in fractions.values()), case
