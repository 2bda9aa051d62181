"""What a crawl concludes from a fetched homepage or a failed fetch: the crawl-level verdicts
(``unreachable``, ``http_error``, ``blocked``, ``not_html``) around the footer check's.

Pure functions over plain values, so every rule is tested with tables; the spider only gathers
the facts (status, headers, body, exception name) and calls these.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from crawler.check.decide import check_page
from crawler.check.finding import Finding
from crawler.check.rules import Expected
from crawler.check.styles import page_style_risk
from crawler.fetch.addresses import unsupported_redirect
from crawler.fetch.proxy_tunnels import SKIPPED

CRAWL_VERDICTS = ("unreachable", "http_error", "blocked", "not_html", "check_error")

#: Markers of anti-bot / WAF challenge pages (Cloudflare, Aliyun, Tencent, Baidu, Jiasule, generic
#: Chinese slider / captcha pages), lowercase UTF-8. Only searched in small pages: a challenge
#: page is a stub. Plain substring tests: an alternation regex cost ~1 ms a page.
CHALLENGE_MARKERS = tuple(
    m.lower().encode()
    for m in (
        "__cf_chl",
        "cf-browser-verification",
        "challenge-platform",
        "cf_chl_opt",
        "Attention Required! | Cloudflare",
        "acw_sc__v2",
        "acw_tc",
        "_waf_",
        "aliyun_waf",
        "errors.aliyun.com",
        "TencentCloud WAF",
        "waf.tencent",
        "jiasule",
        "__jsl_clearance",
        "yunsuo_session",
        "safedog",
        "安全验证",
        "滑动验证",
        "人机验证",
        "访问验证",
        "请完成下方验证",
        "您的访问被拦截",
        "访问被拒绝",
        "网站防火墙",
        "WAF拦截",
        "captcha",
    )
)
CHALLENGE_MAX_BYTES = 64 * 1024
HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_SNIFF = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|div|script)",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Screenshot:
    """The PNG evidence of a rendered page, as stored beside its check."""

    path: str
    size: int
    sha256: str
    box: tuple[float, float, float, float]  # the page region shot: x, y, width, height


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: str
    error: str | None = None
    finding: Finding | None = None
    offsite_redirect: bool = False
    http_status: int | None = None
    final_url: str | None = None
    content_sha256: str | None = None
    size: int | None = None
    fallback: bool = False  # a failure to reach the site: the next homepage URL may answer
    rendered: bool = False  # the verdict comes from the page rendered in Chromium
    static_verdict: str | None = None  # the static verdict, kept beside a rendered one
    render_error: str | None = None  # why rendering failed (the static verdict stands)
    render_reason: str | None = None  # why the page was or was not rendered (render/policy)
    page_styles: str | None = None  # how the page's own styles may hide a shown number
    screenshot: Screenshot | None = None


def host_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def is_offsite(url: str, licensed_hosts: frozenset[str]) -> bool:
    """Whether ``url`` left the licence's websites (``www.`` of a licensed host is the same)."""
    return host_of(url) not in licensed_hosts


def is_challenge(status: int, body: bytes) -> bool:
    if len(body) > CHALLENGE_MAX_BYTES and status < 400:
        return False
    head = body[:CHALLENGE_MAX_BYTES].lower()
    return any(marker in head for marker in CHALLENGE_MARKERS)


def is_html(content_type: str | None, body: bytes) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in HTML_TYPES:
        return True
    # A missing or generic type: sniff like a browser would.
    return media in ("", "text/plain", "application/octet-stream") and bool(
        _HTML_SNIFF.match(body[:1024])
    )


