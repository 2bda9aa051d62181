"""The footer rules' literal needles on the raw page (tier 1, beside crawler/check/scan.py): links
to the police filing system and business-licence evidence (营业执照 in text, a badge link or
image). Each needle is one ``bytes.find`` pass and every hit is checked on its own tag, capped:
work stays linear in the page, and runs only for the rules that read it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from crawler.check.finding import MAX_ANCHORS, MAX_LINK_HITS
from crawler.check.scan import (
    IMG_TAG_RE,
    LINK_TAG_RE,
    SPACE_RE,
    PageScan,
    RawPage,
    link_href,
    window,
)

#: Literal needles for the footer rules (crawler/check/rules): registry hosts under gov.cn (the
#: police filing system, business-licence 亮照 badges) and the business licence named in text or
#: an image. Each is one bytes.find pass (~0.5 ns a byte); every hit is checked on its own tag.
_GOV_NEEDLE = b"gov.cn"
_BIZ_TEXT_NEEDLE = "营业执照".encode()
_BIZ_IMAGE_NEEDLES = (b"yyzz", b"licen")  # yyzz.jpg, business_license.png, alt="license"
MAX_BIZ_EVIDENCE = 3  # business-licence evidence kept: one is enough for BIZ001
#: The host name before "gov.cn", matched on the reversed bytes: "www.beian." for www.beian.gov.cn.
_HOST_TAIL_RE = re.compile(rb"[a-z0-9.-]{0,60}")
_MPS_HOST_RE = re.compile(rb"(?:^|\.)beian\.(?:mps\.)?$")
_BIZ_HOST_RE = re.compile(rb"(?:^|\.)(?:(?:gsxt|sgs|hd315|[a-z0-9-]*aic)\.$|scjgj[a-z0-9-]*\.)")
#: An image naming the telecom licence (icp_license.jpg, alt="经营许可证") is not the business
#: licence.
_TELECOM_IMAGE_RE = re.compile(rb"icp|\xe8\xae\xb8\xe5\x8f\xaf\xe8\xaf\x81")  # icp, 许可证


def rule_needles(raw: RawPage, out: PageScan, *, police: bool, business: bool) -> None:
    """The rules' literal needles, run only for the rules that read them: links to the police
    filing system when a police filing is shown (PSB002), business-licence evidence unless BIZ001
    is switched off for the licence (most licensees are not e-commerce operators)."""
    if police or business:
        _registry_links(raw, out, business)
    if business and not out.business_licence:
        _business_licence(raw, out)


def _finds(hay: bytes, needle: bytes, cap: int) -> Iterator[int]:
    """The first ``cap`` positions of ``needle`` (bytes.find: one literal pass in C)."""
    pos = hay.find(needle)
    while pos != -1 and cap > 0:
        yield pos
        cap -= 1
        pos = hay.find(needle, pos + 1)


def _registry_links(raw: RawPage, out: PageScan, business: bool = True) -> None:
    """Links to the police filing system (beian.mps.gov.cn, beian.gov.cn) and to business-licence
    hosts (gsxt.gov.cn, scjgj…, sgs.gov.cn, …aic.gov.cn, hd315.gov.cn): a literal scan for
    "gov.cn", then the host name before each hit, read backwards from it."""
    low = raw.low
    examined = 0
    for pos in _finds(low, _GOV_NEEDLE, MAX_ANCHORS):
        examined += 1
        host = _HOST_TAIL_RE.match(low[max(0, pos - 60) : pos][::-1])
        name = host.group()[::-1] if host else b""
        mps = _MPS_HOST_RE.search(name) is not None
        biz = business and not mps and _BIZ_HOST_RE.search(name) is not None
        if not (mps or biz):
            continue
        href = link_href(raw, pos)
        if href is not None:
            if len(out.links) < MAX_LINK_HITS:
                out.links.append(href)
            if biz:
                _biz(out, f"link {href}")
        elif biz and raw.hidden_context(pos) == "attribute":
            lt = raw.tag_start(pos)
            if IMG_TAG_RE.match(low, lt):
                _biz(out, "image " + _tag_text(raw, lt))
    if examined == MAX_ANCHORS:
        raw.notes.append(f"{MAX_ANCHORS} gov.cn host names examined: the rest not checked")


def _business_licence(raw: RawPage, out: PageScan) -> None:
    """营业执照 in the page text or an image/link attribute, else an image named yyzz / license."""
    low = raw.low
    for pos in _finds(low, _BIZ_TEXT_NEEDLE, MAX_LINK_HITS):
        where = raw.hidden_context(pos)
        if where is None:
            text, idx = window(raw.b, pos, 60, 60)
            # The window may start or end inside a tag: keep only the text around the hit.
            before = text[max(0, idx - 24) : idx].rpartition(">")[2]
            after = text[idx : idx + 36].partition("<")[0]
            _biz(out, "text " + SPACE_RE.sub(" ", before + after).strip())
        elif where == "attribute":
            lt = raw.tag_start(pos)
            if IMG_TAG_RE.match(low, lt):
                _biz(out, "image " + _tag_text(raw, lt))
            elif LINK_TAG_RE.match(low, lt):
                _biz(out, "link " + _tag_text(raw, lt))
        if len(out.business_licence) >= MAX_BIZ_EVIDENCE:
            return
    for needle in _BIZ_IMAGE_NEEDLES:
        if out.business_licence:
            return
        for pos in _finds(low, needle, MAX_LINK_HITS):
            # The cheap question first: most hits (licence comments in scripts) are in no <img>.
            lt = raw.tag_start(pos)
            if lt == -1 or not IMG_TAG_RE.match(low, lt):
                continue
            if raw.hidden_context(pos) != "attribute":  # an <img> written by a script
                continue
            end = low.find(b">", pos, pos + 2000)
            if not _TELECOM_IMAGE_RE.search(low, lt, end if end != -1 else pos + 200):
                _biz(out, "image " + _tag_text(raw, lt))
                return


def _biz(out: PageScan, evidence: str) -> None:
    if len(out.business_licence) < MAX_BIZ_EVIDENCE and evidence not in out.business_licence:
        out.business_licence.append(evidence)


def _tag_text(raw: RawPage, lt: int) -> str:
    """The tag starting at ``lt``, decoded, spaces collapsed, at most 120 characters."""
    end = raw.b.find(b">", lt, lt + 2000)
    tag = raw.b[lt : end + 1 if end != -1 else lt + 200].decode("utf-8", "replace")
    tag = SPACE_RE.sub(" ", html.unescape(tag))
    return tag if len(tag) <= 120 else tag[:119] + "…"
