"""The crontab of docs/scheduling.md, run as cron runs it.

The job line of examples/cron/icpwatch.crontab, unchanged, through ``/bin/sh -c`` with only the
crontab's variables (install path, database and log swapped for temporary ones, the example web
as ``http_proxy``): what it prints is what cron would mail.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.store.runs import CrawlLock
from crawler.testing.example_web import JING
from tests.e2e import test_crawl_e2e as e2e
from tests.e2e.test_crawl_e2e import REPO, icpwatch, query
from tests.unit.test_licence_parser import doc

web = e2e.web  # the example web, as the crawl's tests use it

CRONTAB = REPO / "examples" / "cron" / "icpwatch.crontab"
INSTALLED = "/opt/icpwatch/.venv/bin"  # where the crontab expects icpwatch
BIN = Path(sys.executable).parent
#: Static example sites, one per kind of finding (the crontab's crawl uses the default timeout).
HOSTS = {
    "compliant.icpwatch-demo.cn": "compliant",
    "missing.icpwatch-demo.cn": "missing",
    "other-number.icpwatch-demo.cn": "wrong_number",
    "not-found.icpwatch-demo.cn": "http_error",
}


def crontab() -> tuple[dict[str, str], str]:
    """The crontab's variables and the command of its one job (after the five time fields)."""
    variables, commands = {}, []
    for line in CRONTAB.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if m := re.fullmatch(r"\s*([A-Za-z_]\w*)\s*=\s*(.*)", line):
            variables[m[1]] = m[2]
        else:
            commands.append(line.split(None, 5)[5])
    (command,) = commands
    return variables, command


Cron = tuple[Callable[[], subprocess.CompletedProcess], Path, Path]


@pytest.fixture
def cron(web, tmp_path: Path) -> Cron:
    """Run the job as cron would; returns (run it, database, crawl log)."""
    db, log = tmp_path / "icpwatch.db", tmp_path / "crawl.log"
    sites = f"网站名称：示例\n网站域名：{'、'.join(HOSTS)}"
    (tmp_path / "licence.txt").write_text(
        doc(number=JING, dates="发证日期：2025年01月01日\n\n有效期至：2030年01月01日", sites=sites)
    )
    assert icpwatch(db, "licenses", "load", str(tmp_path / "licence.txt")).returncode == 0
    variables, command = crontab()
    env = {
        **variables,
        "PATH": variables["PATH"].replace(INSTALLED, str(BIN)),
        "ICPWATCH_DB": str(db),
        "ICPWATCH_LOG": str(log),
        "HOME": str(tmp_path),
        "LOGNAME": "icpwatch",
        "http_proxy": web.proxy_url,
        "https_proxy": web.proxy_url,
    }

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [variables["SHELL"], "-c", command],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run, db, log


def _age(db: Path, hosts: list[str], hours: float) -> None:
    """Move these domains' checks back in time, as if the crawl had run ``hours`` ago."""
    stamp = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
    marks = ",".join("?" * len(hosts))
    with sqlite3.connect(db) as conn:
        conn.execute(f"update checks set checked_at = ? where host in ({marks})", [stamp, *hosts])


def test_the_docs_show_the_crontab_job_as_shipped() -> None:
    variables, command = crontab()
    job = next(line for line in CRONTAB.read_text().splitlines() if line.endswith(command))
    assert job in (REPO / "docs" / "scheduling.md").read_text()
    assert "%" not in command, "cron turns % into a newline"
    assert variables["SHELL"] == "/bin/sh" and INSTALLED in variables["PATH"]
    assert "--due" in command and "report --changes --fail-on noncompliant" in command


def test_twice_mails_news_once_and_rechecks_only_what_is_due(cron: Cron) -> None:
    run, db, log = cron
    first = run()
    assert first.returncode == 0 and not first.stderr, first
    assert "run 1 finished: 4/4 domain(s) checked" in log.read_text()
    lines = first.stdout.splitlines()  # the first mail lists every finding
    for host, verdict in HOSTS.items():
        assert any(host in line and verdict in line for line in lines), (host, first.stdout)
    assert dict(query(db, "select host, verdict from checks")) == HOSTS

    due = ["compliant.icpwatch-demo.cn", "missing.icpwatch-demo.cn"]
    _age(db, due, hours=21)  # older than --due 20h: only these are checked again
    second = run()
    assert (second.returncode, second.stdout, second.stderr) == (0, "", ""), "no news, no mail"
    assert query(db, "select id, status, targets from runs") == [
        (1, "finished", 4),
        (2, "finished", 2),
    ]
    assert sorted(h for (h,) in query(db, "select host from checks where run_id = 2")) == due
    assert "run 2 finished: 2/2 domain(s) checked" in log.read_text()


def test_a_crawl_that_cannot_run_is_mailed(cron: Cron) -> None:
    run, db, log = cron
    lock = CrawlLock(db)
    lock.acquire()  # a crawl still running from the night before
    try:
        result = run()
    finally:
        lock.release()
    assert "icpwatch crawl failed with exit code 3" in result.stdout
    assert "another crawl" in log.read_text()
    assert query(db, "select count(*) from runs") == [(0,)]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_systemd_units_verify_and_run_the_crontab_commands(tmp_path: Path) -> None:
    units = REPO / "examples" / "systemd"
    for unit in ("icpwatch.service", "icpwatch.timer"):  # with an icpwatch that exists here
        (tmp_path / unit).write_text((units / unit).read_text().replace(INSTALLED, str(BIN)))
    result = subprocess.run(
        ["systemd-analyze", "verify", "icpwatch.service", "icpwatch.timer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, ""), result.stderr  # unknown keys warn
    service = (units / "icpwatch.service").read_text()
    starts = re.findall(rf"^ExecStart={re.escape(INSTALLED)}/(.+)$", service, re.MULTILINE)
    _, command = crontab()
    assert len(starts) == 2 and all(start in command for start in starts)
    assert "Persistent=true" in (units / "icpwatch.timer").read_text().splitlines()


def test_the_night_after_a_partial_run_mails_no_old_problem(cron: Cron) -> None:
    run, db, _ = cron
    assert run().returncode == 0
    _age(db, ["compliant.icpwatch-demo.cn"], hours=21)
    assert run().stdout == ""  # a same-day re-run: one domain due
    _age(db, list(HOSTS), hours=24)  # the next night: everything is due, nothing changed
    assert run().stdout == ""
