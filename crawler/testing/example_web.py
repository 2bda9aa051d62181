"""The example web: a local forward HTTP proxy that answers for made-up hosts.

The crawler reaches it exactly as it reaches the internet in production
(``--proxy http://127.0.0.1:PORT``), so the demo, the end-to-end fault tests and the
benchmarks exercise the real download path while nothing leaves the machine. Pure stdlib
asyncio, so tests can start it without touching Scrapy's reactor. docs/example-web.md
explains every site and the verdict the crawler must reach for it.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import signal
import socket
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin, urlsplit

JING = "京B2-20990001"  # 北京示例网络科技有限公司, examples/licenses/demo-jing-b2-20990001.txt
HU = "沪B2-20170001"  # 上海示例信息技术有限公司, examples/licenses/demo-hu-b2-20170001.txt

#: The crawler's verdicts: the footer check's, then the crawl-level ones (crawler.check.outcome).
VERDICTS = ("compliant", "displayed_elsewhere", "hidden", "wrong_number", "label_only", "missing",
            "needs_render", "unreachable", "http_error", "blocked", "not_html")  # fmt: skip


@dataclass(frozen=True)
class Site:
    """One made-up host and what the crawler must conclude about it."""

    host: str
    scenario: str  # what the server does for it (see ExampleWeb._route)
    outcome: str  # how the homepage crawl ends: "ok", or the fault it runs into
    verdict: str  # one of VERDICTS
    licence: str | None = JING  # the licence listing the host; None = only a redirect target
    via: str = "/"  # the judged page (after redirects), relative to http://host/
    rendered: str | None = None  # verdict when rendered in Chromium, if it differs from `verdict`
    render_error: bool = False  # rendering must fail (the static verdict stands)

    @property
    def final_url(self) -> str:
        return urljoin(f"http://{self.host}/", self.via)


# fmt: off
_TABLE = [
    # host, scenario, crawl outcome, expected verdict
    Site("compliant.icpwatch-demo.cn", "compliant", "ok", "compliant"),
    Site("gbk.icpwatch-demo.cn", "gbk", "ok", "compliant"),
    Site("gb18030.icpwatch-demo.cn", "gb18030", "ok", "compliant"),
    Site("big5.icpwatch-demo.cn", "big5", "ok", "compliant"),
    Site("mislabelled.icpwatch-demo.cn", "mislabelled_charset", "ok", "compliant"),
    Site("elsewhere.icpwatch-demo.cn", "displayed_elsewhere", "ok", "displayed_elsewhere"),
    Site("hidden.icpwatch-demo.cn", "hidden", "ok", "hidden"),
    Site("near-miss.icpwatch-demo.cn", "near_miss", "ok", "wrong_number"),
    Site("other-number.icpwatch-demo.cn", "others_number", "ok", "wrong_number"),
    Site("label-only.icpwatch-demo.cn", "label_only", "ok", "label_only"),
    Site("missing.icpwatch-demo.cn", "missing", "ok", "missing"),
    Site("spa.icpwatch-demo.cn", "needs_render", "ok", "needs_render"),
    # crawl faults that still lead to a page
    Site("icpwatch-www.cn", "www_only", "ok", "compliant", via="http://www.icpwatch-www.cn/"),
    Site("www.icpwatch-www.cn", "compliant", "ok", "compliant", licence=None),
    Site("redirect.icpwatch-demo.cn", "same_site_redirect", "ok", "compliant", via="/home"),
    Site("meta-refresh.icpwatch-demo.cn", "meta_refresh", "ok", "compliant", via="/real"),
    Site("flaky.icpwatch-demo.cn", "flaky_503", "ok", "compliant"),
    Site("offsite.icpwatch-demo.cn", "offsite_redirect", "offsite_redirect", "compliant",
         via="http://icpwatch-group.cn/"),
    Site("icpwatch-group.cn", "compliant", "ok", "compliant", licence=None),
    # crawl faults that leave no page to judge
    Site("loop.icpwatch-demo.cn", "redirect_loop", "redirect_loop", "http_error"),
    Site("redirect-chain.icpwatch-demo.cn", "redirect_chain", "too_many_redirects", "http_error"),
    Site("not-found.icpwatch-demo.cn", "not_found", "http_404", "http_error"),
    Site("server-error.icpwatch-demo.cn", "server_error", "http_500", "http_error"),
    Site("gone.icpwatch-demo.cn", "unknown_host", "dns_error", "unreachable"),
    Site("refused.icpwatch-demo.cn", "refused", "connection_refused", "unreachable"),
    Site("reset.icpwatch-demo.cn", "reset", "connection_reset", "unreachable"),
    Site("stall.icpwatch-demo.cn", "stall", "timeout", "unreachable"),
    Site("drip.icpwatch-demo.cn", "drip", "timeout", "unreachable"),
    Site("gzip-bomb.icpwatch-demo.cn", "gzip_bomb", "too_large", "unreachable"),
    Site("huge.icpwatch-demo.cn", "huge", "too_large", "unreachable"),
    Site("image-only.icpwatch-demo.cn", "not_html", "not_html", "not_html"),
    Site("empty.icpwatch-demo.cn", "empty", "empty_page", "not_html"),
    Site("waf.icpwatch-demo.cn", "waf_challenge", "challenge", "blocked"),
    Site("waf-403.icpwatch-demo.cn", "waf_403", "challenge", "blocked"),
    Site("robots.icpwatch-demo.cn", "robots_disallow", "robots_disallowed", "blocked"),
    # what only a browser sees (rendered with --render always; auto renders the scripted ones)
    Site("late-footer.icpwatch-demo.cn", "late_footer", "ok", "missing", rendered="compliant"),
    Site("css-hidden.icpwatch-demo.cn", "css_hidden", "ok", "compliant", rendered="hidden"),
    Site("white-text.icpwatch-demo.cn", "white_text", "ok", "compliant", rendered="hidden"),
    Site("tiny-text.icpwatch-demo.cn", "tiny_text", "ok", "compliant", rendered="hidden"),
    Site("script-error.icpwatch-demo.cn", "script_error", "ok", "missing", rendered="compliant"),
    Site("never-loads.icpwatch-demo.cn", "never_loads", "ok", "missing", render_error=True),
    # footer rules beyond the number: not in a licence document (tests add it, `domains add`)
    Site("retired-miit.icpwatch-demo.cn", "retired_miit", "ok", "compliant", licence=None),
    # the second licence
    Site("icpwatch-demo.com.cn", "compliant_fullwidth", "ok", "compliant", licence=HU),
    Site("shop.icpwatch-demo.com.cn", "compliant_div", "ok", "compliant", licence=HU),
]
# fmt: on
SITES: dict[str, Site] = {s.host: s for s in _TABLE}
#: The demo sites whose homepage is a page to judge at once (no redirect, fault or render
#: failure): what benchmark hosts play under ``--bench-demo``, the local test web's workload.
BENCH_SCENARIOS = tuple(
    dict.fromkeys(
        s.scenario
        for s in _TABLE
        if s.outcome == "ok" and s.via == "/" and not s.render_error and s.scenario != "flaky_503"
    )
)

REDIRECT_CHAIN = 10  # hops before redirect-chain's page: more than the crawler may follow
GZIP_BOMB_MIB = 512  # expanded size; deflate caps the ratio near 1030:1, so ~0.5 MB on the wire
HUGE_MIB = 30
BENCH_DOMAIN = "bench-icpwatch.cn"
_BENCH_RE = re.compile(r"site(\d+)\." + re.escape(BENCH_DOMAIN))


def bench_host(i: int) -> str:
    """Host of benchmark site ``i`` (1-based), for benchmarks that write licences for them."""
    return f"site{i:05d}.{BENCH_DOMAIN}"


# --- pages ----------------------------------------------------------------------------

_COMPANY = "北京示例网络科技有限公司"
_HU_COMPANY = "上海示例信息技术有限公司"
_HU_RIGHTS = f"{_HU_COMPANY} 版权所有"
_NEWS = (
    ("示例云发布内容分发网络", "全国三十一个省级节点完成升级，平均访问延迟降低两成。"),
    ("在线教育平台开放春季课程", "新增编程、外语与职业技能课程一百二十门，手机电脑同步学习。"),
    ("安全体系通过等级保护测评", "公司持续完善网络与信息安全管理制度，保障用户个人信息。"),
)
_NEWS_BIG5 = (
    ("示例雲發布內容分發網絡", "全國三十一個省級節點完成升級，平均訪問延遲降低兩成。"),
    ("線上教育平台開放春季課程", "新增程式設計、外語與職業技能課程一百二十門。"),
)
_ICP = '<a href="#" rel="nofollow">京ICP备20990001号-1</a>'
_POLICE = '<span class="police">京公网安备11010502099001号</span>'
_SPANS = (
    "<span>增值电信业务经营许可证：</span><span>京B2-</span><span>2099</span><span>0001-1</span>"
)
_LABEL = "增值电信业务经营许可证："


def _articles(news: Sequence[tuple[str, str]] = _NEWS, repeat: int = 1) -> str:
    return "\n".join(
        f'<article><h2><a href="#">{t}</a></h2><p>{p * 3}</p></article>' for t, p in news * repeat
    )


def _footer(*items: str, owner: str = f"{_COMPANY} 版权所有", tag: str = "footer") -> str:
    return (
        f'<{tag} class="footer">\n<p>&copy; 2025 {owner}</p>\n<p>{" | ".join(items)}</p>\n</{tag}>'
    )


def _page(main: str, footer: str, *, charset: str = "utf-8", head: str = "", top: str = "",
          title: str = _COMPANY, nav: str = "首页 产品与服务 新闻动态 关于我们 联系我们",
          lang: str = "zh-CN") -> str:  # fmt: skip
    links = "".join(f'<a href="#">{n}</a>' for n in nav.split())
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{charset}">\n'
        f"<title>{title}</title>\n{head}</head>\n<body>\n{top}"
        f'<header class="site-header"><a class="logo" href="/">{title}</a><nav>{links}</nav>'
        f"</header>\n<main>\n{main}\n</main>\n{footer}\n</body>\n</html>\n"
    )


_COMPLIANT = _page(_articles(), _footer(_ICP, _SPANS, _POLICE))
_GBK = _page(_articles(), _footer(_ICP, _SPANS, _POLICE), charset="gbk")
_UTF8_PAGES = {  # scenario → homepage, served as text/html; charset=utf-8
    "compliant": _COMPLIANT,
    "displayed_elsewhere": _page(
        _articles(repeat=40),
        _footer(_ICP, _POLICE),
        top=f'<div class="top-bar">经营许可证编号：{JING}</div>\n',
    ),
    "hidden": _page(
        _articles() + f'\n<div style="display:none">{_LABEL}{JING}</div>',
        _footer(_ICP, f"<!-- {_LABEL}{JING} -->", _POLICE),
    ),
    "near_miss": _page(_articles(), _footer(_ICP, f"{_LABEL}京B2-20990010")),
    "others_number": _page(_articles(), _footer(_ICP, f"{_LABEL}{HU}")),
    "label_only": _page(
        _articles(), _footer(_ICP, '<a href="/license.png">增值电信业务经营许可证</a>', _POLICE)
    ),
    "missing": _page(_articles(), _footer(_ICP, _POLICE)),
    "needs_render": (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        "<title>示例云</title>\n</head>\n<body>\n"
        "<noscript>We're sorry but this site doesn't work without JavaScript.</noscript>\n"
        '<div id="app"></div>\n<script src="/static/js/chunk-vendors.js"></script>\n'
        '<script src="/static/js/app.js"></script>\n</body>\n</html>\n'
    ),
    "retired_miit": _page(  # compliant, but the filing links the retired MIIT host (ICP002)
        _articles(),
        _footer(
            '<a href="http://www.miitbeian.gov.cn/" target="_blank">京ICP备20990001号-1</a>',
            _SPANS,
            _POLICE,
        ),
    ),
    "compliant_fullwidth": _page(  # full-width digits and dash: it matches only after NFKC
        _articles(),
        _footer("沪ICP备20170001号", f"{_LABEL}沪Ｂ２－２０１７０００１", owner=_HU_RIGHTS),
        title=_HU_COMPANY,
    ),
    "compliant_div": _page(  # a <div class="footer">, as many older sites write it
        _articles(),
        _footer(f'经营许可证：<a href="#">{HU}</a>', owner=_HU_RIGHTS, tag="div"),
        title="示例商城",
    ),
}
_LATE = (  # the licence line arrives 200 ms after the page loaded
    "<script>setTimeout(function () {var s = document.createElement('span');"
    f"s.textContent = '{_LABEL}' + '京B2-' + '20990001';"
    "document.querySelector('footer').appendChild(s);}, 200);</script>"
)
_UTF8_PAGES.update({
    "late_footer": _page(_articles(), _footer(_ICP, _POLICE) + _LATE),
    "css_hidden": _page(  # hidden by a stylesheet the static check never reads
        _articles(), _footer(_ICP, _SPANS, _POLICE),
        head='<link rel="stylesheet" href="/static/site.css">\n',
    ),
    "white_text": _page(_articles(), _footer(
        _ICP, f'<span style="color:#fff">{_LABEL}{JING}</span>', _POLICE)),
    "tiny_text": _page(_articles(), _footer(
        _ICP, f'<span style="font-size:4px">{_LABEL}{JING}</span>', _POLICE)),
    "script_error": _page(  # the script adds the number, then throws
        _articles(), _footer(_ICP, _POLICE)
        + _LATE.replace("}, 200);", "; throw new Error('boom');}, 0);"),
    ),
    "never_loads": _page(  # a script that never arrives: the load event never fires
        _articles(), _footer(_ICP, _POLICE) + '<script src="/static/never.js"></script>'
    ),
})  # fmt: skip
_CSS = b"footer.footer { display: none; }\n"

_PAGES: dict[str, tuple[bytes, str]] = {  # scenario → (homepage, Content-Type)
    **{k: (v.encode(), "text/html; charset=utf-8") for k, v in _UTF8_PAGES.items()},
    "gbk": (_GBK.encode("gbk"), "text/html"),
    "mislabelled_charset": (_GBK.encode("gbk"), "text/html; charset=utf-8"),  # header lies
    "gb18030": (  # 䶮 and 𬭎 are outside GBK: only a real GB18030 decoder reads them
        _page(
            _articles() + "<p>技术支持：刘䶮、王𬭎</p>",
            _footer(_ICP, _SPANS, _POLICE),
            charset="gb18030",
        ).encode("gb18030"),
        "text/html",
    ),
    "big5": (
        _page(
            _articles(_NEWS_BIG5),
            _footer(
                "京ICP備20990001號-1",
                f"增值電信業務經營許可證：{JING}",
                owner="北京示例網絡科技有限公司 版權所有",
            ),
            charset="big5",
            title="北京示例網絡科技有限公司",
            nav="首頁 產品與服務 新聞動態 關於我們 聯絡我們",
            lang="zh-Hant",
        ).encode("big5"),
        "text/html",
    ),
}
_JS = {  # a Vue-like bundle: the footer, and the number, exist only after the scripts run
    "/static/js/chunk-vendors.js": """window.h = function (tag, attrs, children) {
  var el = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
  [].concat(children || []).forEach(function (c) {
    el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  });
  return el;
};
""",
    "/static/js/app.js": """(function () {
  var licence = ["京B2", "2099" + "0001"].join("-") + "-1";
  var app = document.getElementById("app");
  app.appendChild(h("header", {"class": "site-header"}, [h("a", {href: "/"}, "示例云")]));
  app.appendChild(h("main", {}, [h("p", {}, "示例云：企业级云服务与在线教育平台。")]));
  app.appendChild(h("footer", {"class": "site-footer"}, [
    h("span", {}, "增值电信业务经营许可证：" + licence), " | ",
    h("a", {href: "#"}, "京ICP备20990001号-1")
  ]));
})();
""",
}
_META_REFRESH = _page(
    "<p>正在跳转……</p>", "", head='<meta http-equiv="refresh" content="0;url=/real">\n'
).encode()
_WAF_ALIYUN = (  # Alibaba Cloud WAF style: HTTP 200, slider captcha + acw_sc__v2 cookie JS
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证</title></head><body>'
    '<div id="nc_1_wrapper"><p>安全验证</p><p>请按住滑块，拖动到最右边完成滑动验证</p></div>'
    "<script>var arg1='3E40CCD6747B1C5E5BD3A2D4F2A4DF3C2F1B2CDA';"
    'function setCookie(n,v){document.cookie=n+"="+v+";max-age=3600;path=/"}'
    'setCookie("acw_sc__v2",arg1.split("").reverse().join(""));location.reload();</script>'
    "</body></html>"
).encode()
_WAF_CLOUDFLARE = (  # Cloudflare managed challenge style: HTTP 403 + cf-mitigated header
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>'
    b"<noscript>Enable JavaScript and cookies to continue</noscript>"
    b"<script>window._cf_chl_opt={cvId:'3',cType:'managed',cRay:'8f1e2d3c4b5a6978'};</script>"
    b'<form id="challenge-form" action="/?__cf_chl_f_tk=Zm9vYmFy" method="POST"></form>'
    b'<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f1e2d3c4b5a6978">'
    b"</script></body></html>"
)


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid solid-colour PNG, so content sniffers see a real image."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = (b"\x00" + bytes(rgb) * width) * height
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = chunk(b"IDAT", zlib.compress(raw))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + idat + chunk(b"IEND", b"")


_LICENCE_PNG = _png(120, 80, (200, 30, 30))


@cache
def gzip_bomb() -> bytes:
    """GZIP_BOMB_MIB of spaces gzipped, built from one flushed 1 MiB block in ~0.1 s.

    After Z_FULL_FLUSH deflate forgets its history, so compressing the same block again
    gives the same bytes: repeat them instead of compressing 512 MiB, then fix the trailer.
    """
    block = b" " * (1 << 20)
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    unit = z.compress(block) + z.flush(zlib.Z_FULL_FLUSH)
    end = z.flush()[:-8]  # final empty block, minus the trailer for 2 MiB
    crc = 0
    for _ in range(GZIP_BOMB_MIB):
        crc = zlib.crc32(block, crc)
    trailer = struct.pack("<II", crc, (GZIP_BOMB_MIB << 20) & 0xFFFFFFFF)
    return first + unit * (GZIP_BOMB_MIB - 1) + end + trailer


@cache
def _huge_page() -> tuple[bytes, ...]:
    """HUGE_MIB of HTML as shared 64 KiB chunks; the compliant footer comes last."""
    head, tail = _page("\0", _footer(_ICP, _SPANS, _POLICE)).encode().split(b"\0")
    filler = _articles(repeat=40).encode()
    filler = filler * ((1 << 16) // len(filler) + 1)
    return (head, *[filler] * math.ceil((HUGE_MIB << 20) / len(filler)), tail)


# --- server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """An origin's answer; the body is a list of chunks so huge pages repeat one buffer."""

    status: int = 200
    body: Sequence[bytes] = ()
    ctype: str = "text/html; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    fault: str = ""  # "reset" | "stall" | "drip"
    #: Writes the whole answer itself, then the connection closes: for replies ``_send`` cannot
    #: express (malformed, endless, relayed). Used by tests/hostile_web.py.
    stream: Callable[[asyncio.StreamWriter], Awaitable[None]] | None = None


