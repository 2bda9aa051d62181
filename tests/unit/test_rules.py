"""The footer rules (crawler/check/rules): one table a rule, each row a small page run through
the whole check (scan → facts → rule), so the needles and the rule are tested together."""

from __future__ import annotations

import pytest

from crawler.check.decide import check_page
from crawler.check.finding import Finding, Verdict
from crawler.check.rules import (
    DEFAULT_OFF,
    NOT_APPLICABLE,
    RULES,
    STATUSES,
    Expected,
    PageFacts,
    RuleResult,
    apply_rules,
)
from crawler.check.rules.common import filing_key, host, police_key

EXP = "京B2-20252223"
FILING = "京ICP备12345678号"
POLICE = "京公网安备11010502000001号"
MIIT = "https://beian.miit.gov.cn/"
MPS = "http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010502000001"
MPS_NEW = "https://beian.mps.gov.cn/#/query/webSearch?code=11010502000001"
BADGE = "https://zzlz.gsxt.gov.cn/businessCheck/verifKey.do?showType=p&serial=91110000000000000X"
#: Enough body text that a number at the top is outside the bottom region.
LONG_BODY = "".join(f"<p>第{i}段正文，内容足够长，把页首推离页面底部。</p>" for i in range(60))
APP_SHELL = "<html><body><div id='app'></div><script src='/app.js'></script></body></html>"
#: A script on a page this short would make it an app shell (needs_render): give it text.
TEXT = "<p>" + "正文" * 150 + "</p>"


def page(footer: str, body: str = "<p>正文</p>") -> str:
    return f"<html><body>{body}<div class='footer'>{footer}</div></body></html>"


def result(
    html: str,
    code: str,
    expected: Expected | None = None,
    off: tuple[str, ...] = (),
    licence: str = EXP,
) -> RuleResult:
    finding = check_page(html.encode(), licence, expected_filing=expected, rules_off=off)
    (found,) = [r for r in finding.rules if r.code == code]
    return found


# Each case: (id, html, status, a phrase in the message[, Expected]).
LIC001 = [
    ("compliant", page(f"经营许可证：{EXP}"), "pass", "shown in the footer"),
    ("full-width", page("京Ｂ２－２０２５２２２３"), "pass", "shown in the footer"),
    ("suffix", page(f"{EXP}-1"), "pass", "shown in the footer"),
    (
        "displayed-elsewhere",
        f"<html><body><p>{EXP}</p>{LONG_BODY}<div class='footer'>版权所有</div></body></html>",
        "fail",
        "verdict displayed_elsewhere",
    ),
    ("hidden-comment", page(f"<!-- {EXP} -->版权所有"), "fail", "verdict hidden: present only"),
    ("hidden-alt", page(f"<img src='l.png' alt='{EXP}'>"), "fail", "verdict hidden"),
    ("wrong-number", page("沪B2-20170116"), "fail", "verdict wrong_number: shows 沪B2-20170116"),
    ("near-miss", page("京B2-20252232"), "fail", "a near miss (typo) of"),
    (
        "label-only",
        page("<a href='/lic.jpg'>增值电信业务经营许可证</a>"),
        "fail",
        "verdict label_only",
    ),
    ("missing", page("版权所有"), "fail", "verdict missing"),
    ("filing-is-not-licence", page("京ICP备20252223号"), "fail", "verdict missing"),
    (
        "traditional-label-only",
        page("<a href='/lic.jpg'>增值電信業務經營許可證</a>"),
        "fail",
        "verdict label_only",
    ),
    ("needs-render", APP_SHELL, "unknown", "verdict needs_render"),
]

