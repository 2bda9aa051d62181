"""Footer checks in worker processes give exactly the inline result, and survive a dead worker."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from crawler.check_pool import MAX_AUTO_WORKERS, CheckPool, worker_count
from crawler.licence_numbers import InvalidLicenceNumber
from crawler.page_outcome import assess_page

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
        (None, 1, 0),
        ("auto", 1, 0),
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


def test_a_worker_error_is_raised_where_the_check_was_awaited() -> None:
    async def run() -> None:
        pool = CheckPool(1)
        try:
            await pool.assess(**facts(expected="not a number"))
        finally:
            await pool.close()

    with pytest.raises(InvalidLicenceNumber):
        asyncio.run(run())


def test_a_dead_worker_fails_over_to_inline_checks() -> None:
    async def run() -> tuple:
        pool = CheckPool(1)
        try:
            first = await pool.assess(**PAGES[0])
            (worker,) = pool._pool
            os.kill(worker.transport.get_pid(), signal.SIGKILL)
            while worker.alive:  # until the loop has seen the exit
                await asyncio.sleep(0.01)
            after = await asyncio.gather(*(pool.assess(**f) for f in PAGES))
            return first, after
        finally:
            await pool.close()

    first, after = asyncio.run(run())
    assert first.verdict == "compliant"
    assert after == [assess_page(**f) for f in PAGES]


def test_close_ends_the_workers() -> None:
    async def run() -> list[bool]:
        pool = CheckPool(2)
        await pool.assess(**PAGES[0])
        await pool.close()
        return [w.alive for w in pool._pool]

    assert asyncio.run(run()) == [False, False]
