"""Crawl-level verdicts from plain facts: statuses, content types, challenge pages, failures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from crawler.check.outcome import (
    Outcome,
    assess_failure,
    assess_page,
    given_up,
    is_challenge,
    is_html,
    is_offsite,
    telling_error,
)

PAGE = "<html><body><footer>京B2-20252223</footer></body></html>".encode()
LICENSED = frozenset({"example-shop.cn", "two-shop.cn"})


def page(
    status: int = 200,
    body: bytes = PAGE,
    content_type: str = "text/html; charset=utf-8",
    url: str = "http://example-shop.cn/",
    scan_styles: bool = False,
):
    return assess_page(
        expected="京B2-20252223",
        company=None,
        url=url,
        status=status,
        content_type=content_type,
        body=body,
        encoding=None,
        offsite_redirect=is_offsite(url, LICENSED),
        scan_styles=scan_styles,
    )


@pytest.mark.parametrize(
    ("kwargs", "verdict", "error"),
    [
        ({}, "compliant", None),
        ({"status": 404}, "http_error", "HTTP 404"),
        ({"status": 500}, "http_error", "HTTP 500"),
        ({"status": 410, "body": b""}, "http_error", "HTTP 410"),
        ({"body": b""}, "not_html", "empty body"),
        ({"body": b"  \n "}, "not_html", "empty body"),
        ({"content_type": "application/pdf", "body": b"%PDF-1.4"}, "not_html", "application/pdf"),
        ({"content_type": "image/png", "body": b"\x89PNG"}, "not_html", "image/png"),
        ({"content_type": "application/json", "body": b'{"a": 1}'}, "not_html", "json"),
        ({"content_type": ""}, "compliant", None),  # sniffed as HTML
        ({"content_type": "text/plain", "body": b"just text"}, "not_html", "text/plain"),
        ({"content_type": "application/xhtml+xml"}, "compliant", None),
        (
            {"body": "<html><body>请完成安全验证 滑动验证</body></html>".encode()},
            "blocked",
            "challenge",
        ),
        ({"body": b"<script>var acw_sc__v2='x'</script>"}, "blocked", "challenge"),
        (
            {"status": 403, "body": b"<title>Just a moment</title><div id=__cf_chl_opt>"},
            "blocked",
            "challenge",
        ),
        ({"status": 403, "body": b"<h1>Forbidden</h1>"}, "http_error", "HTTP 403"),
    ],
)
def test_assess_page(kwargs: dict, verdict: str, error: str | None) -> None:
    outcome = page(**kwargs)
    assert outcome.verdict == verdict
    if error is None:
        assert outcome.error is None
    else:
        assert error in outcome.error
    assert outcome.size == len(kwargs.get("body", PAGE))
    assert outcome.http_status == kwargs.get("status", 200)


def test_a_big_page_mentioning_captcha_is_not_a_challenge() -> None:
    body = b"<html>" + b"<p>news</p>" * 10000 + b"captcha</html>"
    assert not is_challenge(200, body)
    assert is_challenge(200, body[-5000:])


@pytest.mark.parametrize(
    ("url", "offsite"),
    [
        ("http://example-shop.cn/", False),
        ("https://www.example-shop.cn/home", False),
        ("http://two-shop.cn/", False),
        ("http://EXAMPLE-SHOP.CN:8080/", False),
        ("http://other.cn/", True),
        ("http://shop.example-shop.cn/", True),  # another host, even of the same domain
    ],
)
def test_offsite(url: str, offsite: bool) -> None:
    assert is_offsite(url, LICENSED) is offsite
    assert page(url=url).offsite_redirect is offsite


@pytest.mark.parametrize(
    ("content_type", "body", "html"),
    [
        ("text/html", b"", True),
        ("TEXT/HTML; charset=gbk", b"", True),
        (None, b"<!DOCTYPE html><html>", True),
        ("application/octet-stream", b"  <!-- c --> <html>", True),
        ("application/octet-stream", b"\x00\x01", False),
        ("text/css", b"<html>", False),
    ],
)
def test_is_html(content_type: str | None, body: bytes, html: bool) -> None:
    assert is_html(content_type, body) is html


@pytest.mark.parametrize(
    ("name", "message", "verdict", "reason"),
    [
        (
            "DNSLookupError",
            "DNS lookup failed: no results for hostname lookup: x.cn.",
            "unreachable",
            "DNS",
        ),
        (
            "ConnectionRefusedError",
            "Connection was refused by other side",
            "unreachable",
            "refused",
        ),
        (
            "ResponseNeverReceived",
            "[<twisted.python.failure.Failure ConnectionLost>]",
            "unreachable",
            "reset",
        ),
        ("TimeoutError", "User timeout caused connection failure.", "unreachable", "timed out"),
        (
            "TunnelError",
            "Could not open CONNECT tunnel with proxy 127.0.0.1:1 [{'status': 403}]",
            "unreachable",
            "CONNECT",
        ),
        ("SSLError", "certificate verify failed", "unreachable", "TLS"),
        ("ProxyGatewayError", "proxy answered 502", "unreachable", "proxy answered 502"),
        (
            "PrivateAddress",
            "x.cn (resolves to 127.0.0.1, a loopback address) refused; --allow-private allows it",
            "blocked",
            "blocked: x.cn (resolves to 127.0.0.1",
        ),
        (
            "PrivateAddress",
            "redirect to 127.0.0.1 (loopback address) refused; --allow-private allows it",
            "blocked",
            "blocked: redirect to 127.0.0.1 (loopback address) refused",
        ),
        (
            "PrivateAddress",
            "meta refresh to 0x7f000001 (127.0.0.1, loopback address) refused; --allow-private"
            " allows it",
            "blocked",
            "blocked: meta refresh to 0x7f000001 (127.0.0.1, loopback address)",
        ),
        (
            "UnsupportedRedirect",
            "redirect to unsupported scheme file: file:///etc/passwd",
            "http_error",
            "redirect to unsupported scheme file: file:///etc/passwd",
        ),
        (
            "UnsupportedRedirect",
            "redirect to unsupported scheme data: data:text/html,x (meta refresh)",
            "http_error",
            "redirect to unsupported scheme data: data:text/html,x (meta refresh)",
        ),
        (  # Scrapy's own error for Location: javascript:…, should one get past the guard
            "ValueError",
            "Missing scheme in request url: javascript:alert(1)",
            "http_error",
            "redirect to unsupported scheme javascript: javascript:alert(1)",
        ),
        (
            "ValueError",
            "Missing scheme in request url: javascript:" + "x" * 500,
            "http_error",
            "redirect to unsupported scheme javascript: javascript:" + "x" * 69 + "…",
        ),
        ("ValueError", "something else", "unreachable", "ValueError: something else"),
        ("IgnoreRequest", "Forbidden by robots.txt", "blocked", "robots.txt"),
        ("IgnoreRequest", "max redirections reached", "http_error", "too many redirects"),
        (
            "CancelledError",
            "Cancelling download of http://x.cn/: received response size "
            "(20971520) larger than download max size (10485760).",
            "unreachable",
            "size cap",
        ),
        (
            "IgnoreRequest",
            "Ignored response <200 http://x.cn/> because its body (1 B compressed,"
            " 11 MB decompressed) is larger than the download max size",
            "unreachable",
            "size cap",
        ),
        ("CannotResolveHostError", "x.cn", "unreachable", "DNS lookup failed: x.cn"),
        ("DownloadConnectionRefusedError", "", "unreachable", "connection refused"),
        (
            "DownloadTimeoutError",
            "Getting http://x.cn/ took longer than 3.0 seconds.",
            "unreachable",
            "timed out",
        ),
        ("DownloadFailedError", "[<Failure ConnectionLost>]", "unreachable", "reset"),
        (
            "DownloadCancelledError",
            "Cancelling download of http://x.cn/: expected response size"
            " larger than download max size (10485760).",
            "unreachable",
            "size cap",
        ),
        ("WeirdError", "", "unreachable", "WeirdError"),
    ],
)
def test_assess_failure(name: str, message: str, verdict: str, reason: str) -> None:
    outcome = assess_failure(name, message)
    assert outcome.verdict == verdict
    assert reason in outcome.error
    assert outcome.finding is None


@pytest.mark.parametrize(
    ("name", "fallback"),
    [
        ("CannotResolveHostError", True),
        ("DownloadTimeoutError", True),
        ("TunnelError", True),
        ("ProxyGatewayError", True),
        ("DownloadTooLarge", False),
        ("RobotsDisallowed", False),
        ("TooManyRedirects", False),
        ("UnsupportedRedirect", False),
        ("PrivateAddress", True),  # the licensed host itself: its www. may be public
    ],
)
def test_which_failures_try_the_next_url(name: str, fallback: bool) -> None:
    assert assess_failure(name, "").fallback is fallback


def test_a_redirect_to_a_private_address_is_the_sites_answer() -> None:
    message = "redirect to 10.0.0.1 (private address) refused; --allow-private allows it"
    assert assess_failure("PrivateAddress", message).fallback is False


TUNNEL = "proxy refused the HTTPS tunnel (CONNECT): 403"
GATEWAY = "the proxy could not reach the site: proxy answered 502 unknown-host"


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        # stall: the http attempt on the host itself timed out; www. is unknown to the proxy
        (
            [
                ("https://a.cn/", TUNNEL),
                ("http://a.cn/", "timed out"),
                ("https://www.a.cn/", TUNNEL),
                ("http://www.a.cn/", GATEWAY),
            ],
            "timed out",
        ),
        # unknown host everywhere: the proxy's answer for the host itself
        (
            [
                ("https://a.cn/", TUNNEL),
                ("http://a.cn/", GATEWAY),
                ("https://www.a.cn/", TUNNEL),
                ("http://www.a.cn/", GATEWAY),
            ],
            GATEWAY,
        ),
        ([("https://a.cn/", TUNNEL)], TUNNEL),
        ([("https://www.a.cn/", "DNS lookup failed")], "DNS lookup failed"),
        ([], None),
    ],
)
def test_telling_error(errors: list, expected: str | None) -> None:
    attempts = [{"url": u, "error": e} for u, e in errors]
    assert telling_error("a.cn", attempts) == expected


REFUSED = "blocked: a.cn (resolves to 10.0.0.1, a private address) refused; --allow-private"
WWW_REFUSED = "blocked: www.a.cn (resolves to 10.0.0.1, a private address) refused"


@pytest.mark.parametrize(
    ("errors", "verdict", "error"),
    [
        # the licensed host is on a private address, www. does not exist: blocked, and why
        (
            [
                ("https://a.cn/", REFUSED),
                ("http://a.cn/", REFUSED),
                ("https://www.a.cn/", "DNS lookup failed"),
                ("http://www.a.cn/", "DNS lookup failed"),
            ],
            "blocked",
            REFUSED,
        ),
        # the licensed host does not exist, www. is private: the host itself tells
        (
            [
                ("https://a.cn/", "DNS lookup failed"),
                ("http://a.cn/", "DNS lookup failed"),
                ("https://www.a.cn/", WWW_REFUSED),
                ("http://www.a.cn/", WWW_REFUSED),
            ],
            "unreachable",
            "DNS lookup failed",
        ),
        ([("https://a.cn/", TUNNEL), ("http://a.cn/", "timed out")], "unreachable", "timed out"),
    ],
)
def test_given_up(errors: list, verdict: str, error: str) -> None:
    attempts = [{"url": u, "error": e} for u, e in errors]
    last = Outcome("blocked" if errors[-1][1].startswith("blocked") else "unreachable", "x")
    outcome = given_up("a.cn", attempts, replace(last, fallback=True))
    assert (outcome.verdict, outcome.error, outcome.fallback) == (verdict, error, False)


@pytest.mark.parametrize(
    ("body", "styles"),
    [
        (PAGE, None),
        (
            PAGE.replace(b"<body>", b"<head><style>footer{display:none}</style></head><body>"),
            "a <style> block may hide the footer (footer {display:none})",
        ),
        (
            PAGE.replace(b"<footer>", b'<footer><span style="font-size:2px">'),
            "an inline style near the number (font-size:2px) may hide it",
        ),
        # no number shown: nothing for styles to hide, the scan is skipped
        (b"<html><style>footer{display:none}</style><footer>x</footer></html>", None),
    ],
)
def test_the_check_worker_reads_the_page_styles_for_the_render_policy(
    body: bytes, styles: str | None
) -> None:
    assert page(body=body, scan_styles=True).page_styles == styles
    assert page(body=body).page_styles is None  # --render never/always: not asked