ICP001 = [
    ("text", page(FILING), "pass", "ICP filing number shown"),
    ("suffix", page("京ICP备12345678号-1"), "pass", "shown"),
    ("split-over-tags", page("京ICP备<span>1234</span>5678号"), "pass", "shown"),
    ("full-width", page("京ＩＣＰ备１２３４５６７８号"), "pass", "shown"),
    ("spaces", page("京 ICP 备 12345678 号"), "pass", "shown"),
    ("nbsp-entity", page("京ICP备&nbsp;12345678号"), "pass", "shown"),
    ("traditional", page("京ICP備12345678號"), "pass", "shown"),
    ("traditional-province", page("粵ICP備<span>1234</span>5678號-1"), "pass", "shown"),
    (
        "traditional-image-alt",
        page("<img src='/icp.png' alt='京ICP備12345678號'>"),
        "unknown",
        "alt",
    ),
    ("in-link", page(f"<a href='{MIIT}'>{FILING}</a>"), "pass", "shown"),
    ("image-alt", page(f"<img src='/icp.png' alt='{FILING}'>"), "unknown", "image's alt"),
    ("image-title", page(f"<img src='/icp.png' title='{FILING}'>"), "unknown", "image's alt"),
    ("div-title", page(f"<span title='{FILING}'>备案</span>"), "fail", "no ICP filing"),
    ("comment", page(f"<!-- {FILING} -->"), "fail", "no ICP filing"),
    ("script", page(f"<script>var icp = '{FILING}';</script>", TEXT), "fail", "no ICP filing"),
    ("licence-only", page(f"经营许可证：{EXP}"), "fail", "no ICP filing"),
    ("none", page("版权所有"), "fail", "no ICP filing"),
    ("needs-render", APP_SHELL, "unknown", "scripts may render"),
]

ICP002 = [
    ("current", page(f"<a href='{MIIT}'>{FILING}</a>"), "pass", "linked to beian.miit.gov.cn"),
    ("www", page(f"<a href='http://www.beian.miit.gov.cn'>{FILING}</a>"), "pass", "linked"),
    (
        "fragment",
        page(f"<a href='https://beian.miit.gov.cn/#/Integrated/index'>{FILING}</a>"),
        "pass",
        "linked",
    ),
    ("protocol-relative", page(f"<a href='//beian.miit.gov.cn/'>{FILING}</a>"), "pass", "linked"),
    ("upper-case", page(f"<A HREF='HTTPS://BEIAN.MIIT.GOV.CN/'>{FILING}</A>"), "pass", "linked"),
    ("link-beside", page(f"{FILING} <a href='{MIIT}'>查询</a>"), "pass", "linked"),
    ("area", page(f"{FILING}<map><area href='{MIIT}' shape='rect'></map>"), "pass", "linked"),
    ("split-filing", page(f"<a href='{MIIT}'>京ICP备<b>1234</b>5678号</a>"), "pass", "linked"),
    ("traditional", page(f"<a href='{MIIT}'>京ICP備12345678號</a>"), "pass", "linked"),
    (
        "image-alt-filing",
        page(f"<a href='{MIIT}'><img src='i.png' alt='{FILING}'></a>"),
        "pass",
        "linked",
    ),
    (
        "retired-www-miitbeian",
        page(f"<a href='http://www.miitbeian.gov.cn'>{FILING}</a>"),
        "fail",
        "retired filing-system host www.miitbeian.gov.cn",
    ),
    (
        "retired-miitbeian",
        page(f"<a href='http://miitbeian.gov.cn/'>{FILING}</a>"),
        "fail",
        "retired",
    ),
    (
        "retired-miibeian",
        page(f"<a href='http://www.miibeian.gov.cn/'>{FILING}</a>"),
        "fail",
        "retired",
    ),
    (
        "retired-miibeian-bare",
        page(f"<a href='miibeian.gov.cn'>{FILING}</a>"),
        "fail",
        "retired",
    ),
    (
        "retired-and-current",
        page(f"<a href='{MIIT}'>{FILING}</a><a href='http://www.miitbeian.gov.cn'>备案</a>"),
        "fail",
        "retired",
    ),
    ("no-link", page(FILING), "fail", "without a link to https://beian.miit.gov.cn"),
    (
        "other-link",
        page(f"<a href='https://www.example.cn/'>{FILING}</a>"),
        "fail",
        "without a link",
    ),
    ("host-as-text", page(f"{FILING} beian.miit.gov.cn"), "fail", "without a link"),
    (
        "link-in-comment",
        page(f"{FILING}<!-- <a href='{MIIT}'>x</a> -->"),
        "fail",
        "without a link",
    ),
    (
        "lookalike-host",
        page(f"<a href='https://beian.miit.gov.cn.example.com/'>{FILING}</a>"),
        "fail",
        "without a link",
    ),
    ("no-filing", page("版权所有"), "not_applicable", "no ICP filing"),
    (
        "link-without-filing",
        page(f"<a href='{MIIT}'>备案查询</a>"),
        "not_applicable",
        "no ICP filing",
    ),
    (
        "filing-in-comment",
        page(f"<!-- {FILING} --><a href='{MIIT}'>x</a>"),
        "not_applicable",
        "no ICP",
    ),
]

