"""Meta refresh is followed as Scrapy follows it; pages that cannot declare one pass untouched."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.fetch.download_guard import UnsupportedRedirect
from crawler.fetch.meta_refresh import HEAD_BYTES, HeadMetaRefresh

FILLER = "<p>新闻 新闻 新闻</p>" * 2000  # ~40 KB of Chinese text


def run(body: bytes) -> Request | HtmlResponse:
    request = Request("http://example-shop.cn/")
    response = HtmlResponse(request.url, body=body, request=request)
    crawler = get_crawler(settings_dict={"METAREFRESH_MAXDELAY": 30})
    return HeadMetaRefresh.from_crawler(crawler).process_response(request, response)


REFRESH = '<meta http-equiv="refresh" content="0; url=/home/">'
REFRESH_CAPS = '<META HTTP-EQUIV="Refresh" CONTENT="0; url=/home/">'


@pytest.mark.parametrize(
    ("page", "encoding", "follows"),
    [
        (f"<html><head>{REFRESH}</head><body>{FILLER}</body></html>", "utf-8", True),
        (f"<html><head>{REFRESH_CAPS}</head><body>{FILLER}</body></html>", "utf-8", True),
        (f"<html><head><meta charset=gbk>{REFRESH}</head><body>{FILLER}</body>", "gbk", True),
        (f"\ufeff<html><head>{REFRESH}</head></html>", "utf-16", True),  # BOM: not ASCII bytes
        (f"<html><head><title>x</title></head><body>{FILLER}</body></html>", "utf-8", False),
        (f"<html><body>{FILLER}{REFRESH}</body></html>", "utf-8", False),  # past Scrapy's scan
        ("<html><body><p>请 refresh 页面</p></body></html>", "utf-8", False),  # word, not a tag
    ],
)
def test_meta_refresh(page: str, encoding: str, follows: bool) -> None:
    result = run(page.encode(encoding))
    assert isinstance(result, Request) is follows
    if follows:
        assert result.url == "http://example-shop.cn/home/"


def test_a_refresh_beyond_the_head_bytes_is_not_looked_for() -> None:
    assert len(FILLER.encode()) > HEAD_BYTES


def test_a_page_that_only_mentions_refresh_comes_back_whole() -> None:
    """Scrapy is shown the head bytes only; what passes on must be the page as downloaded."""
    page = f"<html><head><script>var refresh = 1;</script></head><body>{FILLER}</body></html>"
    result = run(page.encode("gbk"))
    assert isinstance(result, HtmlResponse)
    assert result.body == page.encode("gbk")
    assert len(result.body) > HEAD_BYTES


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("javascript:alert(1)", "redirect to unsupported scheme javascript: javascript:alert(1)"),
        ("data:text/html,<h1>x</h1>", "redirect to unsupported scheme data: data:text/html,"),
        ("file:///etc/passwd", "redirect to unsupported scheme file: file:///etc/passwd"),
        ("ftp://example-shop.cn/", "redirect to unsupported scheme ftp: ftp://example-shop.cn/"),
    ],
)
def test_a_refresh_to_an_unsupported_scheme_is_refused(target: str, error: str) -> None:
    head = f'<meta http-equiv="refresh" content="0; url={target}">'
    for page in (f"<html><head>{head}</head></html>", f"<html><head>{head}</head>{FILLER}"):
        with pytest.raises(UnsupportedRedirect) as raised:
            run(page.encode())
        assert str(raised.value).startswith(error)
        assert str(raised.value).endswith("(meta refresh)")


def test_a_slow_refresh_to_an_unsupported_scheme_is_not_followed_anyway() -> None:
    page = '<html><head><meta http-equiv="refresh" content="60; url=javascript:x"></head></html>'
    assert isinstance(run(page.encode()), HtmlResponse)
