"""Could the page's styles hide a number the static check found shown? A white, tiny or
hidden footer is compliant to a static reader and ``hidden`` to a visitor; only a browser can
tell, and rendering every compliant page would make it the whole bill of a crawl. These scans
pick the pages whose styles name the number's surroundings with a hiding value: an inline
style just before the number, or a stylesheet rule on the footer itself. Bounded and linear:
capped hits and windows, rule bodies and selectors of bounded length, no nesting.
"""

from __future__ import annotations

import re

from crawler.check.finding import MIN_FONT_PX, Finding, Verdict
from crawler.check.footer_names import footerish

#: Declarations that can hide text from a visitor, as a stylesheet or inline style writes them:
#: hidden, transparent, near-white, below the readable size, pushed off the page or clipped.
_HIDING = re.compile(
    rb"(?<![\w-])(?:display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0?\.?0\d*\s*(?:[;!}]|$)"
    rb"|font-size\s*:\s*(?P<px>\d{1,2}(?:\.\d+)?)px|font-size\s*:\s*0(?![.\d])"
    rb"|color\s*:\s*(?:#(?:[c-f]{3}|[c-f]{6})\b|white\b|rgba?\(\s*2[0-5]\d\s*,\s*2[0-5]\d\s*,\s*2[0-5]\d)"
    rb"|text-indent\s*:\s*-\d|(?:left|top|margin-left)\s*:\s*-\d{3,}|clip(?:-path)?\s*:\s*(?:rect|inset)"
    rb"|(?:height|max-height)\s*:\s*0(?:px)?\s*(?:[;!}]|$)|transform\s*:\s*scale\(\s*0(?:\.0\d*)?\s*\))",
    re.IGNORECASE,
)
_STYLE_ATTR = re.compile(rb"""\sstyle\s*=\s*(?:"([^"]{0,1000})"|'([^']{0,1000})')""", re.IGNORECASE)
_ASCII_RUN = re.compile(r"[A-Za-z0-9]{1,4}-")
INLINE_WINDOW = 400  # bytes before a shown number searched for a style on its element
MAX_NUMBER_HITS = 16
#: A rule's selector names the footer when its last compound does (``footer.footer``,
#: ``#copyright``), or is a bare tag inside a footer-named one (``.footer p``): hiding
#: ``.footer .qrcode`` (a pop-up) leaves the number shown. Names as the footer check reads
#: them (crawler/check/footer_names.py): ``.comment-ft`` is a part's footer, not the page's.
_NAMES = re.compile(rb"(?:^|[.#])([a-z][a-z0-9_-]{0,100})", re.IGNORECASE)
_BARE_TAG = re.compile(rb"^[a-z][a-z0-9]*$", re.IGNORECASE)
#: A pseudo-element hides only what CSS generates (``.footer:after``), never the number.
_PSEUDO_ELEMENT = re.compile(rb":(?::?(?:before|after|marker|placeholder))\s*$", re.IGNORECASE)
_COMMENT = re.compile(rb"/\*.*?(?:\*/|$)", re.DOTALL)
_BRACE = re.compile(rb"[{}]")
MAX_SHEET_BYTES = 512 * 1024
#: Verdicts of a number shown statically, which page styles could still hide from a visitor.
SHOWN = (Verdict.COMPLIANT, Verdict.DISPLAYED_ELSEWHERE)
MAX_SELECTOR = 1000  # bytes of a rule's selector looked at


def _hides(declarations: bytes, *, colour: bool) -> str | None:
    """The first declaration that hides text, or None. Readable font sizes do not, nor a zero
    height whose overflow shows; a light colour only where asked (``colour``: an inline style
    without a background) since a stylesheet's white text usually sits on a dark footer."""
    low = declarations.lower()
    for m in _HIDING.finditer(declarations):
        found = m.group().lower()
        if m["px"] is not None and float(m["px"]) >= MIN_FONT_PX:
            continue
        if found.startswith(b"color") and (not colour or b"background" in low):
            continue
        if b"height" in found and b"overflow" not in low:
            continue
        return " ".join(m.group().decode("ascii", "replace").split()).rstrip(";!}")
    return None


def inline_style_risk(body: bytes, finding: Finding) -> str | None:
    """An inline style that may hide a shown number: on an element opening within
    ``INLINE_WINDOW`` bytes before the number (its element or a close ancestor)."""
    for evidence in finding.displayed:
        m = _ASCII_RUN.search(evidence.raw)  # "B2-" survives any page encoding
        if not m:
            continue
        token = m.group().encode()
        pos, seen = body.find(token), 0
        while pos != -1 and seen < MAX_NUMBER_HITS:
            for attr in _STYLE_ATTR.finditer(body, max(0, pos - INLINE_WINDOW), pos):
                hiding = _hides(attr[1] or attr[2] or b"", colour=True)
                if hiding:
                    return f"an inline style near the number ({hiding})"
            pos, seen = body.find(token, pos + 1), seen + 1
    return None