ICP003 = [
    ("no-expected", page(FILING), "unknown", "no expected ICP filing", Expected()),
    ("police-only-expected", page(FILING), "unknown", "no expected", Expected(police=POLICE)),
    ("same", page(FILING), "pass", f"shows the expected filing {FILING}", Expected(FILING)),
    ("suffix-ignored", page("京ICP备12345678号-3"), "pass", "expected", Expected(FILING)),
    ("expected-has-suffix", page(FILING), "pass", "expected", Expected("京ICP备12345678号-1")),
    ("spaces-and-no-hao", page(FILING), "pass", "expected", Expected("京 ICP 备 12345678")),
    (
        "full-width-expected",
        page(FILING),
        "pass",
        "expected",
        Expected("京ＩＣＰ备１２３４５６７８号"),
    ),
    (
        "full-width-shown",
        page("京ＩＣＰ备１２３４５６７８号"),
        "pass",
        "expected",
        Expected(FILING),
    ),
    ("split-shown", page("京ICP备<span>1234</span>5678号"), "pass", "expected", Expected(FILING)),
    ("traditional-shown", page("京ICP備12345678號"), "pass", "expected", Expected(FILING)),
    ("traditional-expected", page(FILING), "pass", "expected", Expected("京ICP備12345678號")),
    (
        "traditional-other-province",
        page("滬ICP備12345678號"),
        "fail",
        "shows 沪ICP备12345678号",
        Expected(FILING),
    ),
    ("lower-case-icp", page(FILING), "pass", "expected", Expected("京icp备12345678号")),
    (
        "in-image-alt",
        page(f"<img src='i.png' alt='{FILING}'>"),
        "pass",
        "expected",
        Expected(FILING),
    ),
    ("one-of-two", page(f"沪ICP备87654321号 {FILING}"), "pass", "expected", Expected(FILING)),
    (
        "other-digits",
        page("京ICP备12345679号"),
        "fail",
        f"the registry says {FILING}",
        Expected(FILING),
    ),
    (
        "other-province",
        page("沪ICP备12345678号"),
        "fail",
        "shows 沪ICP备12345678号",
        Expected(FILING),
    ),
    ("prefix-digits", page("京ICP备1234567号"), "fail", "the registry says", Expected(FILING)),
    ("none-shown", page("版权所有"), "fail", "no ICP filing shown", Expected(FILING)),
    ("not-a-filing", page(FILING), "unknown", "is not an ICP filing number", Expected(EXP)),
    ("needs-render", APP_SHELL, "unknown", "scripts may render", Expected(FILING)),
]

PSB001 = [
    ("text", page(POLICE), "pass", "public-security filing number shown"),
    ("spaced", page("京公网安备 11010502000001号"), "pass", "shown"),
    ("split-over-tags", page("京公网安备<span>11010502</span>000001号"), "pass", "shown"),
    ("full-width-digits", page("京公网安备１１０１０５０２０００００１号"), "pass", "shown"),
    ("traditional", page("京公網安備11010502000001號"), "pass", "shown"),
    (
        "in-link-with-icon",
        page(f"<a href='{MPS}'><img src='/ghs.png'>{POLICE}</a>"),
        "pass",
        "shown",
    ),
    ("image-alt", page(f"<img src='/ghs.png' alt='{POLICE}'>"), "unknown", "image's alt"),
    ("comment", page(f"<!-- {POLICE} -->"), "fail", "no public-security filing"),
    ("script", page(f"<script>var p = '{POLICE}';</script>", TEXT), "fail", "no public-security"),
    ("icp-filing-only", page(FILING), "fail", "no public-security filing"),
    ("none", page("版权所有"), "fail", "no public-security filing"),
    ("needs-render", APP_SHELL, "unknown", "scripts may render"),
]

