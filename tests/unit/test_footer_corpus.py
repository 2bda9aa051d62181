"""The footer check on the real pages in ../shared/corpus (read in place, never copied)."""

from __future__ import annotations

import json

import pytest

from crawler.check.decide import check_page
from crawler.check.finding import Verdict
from crawler.check.rules import RULES, STATUSES, Expected
from tests.conftest import CORPUS, REPO

LABELS = CORPUS / "labels.json"
pytestmark = pytest.mark.skipif(not LABELS.is_file(), reason=f"corpus not found at {CORPUS}")

DISPLAYED = {Verdict.COMPLIANT, Verdict.DISPLAYED_ELSEWHERE}
#: A number no corpus page shows, and near misses of the ones they do show.
ABSENT = ["京B2-20252223", "B2-20180123", "京ICP证999999号"]


def _labels() -> list[dict]:
    return json.loads(LABELS.read_text(encoding="utf-8")) if LABELS.is_file() else []


ENTRIES = _labels()
ALL_SHOWN = sorted({n for e in ENTRIES for n in e["displayed"]})


def _page(entry: dict) -> bytes:
    return (CORPUS / "pages" / entry["file"]).read_bytes()


def _id(entry: dict) -> str:
    return entry["file"].removesuffix(".html")


@pytest.fixture(scope="module")
def checked() -> dict[tuple[str, str], object]:
    """Cache: (file, expected) -> Finding, so each page is checked once per number."""
    return {}


def _check(cache: dict, entry: dict, expected: str):
    key = (entry["file"], expected)
    if key not in cache:
        cache[key] = check_page(_page(entry), expected, encoding=entry.get("encoding"))
    return cache[key]


def test_corpus_is_there_and_labelled() -> None:
    assert len(ENTRIES) >= 70
    assert sum(1 for e in ENTRIES if e["displayed"]) >= 10
    for entry in ENTRIES:
        assert (CORPUS / "pages" / entry["file"]).is_file(), entry["file"]


@pytest.mark.parametrize(
    ("entry", "number"),
    [pytest.param(e, n, id=f"{_id(e)}-{n}") for e in ENTRIES for n in e["displayed"]],
)
def test_displayed_number_gives_a_displayed_verdict(checked, entry: dict, number: str) -> None:
    finding = _check(checked, entry, number)
    assert finding.verdict in DISPLAYED, finding.to_dict()
    assert any(e.number == number and e.matches_expected for e in finding.displayed)
    assert not finding.near_miss


@pytest.mark.parametrize("entry", [pytest.param(e, id=_id(e)) for e in ENTRIES])
def test_no_displayed_verdict_for_numbers_not_shown(checked, entry: dict) -> None:
    for number in ABSENT + [n for n in ALL_SHOWN if n not in entry["displayed"]]:
        finding = _check(checked, entry, number)
        assert finding.verdict not in DISPLAYED, (number, finding.to_dict())
        assert not any(e.matches_expected for e in finding.displayed)


@pytest.mark.parametrize("entry", [pytest.param(e, id=_id(e)) for e in ENTRIES])
def test_displayed_numbers_are_exactly_the_labelled_ones(checked, entry: dict) -> None:
    finding = _check(checked, entry, ABSENT[0])
    assert sorted({e.number for e in finding.displayed}) == sorted(entry["displayed"])
    if entry["displayed"]:
        assert finding.verdict == Verdict.WRONG_NUMBER and not finding.near_miss
    else:
        assert finding.verdict in {Verdict.MISSING, Verdict.NEEDS_RENDER, Verdict.LABEL_ONLY}


@pytest.mark.parametrize("entry", [pytest.param(e, id=_id(e)) for e in ENTRIES if e["hidden"]])
def test_hidden_copies_are_found_as_hidden_evidence(checked, entry: dict) -> None:
    finding = _check(checked, entry, entry["hidden"][0])
    hidden = {e.number for e in finding.hidden}
    assert set(entry["hidden"]) <= hidden
    assert all(not e.visible and e.where != "text" for e in finding.hidden)


@pytest.mark.parametrize("entry", [pytest.param(e, id=_id(e)) for e in ENTRIES])
def test_filings_seen_appear_in_filings(checked, entry: dict) -> None:
    finding = _check(checked, entry, ABSENT[0])
    assert set(entry["filings_seen"]) <= set(finding.filings)
    for filing in finding.filings:
        assert "ICP备" in filing and filing not in {e.number for e in finding.displayed}


def test_site_suffix_page_is_compliant_with_a_note(checked) -> None:
    (entry,) = [e for e in ENTRIES if e["file"] == "gne_test_list_page_netease_forum_1.html"]
    finding = _check(checked, entry, "粤B2-20090191")
    assert finding.verdict == Verdict.COMPLIANT
    assert [(e.raw, e.suffix, e.region) for e in finding.displayed] == [
        ("粤B2-20090191-2", "-2", "footer")
    ]
    assert [e.where for e in finding.hidden] == ["script"]
    assert finding.miit_link
    assert "shown with site suffix -2 (粤B2-20090191-2)" in finding.notes