def _footer_named(compound: bytes) -> bool:
    return any(footerish(n.decode("ascii")) for n in _NAMES.findall(compound))


def _footer_selector(selector: bytes) -> bool:
    for one in selector.split(b","):
        if _PSEUDO_ELEMENT.search(one):
            continue
        compounds = one.replace(b">", b" ").replace(b"+", b" ").replace(b"~", b" ").split()
        if not compounds:
            continue
        last = compounds[-1]
        if _footer_named(last) or (
            _BARE_TAG.match(last) and any(_footer_named(c) for c in compounds[:-1])
        ):
            return True
    return False


def _top_level_rules(css: bytes):
    """(selector, declarations) of each rule outside at-blocks: one pass over the braces."""
    depth, start, body, selector = 0, 0, 0, None
    for m in _BRACE.finditer(css):
        if m[0] == b"{":
            if depth == 0:
                prelude = css[start : m.start()].rsplit(b";", 1)[-1]  # after an @import …;
                selector = None if prelude.lstrip().startswith(b"@") else prelude
                body = m.end()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                if selector is not None:
                    yield selector[-MAX_SELECTOR:], css[body : m.start()]
                start = m.end()
        else:  # a stray closing brace
            start = m.end()


def stylesheet_risk(css: bytes) -> str | None:
    """A top-level rule of ``css`` (a stylesheet or a ``<style>`` block) that hides the footer:
    ``footer.footer { display: none }``. Rules inside ``@media`` and other at-blocks are
    skipped: they apply to other screens, or are rare enough to leave to ``--render always``."""
    css = _COMMENT.sub(b" ", css[:MAX_SHEET_BYTES])
    for selector, declarations in _top_level_rules(css):
        if _footer_selector(selector):
            hiding = _hides(declarations, colour=False)
            if hiding:
                selector_text = " ".join(selector.decode("utf-8", "replace").split())[:80]
                return f"{selector_text} {{{hiding}}}"
    return None


_STYLE_OPEN = re.compile(rb"<style\b[^>]{0,1000}>", re.IGNORECASE)
_STYLE_CLOSE = re.compile(rb"</style\s*>", re.IGNORECASE)
_SHEET_LINK = re.compile(rb"<link\b[^>]{0,2000}>", re.IGNORECASE)
_REL_STYLESHEET = re.compile(rb"""\brel\s*=\s*["']?stylesheet\b""", re.IGNORECASE)
_HREF = re.compile(
    rb"""\bhref\s*=\s*(?:"([^"]{1,2000})"|'([^']{1,2000})'|([^\s>"']{1,2000}))""", re.I
)
MAX_SHEETS = 3  # linked stylesheets fetched for a page that shows its number


def style_blocks(body: bytes) -> bytes:
    """The page's ``<style>`` blocks, joined, at most ``MAX_SHEET_BYTES``."""
    out, size = [], 0
    for m in _STYLE_OPEN.finditer(body):
        end = _STYLE_CLOSE.search(body, m.end())
        block = body[m.end() : end.start() if end else len(body)]
        out.append(block[: MAX_SHEET_BYTES - size])
        size += len(out[-1])
        if size >= MAX_SHEET_BYTES or not end:
            break
    return b"\n".join(out)


def stylesheet_links(body: bytes) -> list[str]:
    """The first ``MAX_SHEETS`` ``<link rel=stylesheet href=…>`` of the page, as written."""
    hrefs: list[str] = []
    for m in _SHEET_LINK.finditer(body):
        if _REL_STYLESHEET.search(m.group()):
            href = _HREF.search(m.group())
            if href:
                hrefs.append((href[1] or href[2] or href[3]).decode("utf-8", "replace").strip())
                if len(hrefs) == MAX_SHEETS:
                    break
    return hrefs


def page_style_risk(body: bytes, finding: Finding) -> str | None:
    """Why the page's own styles (inline, ``<style>`` blocks) may hide its shown number, or
    None; None too when no number is shown. Computed by the check worker beside the finding:
    the ``<style>`` scan is a millisecond of Python on a page with ~50 KB of inline CSS, too
    much for the crawl's one thread. Linked sheets are the render policy's (render/policy.py)."""
    if finding.verdict not in SHOWN:
        return None
    inline = inline_style_risk(body, finding)
    if inline:
        return f"{inline} may hide it"
    rule = stylesheet_risk(style_blocks(body))
    return f"a <style> block may hide the footer ({rule})" if rule else None
