"""End to end against the hostile web (tests/hostile_web.py): ``icpwatch crawl`` in a subprocess
through its proxy must end by itself, store exactly one row per domain with the verdict the
scenario allows, and never reach the internal server, neither from Scrapy nor from Chromium.

Each crawl runs in its own session under a hard wall-clock bound; past it the whole process
group is killed and the tests say which hosts never got a row (the WAL keeps the rows stored
before the kill).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.testing.example_web import JING
from tests.conftest import REPO
from tests.hostile_web import COMPANY, SCENARIOS, SECRET, HostileWeb, InternalHit, Scenario
from tests.unit.test_licence_parser import doc

TIMEOUT = 5  # --timeout: per attempt
HARD_LIMIT = 120  # seconds the whole crawl may take before its process group is killed
CHROMIUM = Path("/usr/bin/chromium")
HOSTS = sorted(SCENARIOS)
RENDERED = sorted(h for h, s in SCENARIOS.items() if s.rendered is not None)


@dataclass
class Crawl:
    """What one ``icpwatch crawl`` left behind."""

    db: Path
    hosts: list[str]
    returncode: int | None  # None: killed at HARD_LIMIT
    seconds: float
    stdout: str
    stderr: str
    hits: list[InternalHit]

    def rows(self, host: str) -> list[tuple]:
        return _query(
            self.db,
            "select verdict, error, final_url, static_verdict, rendered, render_error "
            "from checks where host = ?",
            host,
        )

    def summary(self) -> str:
        """host → verdict and error, for failure messages."""
        ended = (
            f"exit {self.returncode}"
            if self.returncode is not None
            else f"KILLED after {HARD_LIMIT} s (it did not end by itself)"
        )
        lines = [f"crawl: {ended}, {self.seconds:.1f} s, {len(self.hits)} internal hit(s)"]
        for host in self.hosts:
            rows = self.rows(host)
            shown = "; ".join(f"{r[0]} ({(r[1] or '')[:90]})" for r in rows) or "NO ROW"
            lines.append(f"  {host.split('.')[0]:18} {shown}")
        return "\n".join(lines)


def _query(db: Path, sql: str, *args: object) -> list[tuple]:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # no database (the crawl died early)
        return []


def _crawl(web: HostileWeb, tmp: Path, hosts: list[str], *args: str) -> Crawl:
    db = tmp / "icpwatch.db"
    licence = tmp / "hostile-licence.txt"
    licence.write_text(
        doc(
            number=JING,
            company=COMPANY,
            dates="发证日期：2024年01月15日\n\n有效期至：2099年01月15日",
            sites=f"网站名称：敌意测试网站\n\n网站域名：{'、'.join(hosts)}",
        ),
        encoding="utf-8",
    )
    cli = [sys.executable, "-m", "crawler", "--db", str(db)]
    loaded = subprocess.run(
        [*cli, "licenses", "load", str(licence)], capture_output=True, text=True, cwd=REPO
    )
    assert loaded.returncode == 0, loaded.stderr
    command = [*cli, "crawl", "--proxy", web.proxy_url, "--timeout", str(TIMEOUT), *args]
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,  # its own process group: check workers and Chromium included
    )
    try:
        stdout, stderr = proc.communicate(timeout=HARD_LIMIT)
        returncode: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        returncode = None
    seconds = time.monotonic() - started
    with contextlib.suppress(ProcessLookupError):  # whatever it left running in its group
        os.killpg(proc.pid, signal.SIGKILL)
    return Crawl(db, hosts, returncode, seconds, stdout, stderr, list(web.hits))


@pytest.fixture(scope="module")
def static_crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    with HostileWeb() as web:
        return _crawl(web, tmp_path_factory.mktemp("hostile"), HOSTS, "--render", "never")


@pytest.fixture(scope="module")
def render_crawl(tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    domains = [arg for host in RENDERED for arg in ("--domain", host)]
    with HostileWeb() as web:
        return _crawl(
            web, tmp_path_factory.mktemp("hostile-render"), RENDERED, "--render", "auto", *domains
        )


def _assert_ends_by_itself(crawl: Crawl) -> None:
    assert crawl.returncode is not None, crawl.summary()
    assert crawl.returncode == 0, f"{crawl.summary()}\n{crawl.stderr[-3000:]}"
    assert "run 1 finished" in crawl.stdout, crawl.summary()
    assert _query(crawl.db, "select status from runs") == [("finished",)], crawl.summary()


def _assert_one_row_per_domain(crawl: Crawl) -> None:
    counts = dict(_query(crawl.db, "select host, count(*) from checks group by host"))
    wrong = {h: counts.get(h, 0) for h in crawl.hosts if counts.get(h, 0) != 1}
    assert not wrong, f"hosts without exactly one row: {wrong}\n{crawl.summary()}"
    assert sum(counts.values()) == len(crawl.hosts), counts


def _assert_internal_untouched(crawl: Crawl) -> None:
    hits = "\n".join(
        f"  {h.method} {h.path} Host={h.host} via={h.via or 'direct'} UA={h.user_agent[:60]}"
        for h in crawl.hits
    )
    assert not crawl.hits, f"the internal server was reached:\n{hits}\n{crawl.summary()}"


def _assert_verdict(crawl: Crawl, scenario: Scenario, allowed: tuple[str, ...]) -> None:
    rows = crawl.rows(scenario.host)
    assert rows, f"{scenario.name}: no row ({scenario.what})\n{crawl.summary()}"
    assert len(rows) == 1, rows
    verdict, error, final_url, _static, rendered, render_error = rows[0]
    assert verdict in allowed, f"{scenario.name} ({scenario.what}): {verdict}, {error!r}"
    names = scenario.errors.get(verdict)
    if names:
        assert any(n in (error or "") for n in names), (
            f"{scenario.name}: the {verdict} error {error!r} names none of {names}"
        )
    if final_url and urlsplit(final_url).hostname != scenario.host:
        # Only a refused script navigation may record where it went: nothing there was judged.
        assert not rendered and "refused" in (render_error or ""), (
            f"{scenario.name}: judged {final_url} ({verdict}, {render_error!r})"
        )


# --- the static crawl (--render never) -------------------------------------------------------


def test_hostile_crawl_ends_by_itself_and_finishes(static_crawl: Crawl) -> None:
    _assert_ends_by_itself(static_crawl)
    ((counts,),) = _query(static_crawl.db, "select counts from runs")
    assert sum(json.loads(counts).values()) == len(HOSTS)


def test_hostile_crawl_stores_one_row_per_domain(static_crawl: Crawl) -> None:
    _assert_one_row_per_domain(static_crawl)


def test_hostile_crawl_never_reaches_the_internal_server(static_crawl: Crawl) -> None:
    _assert_internal_untouched(static_crawl)
    leaked = _query(
        static_crawl.db,
        "select host from checks where evidence_snippet like ? or error like ?",
        f"%{SECRET}%",
        f"%{SECRET}%",
    )
    assert not leaked, leaked


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: h.split(".")[0])
def test_hostile_crawl_verdict(static_crawl: Crawl, host: str) -> None:
    scenario = SCENARIOS[host]
    _assert_verdict(static_crawl, scenario, scenario.verdicts)


def test_hostile_control_allow_private_reaches_the_internal_server(
    tmp_path: Path,
) -> None:
    """The harness itself: with ``--allow-private`` the escapes do reach the internal server
    (relayed by the proxy), so zero hits above means refused, not missed."""
    escapes = [h for h, s in SCENARIOS.items() if s.name in ("to-loopback", "to-metadata")]
    with HostileWeb() as web:
        crawl = _crawl(web, tmp_path, escapes, "--render", "never", "--allow-private")
    assert crawl.returncode == 0, crawl.summary()
    assert {"/secret", "/latest/meta-data/"} <= {h.path for h in crawl.hits}, crawl.hits


# --- with Chromium (--render auto), on the pages that load the internal server ----------------


def test_hostile_render_crawl_ends_with_one_row_per_domain(render_crawl: Crawl) -> None:
    _assert_ends_by_itself(render_crawl)
    _assert_one_row_per_domain(render_crawl)


def test_hostile_render_crawl_never_reaches_the_internal_server(render_crawl: Crawl) -> None:
    _assert_internal_untouched(render_crawl)


@pytest.mark.parametrize("host", RENDERED, ids=lambda h: h.split(".")[0])
def test_hostile_render_crawl_verdict(render_crawl: Crawl, host: str) -> None:
    scenario = SCENARIOS[host]
    assert scenario.rendered is not None
    _assert_verdict(render_crawl, scenario, scenario.rendered)
