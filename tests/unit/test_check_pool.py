"""Footer checks in worker processes give exactly the inline result, survive a dead worker,
hold each page to a CPU budget and die with their crawl."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.check.outcome import Outcome, assess_page
from crawler.check.pool import MAX_AUTO_WORKERS, CheckPool, worker_count
from tests.conftest import REPO
from tests.fakes import slow_checks

FOOTER = (
    "<html><body><p>新闻</p><footer>北京示例科技有限公司 京B2-20252223号</footer></body></html>"
)


def facts(
    body: str | bytes = FOOTER,
    status: int = 200,
    expected: str = "京B2-20252223",
    content_type: str = "text/html",
) -> dict:
    return {
        "expected": expected,
        "company": "北京示例科技有限公司",
        "url": "https://example-shop.cn/",
        "status": status,
        "content_type": content_type,
        "body": body.encode("gb18030") if isinstance(body, str) else body,
        "encoding": "gbk",
        "offsite_redirect": False,
    }


PAGES = [
    facts(),
    facts(FOOTER.replace("20252223", "20252224")),
    facts("<html><body>没有编号</body></html>"),
    facts(b""),
    facts(status=404),
    facts(b"%PDF-1.4", content_type="application/pdf"),
]


@pytest.mark.parametrize(
    ("setting", "cpus", "expected"),
    [
        (None, 1, 1),
        ("auto", 1, 1),
        ("auto", 2, 1),
        ("", 3, 2),
        ("auto", 16, MAX_AUTO_WORKERS),
        ("0", 16, 0),
        ("3", 1, 3),
        (2, 1, 2),
    ],
)
def test_worker_count(monkeypatch, setting, cpus: int, expected: int) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    assert worker_count(setting) == expected


@pytest.mark.parametrize("setting", ["-1", "many", "1.5"])
def test_worker_count_refuses(setting: str) -> None:
    with pytest.raises(ValueError, match="ICPWATCH_CHECK_WORKERS"):
        worker_count(setting)


def test_workers_give_the_inline_outcomes() -> None:
    async def run() -> list:
        pool = CheckPool(2)
        try:
            return await asyncio.gather(*(pool.assess(**f) for f in PAGES))
        finally:
            await pool.close()

    outcomes = asyncio.run(run())
    assert outcomes == [assess_page(**f) for f in PAGES]
    assert [o.verdict for o in outcomes] == [
        "compliant", "wrong_number", "missing", "not_html", "http_error", "not_html"
    ]  # fmt: skip


def test_a_check_that_raises_is_a_check_error_row() -> None:
    async def run() -> Outcome:
        pool = CheckPool(1)
        try:
            return await pool.assess(**facts(expected="not a number"))
        finally:
            await pool.close()

    outcome = asyncio.run(run())
    assert outcome.verdict == "check_error"
    assert outcome.error.startswith("InvalidLicenceNumber: ")
    assert outcome.http_status == 200 and outcome.size == len(FOOTER.encode("gb18030"))


def test_an_error_outside_the_check_is_raised_where_it_was_awaited() -> None:
    async def run() -> None:
        pool = CheckPool(1, check=slow_checks.raising)
        try:
            await pool.assess(**PAGES[0])
        finally:
            await pool.close()

    with pytest.raises(RuntimeError, match="unpicklable"):
        asyncio.run(run())


def test_a_killed_worker_is_replaced_and_its_pages_checked_there() -> None:
    async def run() -> tuple:
        pool = CheckPool(1)
        try:
            first = await pool.assess(**PAGES[0])
            (worker,) = pool._pool
            os.kill(worker.transport.get_pid(), signal.SIGKILL)
            while worker.alive:  # until the loop has seen the exit
                await asyncio.sleep(0.01)
            after = await asyncio.gather(*(pool.assess(**f) for f in PAGES))
            return first, after, worker, list(pool._pool)
        finally:
            await pool.close()

    first, after, dead, pool = asyncio.run(run())
    assert first.verdict == "compliant"
    assert after == [assess_page(**f) for f in PAGES]
    assert len(pool) == 1 and pool[0] is not dead


def test_a_page_over_its_cpu_budget_is_a_check_error_and_the_rest_go_on() -> None:
    async def run() -> tuple:
        pool = CheckPool(1, budget=0.5, check=slow_checks.burn_on_marker)
        try:
            outcomes = await asyncio.gather(
                pool.assess(**PAGES[0]),
                pool.assess(**facts(b"<html><body>BURN</body></html>")),
                *(pool.assess(**f) for f in PAGES),
            )
            return outcomes, [w.transport.get_pid() for w in pool._pool]
        finally:
            await pool.close()

    started = time.monotonic()
    outcomes, pids = asyncio.run(run())
    assert time.monotonic() - started < 10
    first, burnt, *rest = outcomes
    assert first == assess_page(**PAGES[0])
    assert burnt.verdict == "check_error"
    assert "more than 0.5 CPU seconds" in burnt.error
    assert burnt.http_status == 200 and burnt.content_sha256
    assert rest == [assess_page(**f) for f in PAGES]  # checked by the replacement
    assert len(pids) == 1


def test_a_page_that_kills_every_worker_is_a_check_error() -> None:
    async def run() -> Outcome:
        pool = CheckPool(1, check=slow_checks.die_on_marker)
        try:
            await pool.assess(**PAGES[0])  # an answer first: the worker itself works
            return await pool.assess(**facts(b"<html><body>DIE</body></html>"))
        finally:
            await pool.close()

    outcome = asyncio.run(run())
    assert outcome.verdict == "check_error"
    assert "worker exited" in outcome.error


def test_a_worker_busy_in_a_long_check_dies_with_its_killed_crawl(tmp_path: Path) -> None:
    """SIGKILL of the crawl process: the kernel ends its worker mid-check (no orphan at 100 %)."""
    script = tmp_path / "crawl.py"
    script.write_text(
        "import asyncio, sys\n"
        "from crawler.check.pool import CheckPool\n"
        "from tests.fakes import slow_checks\n"
        "async def main():\n"
        "    pool = CheckPool(1, budget=0, check=slow_checks.burn_on_marker)\n"
        "    pool.start()\n"
        "    await pool._starting\n"
        "    print(pool._pool[0].transport.get_pid(), flush=True)\n"
        f"    await pool.assess(**{facts(b'BURN')!r})\n"
        "asyncio.run(main())\n"
    )
    crawl = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    worker = int(crawl.stdout.readline())
    time.sleep(0.5)  # the worker is in its check now
    assert _state(worker) == "R"
    crawl.kill()
    crawl.wait()
    deadline = time.monotonic() + 5
    while _state(worker) not in (None, "Z"):
        assert time.monotonic() < deadline, "the check worker outlived its killed crawl"
        time.sleep(0.05)


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return None


def test_close_ends_the_workers() -> None:
    async def run() -> list[bool]:
        pool = CheckPool(2)
        await pool.assess(**PAGES[0])
        await pool.close()
        return [w.alive for w in pool._pool]

    assert asyncio.run(run()) == [False, False]
