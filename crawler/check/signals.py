"""Render signals: could a browser show what the static page does not? App shells, footers built by
scripts, footer includes, empty footer containers; read from the raw bytes, no parse.
"""

from __future__ import annotations

import html
import re

from crawler.check.finding import APP_SHELL_MAX_CHARS, MAX_ANCHORS
from crawler.check.scan import RAW_OPEN_RE, RawPage, literal_hits

_APP_MOUNT_RE = re.compile(
    rb"<(?:div|main|section|app-root|body)[^<>]*\bid\s*=\s*[\"']?(?:app|root|__next|__nuxt|q-app)\b"
)
_TAG_RE = re.compile(rb"<[^>]*>")
#: More static links than this and the page is not an app shell (saves computing its text).
_SHELL_MAX_LINKS = 30
_SRC_RE = re.compile(rb"""<(?:script|iframe)\b[^<>]{0,2000}?\ssrc\s*=\s*["']?([^"'\s>]{0,4096})""")
_FOOT_FILE_RE = re.compile(rb"footer|(?<![a-z])(?:foot|bottom|copyright)(?![a-z])")
_EMPTY_FOOTER_TAG_RE = re.compile(rb"<footer\b[^<>]{0,4000}>\s*</footer\s*>")
#: Advertising and statistics services: they never carry a site's licence line, so a rendered
#: page does not load them (crawler/render/rendering.py), and their "footer" is not the site's.
AD_STATS_HOSTS = (b"hm.baidu.com", b"cnzz.com", b"googlesyndication.com", b"doubleclick.net",
                  b"google-analytics.com", b"googletagmanager.com", b"pos.baidu.com",
                  b"cpro.baidustatic.com", b"dup.baidustatic.com", b"cbjs.baidu.com", b"tanx.com",
                  b"mediav.com", b"irs01.com", b"irs01.net", b"wrating.com", b"51.la",
                  b"analytics.163.com")  # fmt: skip
#: Comment, share and statistics widgets: the "footer" their scripts build is the footer of
#: the widget (畅言's cmt-footer.js), never the site's licence line.
WIDGET_HOSTS = (b"changyan.sohu.com", b"changyan.itc.cn", b"uyan.cc", b"disqus.com",
                b"share.baidu.com", b"addthis.com", *AD_STATS_HOSTS)  # fmt: skip
_HOST_RE = re.compile(rb"(?:[a-z][a-z0-9+.-]*:)?//([^/?#:]+)")
#: An element with id="footer" / id="foot" that is empty in the static page.
_EMPTY_FOOT_ID_RE = re.compile(rb"""id=["']?(foot(?:er)?)["'\s>][^<>]{0,4000}>\s*</""")


def static_text(low: bytes) -> str:
    """Visible-ish text of the static page: no comments, scripts, styles, tags."""
    pieces = []
    pos = 0
    for m in RAW_OPEN_RE.finditer(low):
        if m.start() < pos:
            continue
        pieces.append(low[pos : m.start()])
        close = b"-->" if m.group(1) is None else b"</" + m.group(1)
        end = low.find(close, m.end())
        if end == -1:
            pos = len(low)
            break
        pos = end + len(close)
    pieces.append(low[pos:])
    page = b"".join(pieces)
    end = page.rfind(b">") + 1  # no tag closes after the last ">": the regex need not try
    text = (_TAG_RE.sub(b" ", page[:end]) + page[end:]).decode("utf-8", "ignore")
    return html.unescape(text)


def nonspace_len(text: str) -> int:
    return sum(map(len, text.split()))


def _app_shell(raw: RawPage) -> str | None:
    """Signal when the static page has almost no visible text but has scripts."""
    pos = 0
    for _ in range(_SHELL_MAX_LINKS):  # stops early on link-rich pages
        pos = raw.low.find(b"</a>", pos) + 1
        if not pos:
            break
    else:
        return None
    chars = nonspace_len(static_text(raw.low))
    if chars >= APP_SHELL_MAX_CHARS:
        return None
    mount = " with an empty mount point" if _APP_MOUNT_RE.search(raw.low) else ""
    return f"app shell: {chars} characters of static visible text{mount}; scripts produce the page"


def _foot_file(src: bytes) -> bool:
    """The file name (last path segment, no query) of a single URL says "footer", and the URL
    is not a widget service's."""
    if b"," in src:  # combo URLs (a,b,c.js) bundle many files
        return False
    host = _HOST_RE.match(src)
    if host and any(host[1] == w or host[1].endswith(b"." + w) for w in WIDGET_HOSTS):
        return False
    name = src.split(b"?")[0].split(b"#")[0].rstrip(b"/").rsplit(b"/", 1)[-1]
    return bool(_FOOT_FILE_RE.search(name))


_TAG_NAME_RE = re.compile(rb"<([a-z][a-z0-9-]*)")


def _scripted_footer(low: bytes) -> list[str]:
    """Signals that the footer comes from a script, an iframe or an empty footer container.

    One bytes.find loop on "foot" (in <footer>, id="footer", pcfooter.js …): a regex scan of
    the whole page for each signal would cost more than the rest of the check.
    """
    signals = []
    for n, pos in enumerate(literal_hits(low, b"foot")):
        if n == MAX_ANCHORS:
            break
        lt = low.rfind(b"<", max(0, pos - 2000), pos)
        if lt == -1 or low.find(b">", lt, pos) != -1:
            continue  # not inside a tag
        name_m = _TAG_NAME_RE.match(low, lt)
        name = name_m.group(1) if name_m else b""
        if name in (b"script", b"iframe"):
            m = _SRC_RE.match(low, lt)
            if m and m.start(1) <= pos < m.end(1) and _foot_file(m.group(1)):
                how = "a script" if name == b"script" else "an iframe"
                signals.append(
                    f"footer is loaded by {how}: {m.group(1).decode('utf-8', 'replace')}"
                )
        elif name == b"footer" and pos == lt + 1:
            if _EMPTY_FOOTER_TAG_RE.match(low, lt):
                signals.append("footer container <footer> is empty: scripts fill it")
        else:
            start = low.rfind(b"id=", max(lt, pos - 4), pos)
            m = _EMPTY_FOOT_ID_RE.match(low, start) if start != -1 else None
            if m:
                signals.append(f"footer container #{m.group(1).decode()} is empty: scripts fill it")
    return list(dict.fromkeys(signals))


def _render_signals(raw: RawPage, static_footer: bool) -> list[str]:
    """Why the static page may not show what a browser shows (see docs/finding-json.md).

    A scripted footer only counts when no filing number is shown statically: where the
    filing is in the static HTML, so is the footer that would carry the licence number.
    """
    low = raw.low
    if b"<script" not in low and b"<iframe" not in low:
        return []
    signals = []
    if b"<script" in low:
        shell = _app_shell(raw)
        if shell:
            signals.append(shell)
    if not static_footer:
        signals += _scripted_footer(low)
    return signals
