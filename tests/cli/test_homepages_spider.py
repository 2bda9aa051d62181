"""The spider's callbacks on hand-built responses and failures: thin glue, tested as such."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from scrapy import Request
from scrapy.core.downloader.handlers.http11 import TunnelError
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, TextResponse
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from twisted.python.failure import Failure

from crawler.fetch.proxy_tunnels import AFTER, PROBE_EVERY, SKIPPED, ProxyTunnels
from crawler.items import CheckItem
from crawler.store.runs import Target
from spiders.homepages import HomepagesSpider

TARGET = Target(
    7, "京B2-20252223", "example-shop.cn", "北京示例科技有限公司", frozenset({"example-shop.cn"})
)
FOOTER = (
    "<html><body><p>新闻</p><footer>北京示例科技有限公司 京B2-20252223号</footer></body></html>"
)


def spider() -> HomepagesSpider:
    return HomepagesSpider()


def request(index: int = 0, attempts: list | None = None, **meta) -> Request:
    urls = [
        "https://example-shop.cn/",
        "http://example-shop.cn/",
        "https://www.example-shop.cn/",
        "http://www.example-shop.cn/",
    ]
    return Request(
        urls[index],
        meta=meta,
        cb_kwargs={"target": TARGET, "index": index, "attempts": attempts or [], "started": 0.0},
    )


def respond(
    body: str | bytes,
    status: int = 200,
    index: int = 1,
    cls=HtmlResponse,
    headers: dict | None = None,
    url: str | None = None,
    **meta,
):
    req = request(index, **meta)
    raw = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "text/html; charset=utf-8"} if headers is None else headers
    response = cls(url or req.url, status=status, body=raw, headers=headers, request=req)
    return asyncio.run(spider().parse_homepage(response, **req.cb_kwargs))


def fail(exc: Exception, index: int = 0):
    failure = Failure(exc)
    failure.request = request(index)
    return list(spider().on_failure(failure))


def test_compliant_page_becomes_one_item() -> None:
    (item,) = respond(FOOTER)
    assert isinstance(item, CheckItem)
    assert (item.verdict, item.http_status, item.domain_id, item.license_no) == (
        "compliant",
        200,
        7,
        "京B2-20252223",
    )
    assert item.offsite_redirect == 0 and item.company_shown == 1
    assert '"京B2-20252223"' in item.displayed
    assert item.evidence_snippet and "京B2-20252223" in item.evidence_snippet
    assert item.content_sha256 and item.size == len(FOOTER.encode())


def test_gbk_page_is_read_without_mojibake() -> None:
    body = (
        '<html><head><meta charset="gbk"></head><body><footer>北京示例科技有限公司 '
        "京B2-20252223</footer></body></html>"
    ).encode("gbk")
    (item,) = respond(body, headers={"Content-Type": "text/html"})
    assert item.verdict == "compliant" and item.company_shown == 1
    assert "京B2-20252223" in item.evidence_snippet


def test_offsite_final_url_is_flagged_and_still_checked() -> None:
    (item,) = respond(FOOTER, url="http://elsewhere.cn/")
    assert item.verdict == "compliant" and item.offsite_redirect == 1
    assert item.final_url == "http://elsewhere.cn/"


@pytest.mark.parametrize(
    ("status", "body", "headers", "verdict"),
    [
        (404, "<h1>Not found</h1>", None, "http_error"),
        (200, b"%PDF-1.5", {"Content-Type": "application/pdf"}, "not_html"),
        (200, "", None, "not_html"),
        (200, "<html>请完成安全验证</html>", None, "blocked"),
    ],
)
def test_crawl_verdicts(status: int, body, headers, verdict: str) -> None:
    cls = HtmlResponse if headers is None else TextResponse
    (item,) = respond(body, status=status, headers=headers, cls=cls)
    assert item.verdict == verdict


@pytest.mark.parametrize("status", [502, 504])
def test_proxy_gateway_error_tries_the_next_url(status: int) -> None:
    (nxt,) = respond("bad gateway", status=status, index=1, proxy="http://127.0.0.1:1")
    assert isinstance(nxt, Request) and nxt.url == "https://www.example-shop.cn/"
    assert nxt.cb_kwargs["attempts"][-1]["status"] == status


def test_proxy_gateway_error_on_the_last_url_is_unreachable() -> None:
    (item,) = respond("bad gateway", status=502, index=3, proxy="http://127.0.0.1:1")
    assert item.verdict == "unreachable" and "proxy" in item.error


def test_a_502_without_proxy_is_the_site_answering() -> None:
    (item,) = respond("bad gateway", status=502, index=0)
    assert item.verdict == "http_error"


def test_failures_walk_the_fallback_urls_then_give_up() -> None:
    (nxt,) = fail(DNSLookupError("no such host"), index=0)
    assert nxt.url == "http://example-shop.cn/"
    assert nxt.cb_kwargs["attempts"][0]["error"] == "DNS lookup failed: no such host."
    (item,) = fail(ConnectionRefusedError(), index=3)
    assert item.verdict == "unreachable" and "refused" in item.error


def test_robots_block_does_not_fall_back() -> None:
    (item,) = fail(IgnoreRequest("Forbidden by robots.txt"), index=0)
    assert item.verdict == "blocked" and "robots.txt" in item.error


def test_spider_arguments_are_validated_and_normalised() -> None:
    s = HomepagesSpider(
        license="京Ｂ２－２０２５２２２３, 沪B2-20170001", domain="WWW.Example-Shop.cn", due="24h"
    )
    assert s.crawl_options.licences == ("京B2-20252223", "沪B2-20170001")
    assert s.crawl_options.domains == ("example-shop.cn",)
    with pytest.raises(ValueError, match="not a licence number"):
        HomepagesSpider(license="nonsense")
    assert HomepagesSpider(licence="沪B2-20170001").crawl_options.licences == ("沪B2-20170001",)
    with pytest.raises(ValueError, match="unknown spider argument"):
        HomepagesSpider(licenses="沪B2-20170001")
    assert HomepagesSpider(_job="abc").crawl_options.licences == ()


def test_a_proxy_that_refuses_every_tunnel_is_not_asked_again() -> None:
    s = HomepagesSpider(proxy="http://127.0.0.1:1")
    for _ in range(AFTER):
        failure = Failure(TunnelError("Could not open CONNECT tunnel with proxy: 403"))
        failure.request = request(0)
        s.on_failure(failure)
    skipped = s._first_request(replace(TARGET, domain_id=1))
    assert skipped.url == "http://example-shop.cn/"
    assert skipped.cb_kwargs["attempts"][0] == {
        "url": "https://example-shop.cn/",
        "status": None,
        "error": SKIPPED,
        "ms": 0,
    }
    # one site in PROBE_EVERY still tries https, to notice a proxy that starts tunnelling
    assert s._first_request(replace(TARGET, domain_id=PROBE_EVERY)).url.startswith("https://")
    # without a proxy, or once a tunnel opened, https always comes first
    assert HomepagesSpider()._first_request(TARGET).url.startswith("https://")
    s.tunnels.opened_once()
    assert s._first_request(replace(TARGET, domain_id=1)).url.startswith("https://")


@pytest.mark.parametrize(
    ("refused", "opened", "key", "skip"),
    [
        (0, False, 1, False),
        (AFTER - 1, False, 1, False),
        (AFTER, False, 1, True),
        (AFTER, False, PROBE_EVERY * 3, False),
        (AFTER, True, 1, False),
    ],
)
def test_proxy_tunnels(refused: int, opened: bool, key: int, skip: bool) -> None:
    tunnels = ProxyTunnels()
    for _ in range(refused):
        tunnels.refused_once()
    if opened:
        tunnels.opened_once()
    assert tunnels.skip_https(key) is skip


def test_a_callback_that_breaks_still_gives_its_domain_one_row(monkeypatch) -> None:
    """Whatever fails while judging a page (here the check itself), the domain is not lost."""

    async def broken(**facts):
        raise ValueError("chr() arg not in range(0x110000)\nsecond line")

    crawler = spider()
    monkeypatch.setattr(crawler.checks, "assess", broken)
    req = request(1)
    response = HtmlResponse(req.url, body=FOOTER.encode(), request=req)
    (item,) = asyncio.run(crawler.parse_homepage(response, **req.cb_kwargs))
    assert (item.verdict, item.http_status, item.final_url) == ("check_error", 200, req.url)
    assert item.error == "ValueError: chr() arg not in range(0x110000)"
