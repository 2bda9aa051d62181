"""The HTML report: escaping and self-containment on hand-built data, then the real thing in
headless Chromium (Debian's ``chromium``, driven by playwright) on a database built by real
crawls, with hostile page text planted in it.

Without /usr/bin/chromium the browser tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from html import escape
from itertools import groupby
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import main
from crawler.render.rendering import CHROMIUM_ARGS, DEFAULT_CHROMIUM
from crawler.report.html import COLOURS, CSP, render
from crawler.report.queries import ROW_VERDICTS, get_run, history, report_json, report_rows
from tests.e2e.test_report_crawl import ADDED, crawled_db
from tests.unit.test_report import TODAY, A, B, C, add_run, build

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
HOSTILE_ERROR = "</td></tr></table><script>window.__pwned=3</script>"
HOSTILE_URL = "javascript:window.__pwned=4"
CHROMIUM = Path(DEFAULT_CHROMIUM)


def plant(db_path: Path, host: str) -> None:
    """Hostile page text in the latest check of ``host``, as a malicious site could get it."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE checks SET evidence_snippet = ?, error = ?, final_url = ? "
            "WHERE id = (SELECT max(id) FROM checks WHERE host = ?)",
            [HOSTILE, HOSTILE_ERROR, HOSTILE_URL, host],
        )


@pytest.fixture
def hostile_html(db_path: Path) -> str:
    db = build(db_path)
    add_run(db, "finished", {A: "compliant", B: "missing", C: "hidden"})
    add_run(db, "finished", {A: "compliant", B: "missing"})
    plant(db_path, B)
    db.execute("UPDATE licenses SET company = ?", ['"><b onmouseover=alert(1)>公司'])
    db.conn.commit()
    run = get_run(db)
    data = report_json(run, report_rows(db, run, TODAY), "2026-01-09T00:00:00+00:00")
    return render(data, history(db, run))


def test_page_text_is_escaped(hostile_html: str) -> None:
    assert hostile_html.count("<script") == 1  # the report's own
    assert "<img" not in hostile_html and "<b " not in hostile_html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=" in hostile_html
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;" in hostile_html
    assert "&quot;&gt;&lt;b onmouseover=alert(1)&gt;公司" in hostile_html
    assert 'href="javascript' not in hostile_html  # only http(s) URLs become links
    assert f'<span class="url">{HOSTILE_URL}</span>' in hostile_html
    assert '<a class="url" href="http://a-shop.cn/"' in hostile_html


def test_page_is_self_contained(hostile_html: str) -> None:
    tags = re.findall(r"<[^>]+>", hostile_html)  # escaped page text has no "<"
    names = {re.match(r"</?([a-z!]+)", t)[1].lower() for t in tags}
    assert not names & {"link", "img", "iframe", "object", "embed", "base", "svg", "video"}
    assert not [t for t in tags if re.search(r"\s(src|srcset|poster|background)=", t)]
    (style,) = re.findall(r"<style>(.*?)</style>", hostile_html, re.DOTALL)
    assert "url(" not in style and "@import" not in style
    hrefs = re.findall(r'href="([^"]*)"', hostile_html)
    assert hrefs == ["http://a-shop.cn/"]  # row links only (C is not checked in run 2)


