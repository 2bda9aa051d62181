"""End to end: ``icpwatch crawl`` in a subprocess through the example web's proxy on 127.0.0.1.

Covers the fault matrix (every example site gets its documented verdict), SIGKILL then resume,
and a second crawl while one runs.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.testing.example_web import SITES, ExampleWeb, bench_host
from tests.conftest import REPO
from tests.unit.test_licence_parser import doc

TIMEOUT = 3  # seconds per attempt: stall and drip sites must time out quickly


def icpwatch(db: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
        **kwargs,
    )


def spawn(db: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def query(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def web():
    with ExampleWeb(drip_seconds=4 * TIMEOUT) as server:
        yield server


@pytest.fixture(scope="module")
def matrix(web, tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("matrix") / "icpwatch.db"
    assert icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses")).returncode == 0
    # --render never: the static verdicts (tests/test_render_e2e.py covers rendering)
    result = icpwatch(
        db,
        "crawl",
        "--proxy",
        web.proxy_url,
        "--timeout",
        str(TIMEOUT),
        "--concurrency",
        "32",
        "--render",
        "never",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "run 1 finished" in result.stdout
    return db


LISTED = sorted(s.host for s in SITES.values() if s.licence)
#: What the recorded error must say for the sites with no page to judge.
ERRORS = {
    "redirect_loop": "too many redirects",
    "redirect_chain": "too many redirects",
    "not_found": "HTTP 404",
    "server_error": "HTTP 500",
    "unknown_host": "unknown-host",
    "refused": "connection-refused",
    "reset": "reset",
    "stall": "timed out",
    "drip": "timed out",
    "gzip_bomb": "size cap",
    "huge": "size cap",
    "not_html": "image/png",
    "empty": "empty body",
    "waf_challenge": "challenge",
    "waf_403": "challenge",
    "robots_disallow": "robots.txt",
}


@pytest.mark.parametrize("host", LISTED)
def test_fault_matrix_verdicts(matrix: Path, host: str) -> None:
    site = SITES[host]
    rows = query(
        matrix,
        "select verdict, license_no, error, final_url, offsite_redirect, "
        "attempts from checks where host = ?",
        host,
    )
    assert len(rows) == 1, rows
    verdict, license_no, error, final_url, offsite, attempts = rows[0]
    assert verdict == site.verdict, (site.scenario, error)
    assert license_no == site.licence
    if site.outcome == "ok":
        assert final_url == site.final_url
    assert offsite == (site.scenario == "offsite_redirect")
    assert ERRORS.get(site.scenario, "no error") in (error or "no error")
    assert json.loads(attempts), "every attempt is kept"


def test_run_row_and_views(matrix: Path, web) -> None:
    ((status, targets, counts, options, version),) = query(
        matrix, "select status, targets, counts, options, version from runs"
    )
    assert status == "finished" and targets == len(LISTED) and version
    assert sum(json.loads(counts).values()) == len(LISTED)
    extra = json.loads(options)["extra"]
    assert extra["concurrency"] == 32 and extra["proxy"] == web.proxy_url
    assert extra["obey_robots"] is True and extra["timeout"] == TIMEOUT
    assert extra["render"] == "never"
    assert query(matrix, "select count(*) from latest_checks") == [(len(LISTED),)]
    noncompliant = {h for (h,) in query(matrix, "select host from noncompliant")}
    assert noncompliant == {h for h in LISTED if SITES[h].verdict != "compliant"}


def test_fallbacks_are_recorded_as_attempts(matrix: Path) -> None:
    ((attempts,),) = query(matrix, "select attempts from checks where host = 'icpwatch-www.cn'")
    urls = [a["url"] for a in json.loads(attempts)]
    assert urls == [
        "https://icpwatch-www.cn/",
        "http://icpwatch-www.cn/",
        "https://www.icpwatch-www.cn/",
        "http://www.icpwatch-www.cn/",
    ]


def test_encodings_store_no_mojibake(matrix: Path) -> None:
    for host in (
        "gbk.icpwatch-demo.cn",
        "gb18030.icpwatch-demo.cn",
        "big5.icpwatch-demo.cn",
        "mislabelled.icpwatch-demo.cn",
    ):
        ((snippet, company),) = query(
            matrix, "select evidence_snippet, company_shown from checks where host = ?", host
        )
        assert "京B2-20990001" in snippet and "\ufffd" not in snippet, host
        assert company == (0 if host.startswith("big5") else 1), host  # Big5 page: 網絡


def test_rerun_with_due_checks_nothing_new(matrix: Path, web) -> None:
    result = icpwatch(matrix, "crawl", "--proxy", web.proxy_url, "--due", "1h")
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(matrix, "select targets, status from runs where id = 2") == [(0, "finished")]
    assert query(matrix, "select count(*) from checks") == [(len(LISTED),)]


# --- scheduled use: SIGKILL, resume, overlap ----------------------------------------------

SLOW_SITES = 120


def bench_web(tmp_path: Path, sites: int, **options: float) -> ExampleWeb:
    """An example web whose ``sites`` bench hosts all serve one compliant page."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_text(
        "<html><body><p>x</p><footer>京B2-20252223</footer></body></html>", encoding="utf-8"
    )
    return ExampleWeb(bench_pages=pages, bench_sites=sites, **options)