PSB002 = [
    (
        "mps",
        page(f"<a href='{MPS_NEW}'>{POLICE}</a>"),
        "pass",
        "linked to beian.mps.gov.cn",
    ),
    (
        "older-host",
        page(f"<a href='{MPS}'><img src='/ghs.png'>{POLICE}</a>"),
        "pass",
        "beian.gov.cn (the older address)",
    ),
    ("older-host-bare", page(f"<a href='http://beian.gov.cn/'>{POLICE}</a>"), "pass", "older"),
    (
        "traditional",
        page(f"<a href='{MPS_NEW}'>粵公網安備44030502000001號</a>"),
        "pass",
        "linked to beian.mps.gov.cn",
    ),
    ("upper-case", page(f"<a href='HTTP://WWW.BEIAN.GOV.CN/'>{POLICE}</a>"), "pass", "older"),
    (
        "split-filing",
        page(f"<a href='{MPS}'>京公网安备<b>11010502</b>000001号</a>"),
        "pass",
        "linked",
    ),
    (
        "image-alt-filing",
        page(f"<a href='{MPS}'><img src='i.png' alt='{POLICE}'></a>"),
        "pass",
        "linked",
    ),
    ("no-link", page(POLICE), "fail", "without a link to https://beian.mps.gov.cn"),
    (
        "icon-from-host-no-link",
        page(f"<img src='http://www.beian.gov.cn/img/ghs.png'>{POLICE}"),
        "fail",
        "without a link",
    ),
    ("link-in-comment", page(f"{POLICE}<!-- <a href='{MPS}'>x</a> -->"), "fail", "without a link"),
    (
        "link-in-script",
        page(f"{POLICE}<script>location.href='{MPS}'</script>", TEXT),
        "fail",
        "without a link",
    ),
    ("miit-link-only", page(f"{POLICE} <a href='{MIIT}'>{FILING}</a>"), "fail", "without a link"),
    (
        "lookalike-host",
        page(f"<a href='http://beian.gov.cn.example.com/'>{POLICE}</a>"),
        "fail",
        "without a link",
    ),
    (
        "retired-miit-is-not-mps",
        page(f"<a href='http://www.miitbeian.gov.cn/'>{POLICE}</a>"),
        "fail",
        "without a link",
    ),
    (
        "no-police-filing",
        page(f"<a href='{MPS}'>备案</a>"),
        "not_applicable",
        "no public-security",
    ),
    ("nothing", page("版权所有"), "not_applicable", "no public-security filing"),
]

PSB003 = [
    ("no-expected", page(POLICE), "unknown", "no expected public-security", Expected(FILING)),
    ("same", page(POLICE), "pass", f"shows the expected filing {POLICE}", Expected(police=POLICE)),
    ("spaces", page("京公网安备 11010502000001 号"), "pass", "expected", Expected(police=POLICE)),
    (
        "traditional",
        page("京公網安備11010502000001號"),
        "pass",
        "expected",
        Expected(police=POLICE),
    ),
    (
        "traditional-expected",
        page(POLICE),
        "pass",
        "expected",
        Expected(police="京公網安備11010502000001號"),
    ),
    (
        "full-width-expected",
        page(POLICE),
        "pass",
        "expected",
        Expected(police="京公网安备１１０１０５０２０００００１号"),
    ),
    (
        "in-image-alt",
        page(f"<img src='g.png' alt='{POLICE}'>"),
        "pass",
        "expected",
        Expected(police=POLICE),
    ),
    (
        "other-digits",
        page("京公网安备11010502000002号"),
        "fail",
        f"the registry says {POLICE}",
        Expected(police=POLICE),
    ),
    (
        "other-province",
        page("沪公网安备11010502000001号"),
        "fail",
        "shows 沪公网安备",
        Expected(police=POLICE),
    ),
    (
        "none-shown",
        page(FILING),
        "fail",
        "no public-security filing shown",
        Expected(police=POLICE),
    ),
    (
        "not-a-police-filing",
        page(POLICE),
        "unknown",
        "is not a public-security",
        Expected(police=FILING),
    ),
    ("needs-render", APP_SHELL, "unknown", "scripts may render", Expected(police=POLICE)),
]