def test_csp_allows_exactly_the_reports_script(hostile_html: str) -> None:
    assert f'content="{escape(CSP)}"' in hostile_html
    (script,) = re.findall(r"<script>(.*?)</script>", hostile_html, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in CSP
    assert "default-src 'none'" in CSP


def test_history_strip_and_rows(hostile_html: str) -> None:
    assert hostile_html.count("<tr data-verdict=") == 4  # A, B, C and HU's no_domain row
    (c_row,) = [line for line in hostile_html.splitlines() if ">c-shop.cn<" in line]
    assert 'data-verdict="not_checked"' in c_row
    assert re.findall(r'<i class="([^"]+)" title="run (\d)', c_row) == [
        ("v-hidden", "1"),
        ("none", "2"),
    ]


def test_every_row_verdict_has_a_colour() -> None:
    assert set(ROW_VERDICTS) | {"removed"} <= set(COLOURS)


# --- in Chromium --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must `apt-get install -y chromium`")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); CI runs this test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def crawled_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The HTML report of the real crawl, with hostile text in hidden.icpwatch-demo.cn's check,
    and the same report as JSON."""
    folder = tmp_path_factory.mktemp("html-report")
    db = folder / "icpwatch.db"
    shutil.copy(crawled_db(tmp_path_factory), db)
    plant(db, "hidden.icpwatch-demo.cn")
    out = folder / "report.html"
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(db), "report", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = runner.invoke(main, ["--db", str(db), "report", "--format", "json"]).stdout
    return out, json.loads(data)


@pytest.fixture
def page(browser, crawled_report: tuple[Path, dict]) -> Iterator:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(crawled_report[0].as_uri())
    yield page
    assert errors == []  # no CSP violation, no script error
    page.close()


def visible(page) -> list[str]:
    """The Domain column of the rows shown, in order."""
    return page.eval_on_selector_all(
        "#report tbody tr:not([hidden])", "rows => rows.map(r => r.cells[3].textContent)"
    )


def test_renders_every_row_and_hostile_text_stays_inert(
    page, crawled_report: tuple[Path, dict]
) -> None:
    data = crawled_report[1]
    assert page.locator("#report tbody tr").count() == len(data["rows"]) > 35
    assert len(visible(page)) == len(data["rows"])
    assert page.locator("#shown").inner_text() == str(len(data["rows"]))
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#report tbody img:not(.shot), #report tbody script").count() == 0
    # the screenshots of rendered checks, inlined: nothing is loaded from anywhere
    shots = page.locator("#report tbody img.shot")
    assert shots.count() == sum(1 for r in data["rows"] if r["screenshot_path"]) > 0
    for i in range(shots.count()):
        assert shots.nth(i).get_attribute("src").startswith("data:image/png;base64,")
        assert shots.nth(i).evaluate("img => img.naturalWidth") > 0
    host = page.locator("td", has_text=re.compile(r"^hidden\.icpwatch-demo\.cn$"))
    row = page.locator("#report tbody tr", has=host)
    assert HOSTILE in row.inner_text() and HOSTILE_ERROR in row.inner_text()
    assert row.locator("a").count() == 0  # the javascript: URL is text, not a link
    summary = page.locator(".badge").all_inner_texts()
    assert summary == [f"{v} {n}" for v, n in data["summary"].items()]


def test_history_strip_per_run(page) -> None:
    strips = page.eval_on_selector_all(
        "#report tbody tr",
        "rows => rows.map(r => [r.cells[3].textContent,"
        " Array.from(r.querySelectorAll('.strip i')).map(i => i.className)])",
    )
    by_host = {host: cells for host, cells in strips if host != "—"}
    assert all(len(cells) == 2 for cells in by_host.values())  # two finished runs
    assert by_host["robots.icpwatch-demo.cn"] == ["v-blocked", "v-compliant"]
    assert by_host[ADDED] == ["none", "v-wrong_number"]  # added to HU between the runs
    assert [cells for host, cells in strips if host == "—"] == [[], []]  # no domain, no strip


def test_filter_box_and_verdict_badges(page, crawled_report: tuple[Path, dict]) -> None:
    data = crawled_report[1]
    page.fill("#filter", "icpwatch-demo.com.cn")
    assert sorted(visible(page)) == ["icpwatch-demo.com.cn", "shop.icpwatch-demo.com.cn"]
    assert page.locator("#shown").inner_text() == "2"
    page.fill("#filter", "")
    page.click('.badge[data-verdict="unreachable"]')
    hosts = {r["host"] for r in data["rows"] if r["verdict"] == "unreachable"}
    assert set(visible(page)) == hosts and len(hosts) == data["summary"]["unreachable"]
    page.click('.badge[data-verdict="unreachable"]')  # again: the filter is off
    assert len(visible(page)) == len(data["rows"])


def test_sorting_by_a_column(page) -> None:
    page.click("#report th:text-is('Licence')")
    licences = page.eval_on_selector_all(
        "#report tbody tr", "rows => rows.map(r => r.cells[0].textContent)"
    )
    # zh-CN collation is by pinyin: 沪 hu < 京 jing < 粤 yue < 浙 zhe (not by code point)
    assert [k for k, _ in groupby(c[0] for c in licences)] == ["沪", "京", "粤", "浙"]
    page.click("#report th:text-is('Licence')")
    assert page.locator("#report tbody tr").first.locator("td").first.inner_text()[0] == "浙"
    assert page.locator("#report th:text-is('Licence')").get_attribute("aria-sort") == (
        "descending"
    )
    page.click("#report th:text-is('Verdict')")
    verdicts = page.eval_on_selector_all(
        "#report tbody tr", "rows => rows.map(r => r.cells[4].textContent)"
    )
    assert len([k for k, _ in groupby(verdicts)]) == len(set(verdicts))  # grouped
    assert verdicts[0] == "blocked"