def _error(status: int, why: str, *headers: tuple[str, str]) -> Reply:
    phrase = HTTPStatus(status).phrase
    return Reply(status, (f"<h1>{status} {phrase}</h1><p>{why}</p>\n".encode(),), headers=headers)


def _redirect(status: int, location: str) -> Reply:
    return Reply(status, (), headers=(("Location", location),))


_UNKNOWN_HOST = _error(502, "unknown host", ("X-Example-Web-Error", "unknown-host"))
_REFUSED = _error(502, "connection refused", ("X-Example-Web-Error", "connection-refused"))
_NOT_FOUND = _error(404, "no such page")
_ALLOW_ALL = Reply(200, (b"User-agent: *\nDisallow:\n",), "text/plain")
_DISALLOW_ALL = Reply(200, (b"User-agent: *\nDisallow: /\n",), "text/plain")
_COMPLIANT_REPLY = Reply(200, (_PAGES["compliant"][0],))


#: Ends a connection quietly: the client left or sent garbage, or we are shutting down
#: (Python 3.11's start_server callback chokes on a handler that ends cancelled).
_HANG_UP = (
    ConnectionError,
    ValueError,
    asyncio.IncompleteReadError,
    asyncio.LimitOverrunError,
    asyncio.CancelledError,
)


class ExampleWeb:
    """The proxy; ``with ExampleWeb() as web:`` serves it from a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bench_pages: str | Path | None = None,
        bench_sites: int = 1000,
        bench_demo: bool = False,
        delay_ms: float = 0,
        drip_seconds: float = 30,
        routes: Callable[[str, str], Reply | None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        #: (host, path) → Reply, or None for the example web's own answer: asked first, so a
        #: test web (tests/hostile_web.py) adds its sites on top of these.
        self.routes = routes
        self.delay_ms, self.drip_seconds = delay_ms, drip_seconds
        self.bench_sites = bench_sites if bench_pages or bench_demo else 0
        self.bench_demo = bench_demo
        self._bench: list[bytes] = []
        if bench_pages:  # read once: the benchmark measures the crawler, not this disk
            files = sorted(p for p in Path(bench_pages).iterdir() if p.is_file())
            self._bench = [p.read_bytes() for p in files]
            if not self._bench:
                raise ValueError(f"no pages in {bench_pages}")
        self.hits: Counter[tuple[str, str]] = Counter()  # (host, path) → requests seen
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def proxy_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # routing

    def _route(self, host: str, path: str) -> Reply:
        """What the "origin" ``host`` answers for ``path`` (the request counts as a hit)."""
        self.hits[host, path] += 1
        if self.routes and (reply := self.routes(host, path)) is not None:
            return reply
        site = SITES.get(host)
        if site is None:
            return self._bench_route(host, path)
        return self._answer(site.scenario, host, path)

    def _answer(self, scenario: str, host: str, path: str) -> Reply:
        """What a host playing ``scenario`` answers for ``path``."""
        if scenario in ("unknown_host", "www_only"):
            return _UNKNOWN_HOST
        if scenario == "refused":
            return _REFUSED
        match scenario, path:
            case _, "/robots.txt":  # served normally even by faulty sites, so tests stay fast
                return _DISALLOW_ALL if scenario == "robots_disallow" else _ALLOW_ALL
            case "flaky_503", "/" if self.hits[host, path] % 2:  # odd hits fail: 503, then OK
                return _error(503, "busy, retry", ("Retry-After", "1"))
            case (
                ("same_site_redirect", "/home")
                | ("meta_refresh", "/real")
                | ("flaky_503" | "robots_disallow", "/")
            ):
                return _COMPLIANT_REPLY
            case "same_site_redirect", "/":
                return _redirect(301, f"http://{host}/home")
            case "offsite_redirect", "/":
                return _redirect(302, "http://icpwatch-group.cn/")
            case "redirect_loop", "/":
                return _redirect(302, f"http://{host}/loop-b")
            case "redirect_loop", "/loop-b":
                return _redirect(302, f"http://{host}/")
            case "redirect_chain", "/":
                return _redirect(302, "/hop/1")
            case "redirect_chain", _ if m := re.fullmatch(r"/hop/(\d+)", path):
                hop = int(m[1])
                return (
                    _COMPLIANT_REPLY if hop >= REDIRECT_CHAIN else _redirect(302, f"/hop/{hop + 1}")
                )
            case "meta_refresh", "/":
                return Reply(200, (_META_REFRESH,))
            case "not_found", _:
                return _NOT_FOUND
            case "server_error", _:
                return _error(500, "internal server error")
            case "reset" | "stall", _:
                return Reply(fault=scenario)
            case "drip", "/":
                page = _PAGES["compliant"][0]
                n = max(2, math.ceil(self.drip_seconds))
                step = math.ceil(len(page) / n)
                return Reply(
                    200, [page[i : i + step] for i in range(0, len(page), step)], fault="drip"
                )
            case "gzip_bomb", "/":
                return Reply(200, (gzip_bomb(),), headers=(("Content-Encoding", "gzip"),))
            case "huge", "/":
                return Reply(200, _huge_page())
            case ("not_html", "/") | ("label_only", "/license.png"):
                return Reply(200, (_LICENCE_PNG,), "image/png")
            case "empty", "/":
                return Reply(200, ())
            case "waf_challenge", _:
                return Reply(
                    200, (_WAF_ALIYUN,), headers=(("Set-Cookie", "acw_tc=0a1b2c3d; path=/"),)
                )
            case "waf_403", _:
                return Reply(403, (_WAF_CLOUDFLARE,), headers=(("cf-mitigated", "challenge"),))
            case "css_hidden", "/static/site.css":
                return Reply(200, (_CSS,), "text/css")
            case "never_loads", "/static/never.js":
                return Reply(fault="stall")
            case "needs_render", _ if path in _JS:
                return Reply(200, (_JS[path].encode(),), "application/javascript; charset=utf-8")
            case _, "/" if scenario in _PAGES:
                body, ctype = _PAGES[scenario]
                return Reply(200, (body,), ctype)
        return _NOT_FOUND

    def _bench_route(self, host: str, path: str) -> Reply:
        m = _BENCH_RE.fullmatch(host)
        if not m or not 1 <= int(m[1]) <= self.bench_sites:
            return _UNKNOWN_HOST
        if self.bench_demo:
            return self._answer(BENCH_SCENARIOS[(int(m[1]) - 1) % len(BENCH_SCENARIOS)], host, path)
        if path == "/robots.txt":
            return _ALLOW_ALL
        if path != "/":
            return _NOT_FOUND
        # no charset: the corpus pages carry their own <meta>, as they did on the real web
        return Reply(200, (self._bench[(int(m[1]) - 1) % len(self._bench)],), "text/html")

    # HTTP

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await self._exchange(reader, writer):
                pass
        except _HANG_UP:
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; True if the connection stays open for the next."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # clean close between requests
        request_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
        if length := int(headers.get("content-length") or 0):
            await reader.readexactly(length)
        try:
            method, target, version = request_line.split(" ")
        except ValueError:
            await self._send(writer, _error(400, "bad request line"), False, False)
            return False
        conn = (headers.get("connection", "") + headers.get("proxy-connection", "")).lower()
        keep = "close" not in conn if version == "HTTP/1.1" else "keep-alive" in conn
        if method == "CONNECT" or target.lower().startswith("https://"):
            await self._send(writer, _error(403, "this proxy only speaks plain http"), False, False)
            return False
        absolute = target.lower().startswith("http://")
        url = urlsplit(target if absolute else "//" + headers.get("host", ""))
        host, path = (url.hostname or "").rstrip("."), urlsplit(target).path or "/"
        if method not in ("GET", "HEAD") or not host:
            await self._send(writer, _error(405 if host else 400, "GET or HEAD"), False, keep)
            return keep
        reply = self._route(host, path)
        if self.delay_ms:
            await asyncio.sleep(self.delay_ms / 1000)
        if reply.fault == "reset":  # linger 0: close() sends RST, as a crashed server would
            writer.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            writer.transport.abort()
            return False
        if reply.fault == "stall":  # never answer; wait for the client to give up
            while await reader.read(1 << 16):
                pass
            return False
        if reply.stream:
            await reply.stream(writer)
            return False
        await self._send(writer, reply, method == "HEAD", keep)
        return keep

    async def _send(
        self, writer: asyncio.StreamWriter, reply: Reply, head_only: bool, keep: bool
    ) -> None:
        lines = [
            f"HTTP/1.1 {reply.status} {HTTPStatus(reply.status).phrase}",
            "Server: icpwatch-example-web",
            f"Content-Type: {reply.ctype}",
            f"Content-Length: {sum(map(len, reply.body))}",
            f"Connection: {'keep-alive' if keep else 'close'}",
            *(f"{k}: {v}" for k, v in reply.headers),
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for chunk in () if head_only else reply.body:
            if reply.fault == "drip":
                await asyncio.sleep(self.drip_seconds / len(reply.body))
            writer.write(chunk)
            await writer.drain()
        await writer.drain()

    # running

    async def serve(self, stop: asyncio.Event, on_listening: Callable[[], None]) -> None:
        """Serve until ``stop`` is set, then drop every open connection (stalled ones too)."""
        server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = server.sockets[0].getsockname()[1]
        on_listening()
        try:
            await stop.wait()
        finally:
            server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await server.wait_closed()

    def start(self) -> ExampleWeb:
        ready = threading.Event()
        errors: list[OSError] = []

        async def main() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            await self.serve(self._stop, ready.set)

        def run() -> None:
            try:
                asyncio.run(main())
            except OSError as exc:  # e.g. port in use: re-raised in the caller's thread
                errors.append(exc)
            finally:
                ready.set()

        self._thread = threading.Thread(target=run, name="example-web", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            self._thread = None
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._thread and self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join()
            self._thread = None

    def __enter__(self) -> ExampleWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _serve_until_signalled(web: ExampleWeb) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await web.serve(stop, lambda: print(f"listening on {web.proxy_url}", flush=True))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.testing.example_web",
        description="Serve the example web as an HTTP proxy.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bench-pages", help="directory of pages served round-robin")
    parser.add_argument(
        "--bench-demo",
        action="store_true",
        help="benchmark hosts answer as the demo sites with a page to judge, round-robin",
    )
    parser.add_argument("--bench-sites", type=int, default=1000, help=f"site00001.{BENCH_DOMAIN}…")
    parser.add_argument("--delay-ms", type=float, default=0, help="latency added to every reply")
    parser.add_argument("--drip-seconds", type=float, default=30, help="how long drip's body takes")
    args = parser.parse_args(argv)
    web = ExampleWeb(
        args.host,
        args.port,
        bench_pages=args.bench_pages,
        bench_sites=args.bench_sites,
        bench_demo=args.bench_demo,
        delay_ms=args.delay_ms,
        drip_seconds=args.drip_seconds,
    )
    asyncio.run(_serve_until_signalled(web))


if __name__ == "__main__":
    main()