BIZ001 = [
    (
        "text",
        page("<a href='/yyzz.html'>营业执照</a>"),
        "pass",
        "business-licence information shown",
    ),
    ("e-licence-text", page("电子营业执照"), "pass", "shown"),
    (
        "gsxt-badge",
        page(f"<a href='{BADGE}'><img src='/lz.png'></a>"),
        "pass",
        "shown",
    ),
    ("gsxt-image", page("<img src='https://zzlz.gsxt.gov.cn/images/lz4.png'>"), "pass", "shown"),
    ("scjgj-link", page("<a href='http://scjgj.beijing.gov.cn/'>市场监管</a>"), "pass", "shown"),
    (
        "sgs-link",
        page("<a href='https://www.sgs.gov.cn/lz/licenseLink.do?m=1'>亮照</a>"),
        "pass",
        "shown",
    ),
    ("alt", page("<img src='/b.png' alt='营业执照'>"), "pass", "shown"),
    ("yyzz-image", page("<img src='/img/yyzz.jpg'>"), "pass", "shown"),
    ("license-image", page("<img src='/img/business_license.png'>"), "pass", "shown"),
    ("licence-image", page("<img src='/img/b.png' alt='Business Licence'>"), "pass", "shown"),
    (
        "telecom-licence-image",
        page("<img src='/img/icp_license.jpg'>"),
        "fail",
        "no business-licence",
    ),
    ("comment", page("<!-- 营业执照 -->"), "fail", "no business-licence"),
    ("script", page("<script>var t = '营业执照';</script>", TEXT), "fail", "no business-licence"),
    (
        "cc-licence-link",
        page("<a href='https://creativecommons.org/licenses/by/4.0/'>CC</a>"),
        "fail",
        "no business-licence",
    ),
    (
        "link-rel-license",
        "<html><head><link rel='license' href='/l'></head><body>版权所有</body></html>",
        "fail",
        "no business",
    ),
    ("gsxt-in-text", page("gsxt.gov.cn"), "fail", "no business-licence"),
    ("none", page(f"{EXP} {FILING}"), "fail", "no business-licence"),
    ("needs-render", APP_SHELL, "unknown", "scripts may render"),
]

TABLES = {
    "LIC001": LIC001,
    "ICP001": ICP001,
    "ICP002": ICP002,
    "ICP003": ICP003,
    "PSB001": PSB001,
    "PSB002": PSB002,
    "PSB003": PSB003,
    "BIZ001": BIZ001,
}


@pytest.mark.parametrize(
    ("code", "name", "html", "status", "phrase", "expected"),
    [
        pytest.param(code, *(case + (None,) * (5 - len(case))), id=f"{code}-{case[0]}")
        for code, table in TABLES.items()
        for case in table
    ],
)
def test_rule(code: str, name: str, html: str, status: str, phrase: str, expected) -> None:
    r = result(html, code, expected)
    assert (r.status, r.code) == (status, code), r
    assert phrase in r.message, r
    assert "\n" not in r.message
    assert all(len(e) <= 200 for e in r.evidence)


def test_every_rule_has_a_table_with_pass_and_fail() -> None:
    assert list(TABLES) == [r.code for r in RULES]
    for code, table in TABLES.items():
        assert {"pass", "fail"} <= {case[2] for case in table}, code


# Evidence says what on the page led there.
@pytest.mark.parametrize(
    ("html", "code", "evidence"),
    [
        (page("京ICP备<span>1234</span>5678号-2"), "ICP001", ("京ICP备12345678号-2",)),
        (page("京ＩＣＰ备１２３４５６７８号"), "ICP001", (FILING,)),
        (page("粵ICP備12345678號-2"), "ICP001", ("粤ICP备12345678号-2",)),
        (page("粵B2-20090191"), "LIC001", ("粵B2-20090191 at /html/body/div",)),
        (page(f"<img alt='{FILING}' src='i.png'>"), "ICP001", (FILING,)),
        (
            page(f"<a href='http://www.miitbeian.gov.cn'>{FILING}</a>"),
            "ICP002",
            ("http://www.miitbeian.gov.cn",),
        ),
        (page(f"<a href='{MIIT}'>{FILING}</a>"), "ICP002", (MIIT,)),
        (page(f"<a href='{MPS}'>{POLICE}</a>"), "PSB002", (MPS,)),
        (page("<img src='/img/yyzz.jpg'>"), "BIZ001", ("image <img src='/img/yyzz.jpg'>",)),
        (page("<a href='/y.html'>电子营业执照</a>", ""), "BIZ001", ("text 电子营业执照",)),
        (page(f"{EXP}-1"), "LIC001", (f"{EXP}-1 at /html/body/div",)),
    ],
)
def test_evidence(html: str, code: str, evidence: tuple[str, ...]) -> None:
    assert result(html, code).evidence == evidence


