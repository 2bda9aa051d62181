"""Rendering homepages in headless Chromium (Playwright, see crawler/render/browser.py): when to
render, the browser's arguments, the visibility measurements, and the screenshot evidence.

The verdict rules stay pure (crawler/check/rendered.py); this module is the browser glue.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.check.decide import check_page
from crawler.check.finding import MIN_CONTRAST, MIN_FONT_PX, Finding
from crawler.check.outcome import Screenshot
from crawler.check.rendered import ElementFacts, apply_browser, evidence_key
from crawler.check.rules import Expected
from crawler.check.signals import AD_STATS_HOSTS
from crawler.fetch.addresses import literal_refusal

RENDER_MODES = ("auto", "never", "always")
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # One renderer per page, not one per cross-site ad iframe: the profile is fresh and holds
    # nothing to isolate, and the page's blocked URLs (BLOCKED_URLS) then cover its frames too.
    "--disable-site-isolation-trials",
    "--disable-features=IsolateOrigins,site-per-process",
]
#: Without screenshots nothing needs to be seen: no images, no web fonts, no autoplaying media.
#: Chromium's own switches, so no request is routed through Python to be refused.
LIGHT_ARGS = [
    "--blink-settings=imagesEnabled=false",
    "--disable-remote-fonts",
    "--autoplay-policy=user-gesture-required",
]
#: Requests a rendered page may not make unless ``--allow-private``: URLs whose host is an
#: address literal or a localhost name. Chromium hands routes canonical URLs (``2130706433``,
#: ``0x7f.1`` and ``127.1`` arrive as ``127.0.0.1``), and Playwright matches this pattern in its
#: driver, so only these few requests reach Python, where :func:`refused` judges them
#: (a public address literal goes on). A route on every request would send every subresource
#: through Python; no Chromium switch matches address literals or ranges.
PRIVATE_CANDIDATES = re.compile(
    r"^[a-z][a-z0-9+.-]*://(?:[^/?#@]*@)?(?:\[[^\]]*\]|[0-9.]+|(?:[^/?#:]*\.)?localhost\.?)"
    r"(?::[0-9]*)?(?:[/?#]|$)",
    re.IGNORECASE,
)
#: Chromium's proxy bypass rule that sends loopback names (``localhost``, the machine's own
#: name) through the proxy too: the guard proxy (crawler/render/guard_proxy.py) judges them.
PROXY_LOOPBACK = "<-loopback>"
#: Chromium fails these in the page (CDP ``Network.setBlockedURLs``, no request through Python):
#: ads and statistics never show a licence line, and on the real web they are the sub-requests
#: that fail slowly and hold ``load`` and the network-quiet wait.
BLOCKED_URLS = [
    pattern
    for host in (h.decode() for h in AD_STATS_HOSTS)
    for pattern in (f"*://{host}/*", f"*://*.{host}/*")
]
VIEWPORT = {"width": 1366, "height": 900}
SCREENSHOT_PAD = (240, 24)  # px left/right and above/below the number: its label shows too
BOTTOM_SHOT_HEIGHT = 600  # px of the page bottom when no number is shown
LOAD_WAIT_MS = 3000  # longest wait for ``load`` after DOMContentLoaded
SETTLE_MS = 3000  # longest wait for the network to go quiet after that


def refused(url: str) -> bool:
    """Whether a rendered page may not load ``url`` (its host is a non-public address)."""
    return literal_refusal(urlsplit(url).hostname or "") is not None


#: Runs in the page. For each evidence [XPath, raw text]: find the text inside the element,
#: then judge every element the text runs through (split spans) as a visitor would see it.
VISIBILITY_JS = """
([items, minFont, minContrast]) => {
  const doc = document.documentElement;
  const height = Math.max(doc.scrollHeight, document.body ? document.body.scrollHeight : 0);
  const footerLike = /foot|copyright|beian|bottom|(^|[-_\\s])ft($|[-_\\s])/i;
  const rgba = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let a = el; a; a = a.parentElement) {
      const c = rgba(getComputedStyle(a).backgroundColor);
      if (c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];
  };
  const locate = (block, raw) => {  // the text nodes holding raw, and its box
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    const nodes = [];
    let text = "";
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push([n, text.length]);
      text += n.data;
    }
    const at = text.indexOf(raw);
    if (at < 0) return {elements: [block], rect: block.getBoundingClientRect()};
    const end = at + raw.length;
    const hit = nodes.filter(([n, s]) => s < end && s + n.data.length > at);
    const range = document.createRange();
    range.setStart(hit[0][0], at - hit[0][1]);
    const [last, lastStart] = hit[hit.length - 1];
    range.setEnd(last, end - lastStart);
    return {elements: hit.map(([n]) => n.parentElement), rect: range.getBoundingClientRect()};
  };
  const judge = (el, r) => {  // why a visitor does not see el's text, or null
    if (el.closest("script,style,template,noscript,head,title")) return "not rendered";
    let opacity = 1;
    for (let a = el; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.display === "none") return "display:none";
      opacity *= parseFloat(s.opacity);
    }
    const style = getComputedStyle(el);
    if (style.visibility !== "visible") return "visibility:hidden";
    if (opacity < 0.1) return "opacity:0";
    if (r.width < 1 || r.height < 1) return "empty box";
    if (r.right + scrollX <= 0 || r.bottom + scrollY <= 0) return "off-page";
    for (let a = el.parentElement; a; a = a.parentElement) {
      const s = getComputedStyle(a);
      if (s.overflow === "visible" && s.clipPath === "none" && s.clip === "auto") continue;
      const b = a.getBoundingClientRect();
      if (b.width < 1 || b.height < 1 || r.right <= b.left || r.left >= b.right ||
          r.bottom <= b.top || r.top >= b.bottom) return "clipped";
    }
    const font = parseFloat(style.fontSize);
    if (font < minFont) return `font ${font}px`;
    const fg = lum(rgba(style.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < minContrast) return `contrast ${ratio.toFixed(2)}`;
    return null;
  };
  const out = {};
  for (const [path, raw] of items) {
    const key = path + "|" + raw;
    let node = null;
    try {
      node = document.evaluate(path, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null)
        .singleNodeValue;
    } catch (e) { node = null; }
    if (!node) { out[key] = {found: false}; continue; }
    if (node.nodeType !== 1) {
      const kind = node.nodeType === 8 ? "comment" : "attribute";
      out[key] = {found: true, visible: false, reason: kind};
      continue;
    }
    const {elements, rect} = locate(node, raw);
    let reason = null;
    for (const el of elements) { reason = reason || judge(el, rect); }
    let inFooter = rect.top + scrollY >= 0.75 * height;
    for (let a = elements[0]; a && !inFooter; a = a.parentElement) {
      const names = (a.id || "") + " " + (typeof a.className === "string" ? a.className : "");
      inFooter = a.tagName === "FOOTER" || a.getAttribute("role") === "contentinfo" ||
        footerLike.test(names);
    }
    out[key] = {found: true, visible: !reason, reason, in_footer: inFooter,
                box: [rect.left + scrollX, rect.top + scrollY, rect.width, rect.height]};
  }
  return {facts: out, height, width: doc.scrollWidth};
}
"""


async def settle(page: Any, timeout_ms: float = SETTLE_MS) -> None:
    """After DOMContentLoaded, wait (boundedly) for ``load``, then let scripts finish their
    requests (a footer fetched or timed in late); a page that never gets there is measured as
    it is. A sub-request that holds ``load`` past its wait keeps the network busy as well, so
    the quiet wait is skipped then (it could only time out)."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout  # crawls that render

    try:
        await page.wait_for_load_state("load", timeout=LOAD_WAIT_MS)
        await page.wait_for_load_state("networkidle", timeout=timeout_ms)
    except PlaywrightTimeout:
        return