def licensed(db: Path, hosts: list[str]) -> Path:
    """``db`` with one licence listing ``hosts``."""
    (db.parent / "licence.txt").write_text(
        doc(sites=f"网站名称：基准\n网站域名：{'、'.join(hosts)}")
    )
    assert icpwatch(db, "licenses", "load", str(db.parent / "licence.txt")).returncode == 0
    return db


@pytest.fixture
def slow_web(tmp_path: Path):
    with bench_web(tmp_path, SLOW_SITES, delay_ms=400) as server:
        yield server


@pytest.fixture
def slow_db(tmp_path: Path) -> Path:
    return licensed(tmp_path / "slow.db", [bench_host(i) for i in range(1, SLOW_SITES + 1)])


def _wait_for_rows(db: Path, at_least: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if query(db, "select count(*) from checks")[0][0] >= at_least:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.2)
    pytest.fail("the crawl stored no rows in time")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_sigkill_then_resume_without_duplicates(slow_web, slow_db: Path) -> None:
    args = ("crawl", "--proxy", slow_web.proxy_url, "--concurrency", "8", "--ignore-robots")
    first = spawn(slow_db, *args, "--check-workers", "1")
    _wait_for_rows(slow_db, 10, first)
    workers = _children(first.pid)  # the footer-check worker
    assert workers
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers):  # orphans read EOF and exit
        assert time.monotonic() < deadline, "the check worker outlived its killed crawl"
        time.sleep(0.1)
    done = query(slow_db, "select count(*) from checks")[0][0]
    assert 0 < done < SLOW_SITES
    assert query(slow_db, "select status from runs") == [("running",)]

    second = icpwatch(slow_db, *args)
    assert second.returncode == 0, second.stderr[-2000:]
    runs = query(slow_db, "select id, status, targets, resumed_from from runs order by id")
    assert runs == [(1, "interrupted", SLOW_SITES, None), (2, "finished", SLOW_SITES - done, 1)]
    assert query(slow_db, "select count(*), count(distinct domain_id) from checks") == [
        (SLOW_SITES, SLOW_SITES)
    ]
    assert query(slow_db, "select distinct verdict from checks") == [("compliant",)]


def test_second_crawl_exits_3_and_touches_nothing(slow_web, slow_db: Path) -> None:
    args = ("crawl", "--proxy", slow_web.proxy_url, "--concurrency", "4", "--ignore-robots")
    first = spawn(slow_db, *args)
    _wait_for_rows(slow_db, 1, first)
    before = query(slow_db, "select id, status from runs")
    second = icpwatch(slow_db, *args)
    assert second.returncode == 3
    assert "another crawl" in second.stderr
    assert query(slow_db, "select id, status from runs") == before
    first.send_signal(signal.SIGINT)  # Ctrl-C: the run is recorded as interrupted
    first.communicate(timeout=60)
    assert query(slow_db, "select status from runs") == [("interrupted",)]