@pytest.mark.parametrize(
    ("off", "code", "message"),
    [
        (("PSB002",), "PSB002", "switched off for this licence"),
        (frozenset({"ICP003"}), "ICP003", "switched off for this licence"),
        (["PSB001", "NOPE99"], "PSB001", "switched off for this licence"),
        # off by default in a crawl (DEFAULT_OFF): the message says how to switch it on
        (DEFAULT_OFF, "BIZ001", "off unless switched on for the licence (icpwatch rules on …)"),
    ],
)
def test_a_switched_off_rule_is_not_applicable(off, code: str, message: str) -> None:
    finding = check_page(page(FILING).encode(), EXP, rules_off=off)
    by_code = {r.code: r for r in finding.rules}
    assert by_code[code] == RuleResult(code, NOT_APPLICABLE, message)
    assert by_code["ICP001"].status == "pass"  # the others still run
    assert [r.code for r in finding.rules] == [r.code for r in RULES]


def test_switching_off_a_failing_rule_hides_the_failure() -> None:
    html = page(f"<a href='http://www.miitbeian.gov.cn'>{FILING}</a>")
    assert result(html, "ICP002").status == "fail"
    assert result(html, "ICP002", off=("ICP002",)).status == NOT_APPLICABLE


def test_codes_are_the_public_interface() -> None:
    codes = [r.code for r in RULES]
    assert codes == ["LIC001", "ICP001", "ICP002", "ICP003", "PSB001", "PSB002", "PSB003", "BIZ001"]
    assert len(set(codes)) == len(codes)
    for rule in RULES:
        assert rule.title and rule.regulation and "\n" not in rule.title


def test_every_rule_answers_on_an_empty_finding() -> None:
    """Rules read only what the Finding and PageFacts hold; none needs a parse."""
    finding = Finding(verdict=Verdict.MISSING, expected=EXP)
    results = apply_rules(finding, PageFacts(), Expected())
    assert [r.code for r in results] == [r.code for r in RULES]
    assert all(r.status in STATUSES for r in results)


def test_rules_are_in_the_json() -> None:
    data = check_page(page(FILING).encode(), EXP).to_dict()
    assert [r["code"] for r in data["rules"]] == [r.code for r in RULES]
    assert set(data["rules"][0]) == {"code", "status", "message", "evidence"}
    assert isinstance(data["rules"][0]["evidence"], list)


def test_the_miit_link_fact_is_unchanged_by_the_rules() -> None:
    """The scan now keeps every MIIT link (a retired host may follow a current one), but
    miit_href is still the first."""
    finding = check_page(
        page(f"<a href='{MIIT}'>{FILING}</a><a href='http://www.miitbeian.gov.cn'>x</a>").encode(),
        EXP,
    )
    assert (finding.miit_link, finding.miit_href) == (True, MIIT)


def test_registry_links_on_a_page_full_of_gov_cn_are_capped() -> None:
    html = page("<a href='http://x.gov.cn/'>x</a>" * 20000 + f"<a href='{MPS}'>{POLICE}</a>")
    finding = check_page(html.encode(), EXP)
    assert any("gov.cn host names examined" in n for n in finding.notes)
    assert {r.code: r.status for r in finding.rules}["PSB001"] == "pass"


@pytest.mark.parametrize(
    ("href", "name"),
    [
        ("https://beian.miit.gov.cn/#/Integrated/index", "beian.miit.gov.cn"),
        ("//beian.miit.gov.cn", "beian.miit.gov.cn"),
        ("beian.miit.gov.cn/", "beian.miit.gov.cn"),
        ("javascript:window.open('http://www.miitbeian.gov.cn')", "www.miitbeian.gov.cn"),
        ("/go?url=http://beian.mps.gov.cn/x", "beian.mps.gov.cn"),
        ("  HTTP://WWW.BEIAN.GOV.CN:80/  ", "www.beian.gov.cn"),
        ("/relative/page.html", ""),
    ],
)
def test_host(href: str, name: str) -> None:
    assert host(href) == name


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("京ICP备12345678号", ("京", "12345678")),
        ("京ICP备12345678号-1", ("京", "12345678")),
        ("京 ICP 备 1234 5678 号", ("京", "12345678")),
        ("京ＩＣＰ备１２３４５６７８号", ("京", "12345678")),
        ("粵ICP備12345678號-1", ("粤", "12345678")),
        ("京 ICP 備 1234 5678 號", ("京", "12345678")),
        ("京B2-20252223", None),
        ("ICP备12345678号", None),
    ],
)
def test_filing_key(text: str, key) -> None:
    assert filing_key(text) == key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("京公网安备 11010502000001号", ("京", "11010502000001")),
        ("粵公網安備44030502000001號", ("粤", "44030502000001")),
        (FILING, None),
    ],
)
def test_police_key(text: str, key) -> None:
    assert police_key(text) == key
