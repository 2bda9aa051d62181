"""What ``icpwatch check URL`` fetches for what a person types."""

from __future__ import annotations

import pytest

from crawler.fetch.page_urls import InvalidUrl, page_urls

CRAWL = (
    "https://example.cn/",
    "http://example.cn/",
    "https://www.example.cn/",
    "http://www.example.cn/",
)


@pytest.mark.parametrize(
    ("typed", "host", "urls"),
    [
        # a host or a homepage: the crawl's own target and order
        ("example.cn", "example.cn", CRAWL),
        ("  WWW.Example.CN ", "example.cn", CRAWL),
        ("https://example.cn", "example.cn", CRAWL),
        ("https://example.cn/", "example.cn", CRAWL),
        ("http://www.example.cn/", "example.cn", (CRAWL[3], *CRAWL[:3])),
        ("http://example.cn/#footer", "example.cn", (CRAWL[1], CRAWL[0], *CRAWL[2:])),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s", (
            "https://xn--fsqu00a.xn--fiqs8s/", "http://xn--fsqu00a.xn--fiqs8s/",
            "https://www.xn--fsqu00a.xn--fiqs8s/", "http://www.xn--fsqu00a.xn--fiqs8s/")),
        # anything more precise is fetched as typed (http too when no scheme was typed)
        ("example.cn/about?x=1", "example.cn",
         ("https://example.cn/about?x=1", "http://example.cn/about?x=1")),
        ("http://www.example.cn/about", "example.cn", ("http://www.example.cn/about",)),
        ("https://example.cn:8443/", "example.cn", ("https://example.cn:8443/",)),
        ("http://user:secret@example.cn/a", "example.cn", ("http://example.cn/a",)),
        # addresses and localhost: the download guard judges them
        ("http://127.0.0.1:8080/", "127.0.0.1", ("http://127.0.0.1:8080/",)),
        ("10.0.0.1", "10.0.0.1", ("https://10.0.0.1/", "http://10.0.0.1/")),
        ("http://[::1]/", "::1", ("http://[::1]/",)),
        ("localhost", "localhost", ("https://localhost/", "http://localhost/")),
    ],
)  # fmt: skip
def test_page_urls(typed: str, host: str, urls: tuple[str, ...]) -> None:
    found = page_urls(typed)
    assert (found.host, found.urls) == (host, urls)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "is not a URL"),
        ("exam ple.cn", "is not a URL"),
        ("example.cn\x1b[2J", "is not a URL"),
        ("ftp://example.cn/", "only http:// and https://"),
        ("javascript://x.cn/%0aalert(1)", "only http:// and https://"),
        ("http://example.cn:99999/", "is not a URL"),
        ("http://example/", "has no host name"),
        ("https:///path", "has no host name"),
        ("example.invalidtld", "has no host name"),
    ],
)
def test_bad_urls_are_named(typed: str, reason: str) -> None:
    with pytest.raises(InvalidUrl, match=reason) as raised:
        page_urls(typed)
    assert repr(typed) in str(raised.value)