def assess_page(
    *,
    expected: str,
    company: str | None,
    url: str,
    status: int,
    content_type: str | None,
    body: bytes,
    encoding: str | None,
    offsite_redirect: bool,
    expected_filing: Expected | None = None,
    rules_off: Iterable[str] = (),
    scan_styles: bool = False,
) -> Outcome:
    """A page was fetched: classify it, and run the footer check when there is a page to judge.
    ``offsite_redirect`` comes from ``is_offsite``: a licence may list thousands of hosts, too
    many to ship to a check worker with every page. ``expected_filing`` (the host's imported
    filings, None when no export names it) and ``rules_off`` (the licence's switched-off codes)
    go to the rules. ``scan_styles``: the render policy will ask whether the page's own styles
    may hide a shown number (``--render auto``); the answer is ``Outcome.page_styles``."""
    facts = _fetched(url, status, body, offsite_redirect)
    if (status < 400 or status in (401, 403, 429, 503)) and is_challenge(status, body):
        return Outcome("blocked", "anti-bot or WAF challenge page", **facts)
    if status >= 400:
        return Outcome("http_error", f"HTTP {status}", **facts)
    if not body.strip():
        return Outcome("not_html", "empty body", **facts)
    if not is_html(content_type, body):
        return Outcome("not_html", f"content type {content_type or 'unknown'}", **facts)
    try:
        finding = check_page(
            body,
            expected,
            company=company,
            encoding=encoding,
            url=url,
            expected_filing=expected_filing,
            rules_off=tuple(rules_off),
        )
        styles = page_style_risk(body, finding) if scan_styles else None
    except Exception as exc:  # a page that breaks the check still costs its domain one row
        return Outcome("check_error", error_line(exc), **facts)
    return Outcome(finding.verdict, None, finding, page_styles=styles, **facts)


def check_error(
    *, url: str, status: int, body: bytes, offsite_redirect: bool, error: str, **_: object
) -> Outcome:
    """The row of a page whose check never answered (over its CPU budget, or its worker died):
    what was fetched, without a finding. Takes ``assess_page``'s keyword facts."""
    return Outcome("check_error", error, **_fetched(url, status, body, offsite_redirect))


def _fetched(url: str, status: int, body: bytes, offsite_redirect: bool) -> dict[str, object]:
    """What every outcome of a fetched page records, whatever the check made of it."""
    return {
        "http_status": status,
        "final_url": url,
        "offsite_redirect": offsite_redirect,
        "content_sha256": hashlib.sha256(body).hexdigest(),
        "size": len(body),
    }


def error_line(exc: BaseException) -> str:
    """An exception as one bounded line: the class, then the first line of its message."""
    text = f"{type(exc).__name__}: {exc}".strip()
    return (text.splitlines() or [type(exc).__name__])[0][:500]


#: Exception class names (Scrapy, Twisted, ours) → (verdict, reason, try the next URL?).
#: Only a failure to reach the site moves on to the next URL; a block, a loop or an oversized
#: body is the site's answer.
_FAILURES = {
    "CannotResolveHostError": ("unreachable", "DNS lookup failed", True),
    "DNSLookupError": ("unreachable", "DNS lookup failed", True),
    "DownloadConnectionRefusedError": ("unreachable", "connection refused", True),
    "ConnectionRefusedError": ("unreachable", "connection refused", True),
    "ConnectError": ("unreachable", "connection failed", True),
    "NoRouteError": ("unreachable", "no route to host", True),
    "DownloadFailedError": ("unreachable", "connection reset or closed", True),
    "ResponseDataLossError": ("unreachable", "connection closed mid-response", True),
    "ConnectionLost": ("unreachable", "connection reset or lost", True),
    "ConnectionDone": ("unreachable", "connection closed before a response", True),
    "ResponseNeverReceived": ("unreachable", "connection reset or closed before a response", True),
    "ResponseFailed": ("unreachable", "response failed mid-transfer", True),
    "DownloadTimeoutError": ("unreachable", "timed out", True),
    "TimeoutError": ("unreachable", "timed out", True),
    "TCPTimedOutError": ("unreachable", "timed out", True),
    "TunnelError": ("unreachable", "proxy refused the HTTPS tunnel (CONNECT)", True),
    "SSLError": ("unreachable", "TLS handshake failed", True),
    "Error": ("unreachable", "TLS failure", True),
    "ProxyGatewayError": ("unreachable", "the proxy could not reach the site", True),
    # A licensed host on a private address: its www. variant may still be public.
    "PrivateAddress": ("blocked", "blocked", True),
    # A redirect or meta refresh there is the site's answer.
    "PrivateRedirect": ("blocked", "blocked", False),
    "UnsupportedRedirect": ("http_error", "redirect to unsupported scheme", False),
    "DownloadTooLarge": ("unreachable", "response larger than the size cap", False),
    "RobotsDisallowed": ("blocked", "disallowed by robots.txt", False),
    "TooManyRedirects": ("http_error", "too many redirects", False),
}
_TUNNEL, _GATEWAY = "proxy refused the HTTPS tunnel", "the proxy could not reach the site"