def test_old_style_number_with_nbsp(checked) -> None:
    entry = next(e for e in ENTRIES if e["file"] == "gne_tests_baijiahao_1.html")
    finding = _check(checked, entry, "京ICP证030173号")
    assert finding.verdict == Verdict.COMPLIANT
    assert [e.raw for e in finding.displayed] == ["京ICP证030173号"]


def test_label_inside_link_is_recorded(checked) -> None:
    entry = next(e for e in ENTRIES if e["file"] == "gne_tests_stcn_1.html")
    finding = _check(checked, entry, "粤B2-20080118")
    assert finding.verdict == Verdict.COMPLIANT
    assert [(lab.text, lab.href) for lab in finding.label_links] == [
        ("增值电信业务经营许可证", "http://www.stcn.com/common/include/certificate2.shtml")
    ]


def test_pages_are_not_copied_into_the_project() -> None:
    root = REPO
    names = {e["file"] for e in ENTRIES}
    copies = [p for p in root.rglob("*.html") if p.name in names and ".venv" not in p.parts]
    assert copies == []


@pytest.mark.parametrize("entry", [pytest.param(e, id=_id(e)) for e in ENTRIES if e["displayed"]])
def test_same_answer_without_an_encoding_hint(checked, entry: dict) -> None:
    """Several pages declare gb2312 but were saved as UTF-8: the fallback must still decode."""
    number = entry["displayed"][0]
    without = check_page(_page(entry), number)
    assert without.verdict == _check(checked, entry, number).verdict
    assert without.encoding == "utf-8"


def test_company_name_on_a_real_footer(checked) -> None:
    entry = next(e for e in ENTRIES if e["file"] == "gne_tests_thepaper_1.html")
    shown = check_page(_page(entry), "沪B2-20170116", company="上海东方报业有限公司")
    assert shown.company_shown is True
    other = check_page(_page(entry), "沪B2-20170116", company="北京字节跳动科技有限公司")
    assert other.company_shown is False


# The footer rules (crawler/check/rules) on the real pages.


@pytest.mark.parametrize("entry", [pytest.param(e, id=_id(e)) for e in ENTRIES])
def test_every_rule_answers_on_every_page(checked, entry: dict) -> None:
    finding = _check(checked, entry, entry["displayed"][0] if entry["displayed"] else ABSENT[0])
    assert [r.code for r in finding.rules] == [r.code for r in RULES]
    for r in finding.rules:
        assert r.status in STATUSES and r.message and "\n" not in r.message, r
    by_code = {r.code: r for r in finding.rules}
    lic001 = {Verdict.COMPLIANT: "pass", Verdict.NEEDS_RENDER: "unknown"}
    assert by_code["LIC001"].status == lic001.get(finding.verdict, "fail")
    assert by_code["ICP003"].status == "unknown"  # no expected filing given
    if not finding.filings:
        assert by_code["ICP002"].status == "not_applicable"


@pytest.mark.parametrize(
    "entry", [pytest.param(e, id=_id(e)) for e in ENTRIES if e["filings_seen"]]
)
def test_icp_rules_on_pages_showing_a_filing(entry: dict) -> None:
    """ICP001 passes where the label lists a filing; ICP003 passes for that filing (any suffix)
    and fails for another; ICP002 is decided (pass or fail, never not_applicable)."""
    filing = entry["filings_seen"][0]
    same = check_page(_page(entry), ABSENT[0], expected_filing=Expected(filing=filing))
    by_code = {r.code: r for r in same.rules}
    assert by_code["ICP001"].status == "pass", by_code["ICP001"]
    assert filing in by_code["ICP001"].evidence
    assert by_code["ICP002"].status in {"pass", "fail"}
    assert by_code["ICP003"].status == "pass", by_code["ICP003"]
    first = filing[filing.index("备") + 1]
    other = filing.replace(f"备{first}", "备" + ("9" if first != "9" else "8"), 1)
    differs = check_page(_page(entry), ABSENT[0], expected_filing=Expected(filing=other))
    assert {r.code: r.status for r in differs.rules}["ICP003"] == "fail"


def test_retired_miit_host_fails_icp002_on_a_real_page(checked) -> None:
    entry = next(e for e in ENTRIES if e["file"] == "gne_tests_thepaper_1.html")
    finding = _check(checked, entry, "沪B2-20170116")
    icp002 = {r.code: r for r in finding.rules}["ICP002"]
    assert (icp002.status, icp002.evidence) == ("fail", ("http://www.miitbeian.gov.cn",))
    assert "retired" in icp002.message


def test_police_filing_linked_to_the_older_host_on_a_real_page(checked) -> None:
    entry = next(e for e in ENTRIES if e["file"] == "gne_tests_thepaper_1.html")
    by_code = {r.code: r for r in _check(checked, entry, "沪B2-20170116").rules}
    assert by_code["PSB001"].status == "pass"
    assert by_code["PSB002"].status == "pass" and "beian.gov.cn" in by_code["PSB002"].evidence[0]


def test_business_licence_link_on_a_real_page(checked) -> None:
    entry = next(e for e in ENTRIES if e["file"] == "gne_tests_cjn_1.html")
    biz = {r.code: r for r in _check(checked, entry, ABSENT[0]).rules}["BIZ001"]
    assert biz.status == "pass" and any("yyzz" in e for e in biz.evidence)