async def rendered_finding(
    page: Any,
    expected: str,
    company: str | None,
    url: str,
    *,
    expected_filing: Expected | None = None,
    rules_off: Iterable[str] = (),
) -> tuple[Finding, dict[str, Any]]:
    """The footer check on the DOM as it is now, with visibility decided by the browser; the
    rules as the static check runs them (the host's filings, the licence's switches)."""
    html = await page.content()
    finding = check_page(
        html, expected, company=company, url=url, expected_filing=expected_filing,
        rules_off=rules_off,
    )  # fmt: skip
    items = [[e.path, e.raw] for e in (*finding.displayed, *finding.hidden)]
    measured = await page.evaluate(VISIBILITY_JS, [items, MIN_FONT_PX, MIN_CONTRAST])
    facts = {
        key: ElementFacts(
            found=f["found"],
            visible=f.get("visible", False),
            reason=f.get("reason"),
            in_footer=f.get("in_footer", False),
        )
        for key, f in measured["facts"].items()
    }
    return apply_browser(finding, facts), measured


async def _shot_of(page: Any, clip: dict[str, float]) -> bytes:
    """A PNG of a page region no taller than the viewport: scrolled to, then shot from the
    viewport. A full-page shot lays the whole page out again at its full height, which cost
    more than the rest of a render on long portal homepages (measured)."""
    scrolled = await page.evaluate(
        "y => { window.scrollTo(0, y); return window.scrollY; }", clip["y"]
    )
    if clip["height"] > VIEWPORT["height"] or clip["y"] - scrolled < 0:
        return await page.screenshot(full_page=True, clip=clip)
    return await page.screenshot(clip={**clip, "y": clip["y"] - scrolled})


async def take_screenshot(
    page: Any, finding: Finding, measured: dict[str, Any], dest: Path
) -> Screenshot:
    """The number's element (padded), or the bottom of the page when no number is shown."""
    shown = [e for e in finding.displayed if e.matches_expected] or list(finding.displayed)
    box = measured["facts"].get(evidence_key(shown[0]), {}).get("box") if shown else None
    width, height = measured["width"], measured["height"]
    if box:
        pad_x, pad_y = SCREENSHOT_PAD
        x, y = max(0.0, box[0] - pad_x), max(0.0, box[1] - pad_y)
        clip = {
            "x": x,
            "y": y,
            "width": min(width, box[0] + box[2] + pad_x) - x,
            "height": min(height, box[1] + box[3] + pad_y) - y,
        }
    else:
        top = max(0, height - BOTTOM_SHOT_HEIGHT)
        clip = {"x": 0, "y": top, "width": width, "height": height - top}
    png = await _shot_of(page, clip)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(png)
    return Screenshot(
        str(dest),
        len(png),
        hashlib.sha256(png).hexdigest(),
        (clip["x"], clip["y"], clip["width"], clip["height"]),
    )