#: Scrapy reports several distinct failures as IgnoreRequest / cancellations with a message.
_BY_MESSAGE = (
    ("robots.txt", "RobotsDisallowed"),
    ("redirections", "TooManyRedirects"),
    ("max size", "DownloadTooLarge"),
    ("maxsize", "DownloadTooLarge"),
    ("larger than", "DownloadTooLarge"),
)


#: The download guard's refusals start so (crawler/fetch/addresses.py, ``Refusal.describe``).
_PRIVATE_STEPS = ("redirect to ", "meta refresh to ")
PRIVATE_REFUSED = "blocked: "
#: Scrapy's own words when a redirect leads to ``javascript:`` (a Request cannot be built).
_MISSING_SCHEME = "Missing scheme in request url: "


def failure_kind(error_class: str, message: str) -> str:
    if error_class in ("IgnoreRequest", "CancelledError", "DownloadCancelledError"):
        lowered = message.lower()
        return next((kind for text, kind in _BY_MESSAGE if text in lowered), error_class)
    if error_class == "PrivateAddress" and message.startswith(_PRIVATE_STEPS):
        return "PrivateRedirect"
    if error_class == "ValueError" and message.startswith(_MISSING_SCHEME):
        return "UnsupportedRedirect"
    return error_class


def assess_failure(error_class: str, message: str) -> Outcome:
    """A fetch that produced no page. Unknown failures are ``unreachable`` with their message."""
    kind = failure_kind(error_class, message)
    if kind == "UnsupportedRedirect" and message.startswith(_MISSING_SCHEME):
        message = unsupported_redirect(message[len(_MISSING_SCHEME) :].strip()) or message
    verdict, reason, fallback = _FAILURES.get(kind, ("unreachable", kind, True))
    detail = message.strip().splitlines()[0][:200] if message.strip() else reason
    error = detail if detail.lower().startswith(reason.lower()) else f"{reason}: {detail}"
    return Outcome(verdict, error, fallback=fallback)


def telling_error(host: str, attempts: list[dict]) -> str | None:
    """The error that best explains an unreachable site: on the licensed host itself rather than
    its ``www.`` variant, and about the site (a timeout, a reset) rather than the proxy path."""
    errors = [a for a in attempts if a.get("error")]
    if not errors:
        return None
    pool = [a for a in errors if host_of(a["url"]) == host] or errors

    def rank(attempt: dict) -> int:
        error = attempt["error"]
        if error.startswith((_TUNNEL, SKIPPED)):
            return 0
        return 1 if error.startswith(_GATEWAY) else 2

    return max(pool, key=rank)["error"]


def given_up(host: str, attempts: list[dict], last: Outcome) -> Outcome:
    """Every homepage URL failed: the most telling error, with the verdict it implies. A
    refused private address is ``blocked`` (the site is there, icpwatch would not go); every
    other failure to reach the site is ``unreachable``."""
    error = telling_error(host, attempts) or last.error
    refused = bool(error) and error.startswith(PRIVATE_REFUSED)
    verdict = "blocked" if refused else "unreachable" if last.verdict == "blocked" else last.verdict
    return replace(last, verdict=verdict, error=error, fallback=False)
