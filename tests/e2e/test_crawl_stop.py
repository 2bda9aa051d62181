"""Stopping a crawl from outside: SIGTERM / SIGINT end it within seconds while hosts stall, a
second signal ends it at once, the run stays resumable, and no process outlives it; a refused
crawl says one line."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from crawler.render.rendering import DEFAULT_CHROMIUM
from crawler.testing.example_web import ExampleWeb, bench_host
from tests.e2e.test_crawl_e2e import _children, bench_web, icpwatch, licensed, query, spawn

SITES = 12
STALLING = ("stall.icpwatch-demo.cn", "drip.icpwatch-demo.cn")
STOP_WITHIN = 10  # seconds, as cron and Scrapyd's cancel expect


@pytest.fixture
def web(tmp_path: Path):
    with bench_web(tmp_path, SITES, drip_seconds=300) as server:
        yield server


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return licensed(
        tmp_path / "stop.db", [*STALLING, *(bench_host(i) for i in range(1, SITES + 1))]
    )


def _crawl(web: ExampleWeb, db: Path) -> subprocess.Popen:
    # A long timeout: only the stop itself can end the stalled downloads in time.
    args = ("--proxy", web.proxy_url, "--timeout", "300", "--ignore-robots", "--render", "never")
    return spawn(db, "crawl", *args)


def _wait_until_stalled(web: ExampleWeb, crawl: subprocess.Popen) -> None:
    """Every bench site served (its row pending in the batch) and the stalling hosts asked."""
    deadline = time.monotonic() + 60
    wanted = {bench_host(i) for i in range(1, SITES + 1)} | set(STALLING)
    while {host for host, _ in web.hits} < wanted:
        assert crawl.poll() is None, crawl.communicate()
        assert time.monotonic() < deadline, "the crawl did not reach every site in time"
        time.sleep(0.1)
    time.sleep(1)  # the last bench pages pass the check


def _gone(pids: list[int], within: float) -> bool:
    deadline = time.monotonic() + within
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_stalled_crawl_within_seconds(web, db: Path, signum: int) -> None:
    crawl = _crawl(web, db)
    _wait_until_stalled(web, crawl)
    workers = _children(crawl.pid)
    started = time.monotonic()
    crawl.send_signal(signum)
    out, err = crawl.communicate(timeout=60)
    assert time.monotonic() - started < STOP_WITHIN
    assert crawl.returncode == 1
    assert "run 1 interrupted" in out + err
    assert query(db, "select status from runs") == [("interrupted",)]
    assert query(db, "select count(*) from checks") == [(SITES,)]
    assert _gone(workers, 5)


def test_a_second_signal_exits_at_once_and_the_next_crawl_resumes(web, db: Path) -> None:
    crawl = _crawl(web, db)
    _wait_until_stalled(web, crawl)
    crawl.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    started = time.monotonic()
    crawl.send_signal(signal.SIGTERM)
    _, err = crawl.communicate(timeout=60)
    assert time.monotonic() - started < 2
    assert crawl.returncode == 1
    assert "run 1 interrupted (stopped by a second SIGTERM)" in err
    assert query(db, "select status from runs") == [("interrupted",)]

    again = icpwatch(db, "crawl", "--proxy", web.proxy_url, "--timeout", "2", "--ignore-robots")
    assert again.returncode == 0, again.stderr[-2000:]
    assert query(db, "select id, status, targets, resumed_from from runs where id = 2") == [
        (2, "finished", len(STALLING), 1)
    ]


def test_a_refused_crawl_says_one_line(web, db: Path) -> None:
    crawl = _crawl(web, db)
    try:
        _wait_until_stalled(web, crawl)
        second = icpwatch(db, "crawl", "--proxy", web.proxy_url)
        assert second.returncode == 3
        assert second.stderr.strip().count("\n") == 0, second.stderr
        assert "another crawl" in second.stderr
        assert second.stdout == ""
    finally:
        crawl.kill()
        crawl.wait()


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the check workers, the Playwright driver, Chromium's)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


@pytest.mark.chromium
@pytest.mark.skipif(not Path(DEFAULT_CHROMIUM).exists(), reason=f"no {DEFAULT_CHROMIUM}")
def test_sigkill_leaves_no_worker_or_browser_behind(web, tmp_path: Path) -> None:
    db = licensed(
        tmp_path / "render.db", ["never-loads.icpwatch-demo.cn", "late-footer.icpwatch-demo.cn"]
    )
    args = ("--proxy", web.proxy_url, "--timeout", "60", "--ignore-robots", "--render", "always")
    crawl = spawn(db, "crawl", *args)
    deadline = time.monotonic() + 60
    while not any("chrom" in _name(p) for p in _descendants(crawl.pid)):
        assert crawl.poll() is None, crawl.communicate()
        assert time.monotonic() < deadline, "no browser started"
        time.sleep(0.1)
    time.sleep(1)  # pages open in the browser
    below = _descendants(crawl.pid)
    crawl.kill()
    crawl.wait()
    assert _gone(list(below), 5), {p: _name(p) for p in below if Path(f"/proc/{p}").exists()}


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
