"""Tier 2 of the check: only when tier 1 found a candidate, the page is parsed with lxml, with a
marker inserted at each candidate so only the blocks around them are walked. The walk decides
visibility (comments, scripts, attributes, ``hidden``, inline ``display:none``), region (footer
or body) and the element path. Pages nested deeper than lxml allows are flattened and parsed
again.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from crawler.check.finding import CONTEXT_CHARS, MAX_DEPTH, MAX_FOUND, MAX_MARKS
from crawler.check.footer_names import names_footer
from crawler.check.scan import LABEL_RE, SPACE_RE, RawPage, capped, strip_tags
from crawler.check.signals import nonspace_len, static_text
from crawler.licences.numbers import (
    LicenceNumber,
    find_numbers,
    normalise,
)

_MARK = "\ue000"
_MARK_BASE = 0xF0000
_MARK_RE = re.compile("\ue000[\U000f0000-\U000fffff]")
_SEP = "\ue001"  # block boundary in a text flow: not a space, so numbers never span it
_PARSER = etree.HTMLParser(
    encoding="utf-8",
    huge_tree=True,
    remove_pis=True,
    no_network=True,
    collect_ids=False,
    default_doctype=False,
)
#: Candidates in page text get a marker element (found by a C-level iter, no XPath over every
#: text node); those in attributes, comments and raw text get marker characters only.
_MARK_TAG = "icpwm"
_ATTR_HITS = etree.XPath("//@*[contains(., $m)]")
_COMMENT_HITS = etree.XPath("//comment()[contains(., $m)]")
_RAWTEXT_HITS = etree.XPath(
    "//script/text()[contains(., $m)] | //style/text()[contains(., $m)]"
    " | //title/text()[contains(., $m)] | //textarea/text()[contains(., $m)]"
)
_TEXT_HITS = etree.XPath("//text()[contains(., $m)]")

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "button",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "frameset",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hgroup",
        "hr",
        "html",
        "iframe",
        "img",
        "input",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "noscript",
        "ol",
        "option",
        "p",
        "pre",
        "section",
        "select",
        "summary",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "title",
        "tr",
        "ul",
        "video",
        "audio",
        "canvas",
        "object",
        "embed",
        "svg",
    ]
)
#: Elements whose content visitors do not see.
HIDING_TAGS = frozenset(
    ["script", "style", "template", "noscript", "head", "title", "iframe", "noembed", "noframes"]
)
#: Elements whose content the parser keeps as raw text.
_RAWTEXT_TAGS = frozenset(["script", "style", "title"])
#: Inside these, footer tags and names belong to that part (an article's footer), not the page.
_PART_TAGS = frozenset(["article", "aside", "nav", "header"])
#: How many earlier siblings are looked at for a page footer.
_SIBLINGS = 16


def _after_footer(el: Any) -> bool:
    """A later sibling of a page footer (copyright strip or link row after ``<footer>``)."""
    sib = el.getprevious()
    for _ in range(_SIBLINGS):
        if sib is None:
            return False
        if isinstance(sib.tag, str) and sib.tag not in HIDING_TAGS and names_footer(sib, True):
            return True
        sib = sib.getprevious()
    return False


DISPLAY_RE = re.compile(r"(?:^|;)\s*display\s*:\s*([a-z-]+)", re.IGNORECASE)
VISIBILITY_RE = re.compile(r"(?:^|;)\s*visibility\s*:\s*([a-z-]+)", re.IGNORECASE)
_TAIL_RE = re.compile(r"\s*号?(?:\s*-\s*(\d{1,3})(?!\s?\d))?")


def _aligned(text: str) -> str:
    """:func:`normalise` keeping one character per character, so offsets map back to the page."""
    norm = normalise(text)
    if len(norm) == len(text):
        return norm
    table = {}  # per distinct character, not per character: linear on hostile text
    for ch in set(text):
        n = normalise(ch)
        if len(n) == 1 and n != ch:
            table[ord(ch)] = n
    return text.translate(table)


@dataclass(frozen=True, slots=True)
class _State:
    hidden: str | None  # display-level reason (cannot be undone by descendants)
    invisible: bool  # visibility:hidden (a descendant may set visibility:visible)
    footer: bool
    part: bool = False  # inside an article, aside, nav or header: its footers are not the page's

    @property
    def reason(self) -> str | None:
        return self.hidden or ("visibility:hidden" if self.invisible else None)


def _step(el: Any, st: _State) -> _State:
    """State inside ``el`` given the state around it."""
    tag = el.tag
    hidden, invisible, footer, part = st.hidden, st.invisible, st.footer, st.part
    style = el.get("style")
    display = None
    if style:
        d = DISPLAY_RE.findall(style)
        display = d[-1].lower() if d else None
        v = VISIBILITY_RE.findall(style)
        if v:
            invisible = v[-1].lower() in ("hidden", "collapse")
    if hidden is None:
        if tag in HIDING_TAGS:
            hidden = tag
        elif display == "none":
            hidden = "display:none"
        elif el.get("hidden") is not None and display is None:
            hidden = "hidden attribute"
    if not footer:
        footer = not part and names_footer(el)
        part = part or tag in _PART_TAGS
    if (
        hidden == st.hidden
        and invisible == st.invisible
        and footer == st.footer
        and part == st.part
    ):
        return st
    return _State(hidden, invisible, footer, part)


def _chain_step(el: Any, st: _State) -> _State:
    """:func:`_step` for an ancestor of a hit, which also looks at its earlier siblings."""
    st = _step(el, st)
    if not st.footer and not st.part and _after_footer(el):
        return replace(st, footer=True)
    return st


_ROOT_STATE = _State(None, False, False)


def _state_of(el: Any) -> _State:
    """State inside ``el``, from its ancestors down."""
    chain = []
    while el is not None:
        chain.append(el)
        el = el.getparent()
    st = _ROOT_STATE
    for anc in reversed(chain):
        if isinstance(anc.tag, str):
            st = _chain_step(anc, st)
    return st


class _Flow:
    """Text of one region in document order, with the element owning each piece."""

    __slots__ = ("marks", "owners", "parts", "size", "starts", "states")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.owners: list[Any] = []
        self.states: list[_State] = []
        self.marks: list[tuple[int, int]] = []  # (offset in the flow, marker index)
        self.size = 0

    def add(self, text: str, owner: Any, st: _State) -> None:
        if _MARK in text:
            if _MARK_OPEN in text:  # a marker element the parser kept as raw text
                text = text.replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")
            removed = 0
            for m in _MARK_RE.finditer(text):
                self.marks.append((self.size + m.start() - removed, ord(m[0][1]) - _MARK_BASE))
                removed += len(m[0])
            text = _MARK_RE.sub("", text)
        if text:
            self.parts.append(text)
            self.starts.append(self.size)
            self.owners.append(owner)
            self.states.append(st)
            self.size += len(text)

    def sep(self) -> None:
        if self.parts and self.parts[-1] != _SEP:
            self.parts.append(_SEP)
            self.starts.append(self.size)
            self.owners.append(None)
            self.states.append(_ROOT_STATE)
            self.size += 1

    def text(self) -> str:
        return "".join(self.parts)

    def at(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1


def _walk(container: Any, outer: _State) -> tuple[_Flow, list[tuple[Any, str, _Flow]]]:
    """Visible flow of ``container`` and one flow per hidden subtree (root, reason, flow).

    Raw-text elements (script, style …) are skipped: their markers are read from the XPath hits.
    """
    visible = _Flow()
    hidden: list[tuple[Any, str, _Flow]] = []
    flows: dict[int, _Flow] = {}

    def flow_for(state: _State, root: Any) -> _Flow:
        if state.reason is None:
            return visible
        f = flows.get(id(root))
        if f is None:
            f = flows[id(root)] = _Flow()
            hidden.append((root, state.reason, f))
        return f

    root0 = container if outer.reason else None
    f = flow_for(outer, root0)
    if container.tag in _BLOCK_TAGS:
        f.sep()
    if container.text and container.tag not in _RAWTEXT_TAGS:
        f.add(container.text, container, outer)
    # open: (False, el, state around it, hidden root around it)
    # close: (True, el, state inside, root inside, state around, root around)
    stack: list[tuple[Any, ...]] = [(True, container, outer, root0, None, None)]
    stack.extend((False, child, outer, root0) for child in reversed(container))
    while stack:
        item = stack.pop()
        if item[0]:
            _, el, est, root, pst, proot = item
            if el.tag in _BLOCK_TAGS:
                flow_for(est, root).sep()
            if pst is not None and el.tail:
                flow_for(pst, proot).add(el.tail, el.getparent(), pst)
            continue
        _, el, pst, proot = item
        if not isinstance(el.tag, str):  # comment / PI: only its tail is text
            if el.tail:
                flow_for(pst, proot).add(el.tail, el.getparent(), pst)
            continue
        est = _step(el, pst)
        if est.reason is None:
            root = None
        elif pst.reason is not None:
            root = proot
        else:
            root = el
        f = flow_for(est, root)
        if el.tag in _BLOCK_TAGS:
            f.sep()
        if el.text and el.tag not in _RAWTEXT_TAGS:
            f.add(el.text, el, est)
        stack.append((True, el, est, root, pst, proot))
        stack.extend((False, child, est, root) for child in reversed(el))
    return visible, hidden


def _lca(a: Any, b: Any) -> Any:
    if a is b:
        return a
    seen = set()
    x = a
    while x is not None:
        seen.add(x)
        x = x.getparent()
    x = b
    while x is not None and x not in seen:
        x = x.getparent()
    return x if x is not None else a


def _snippet(text: str, start: int, end: int) -> str:
    """At most CONTEXT_CHARS characters around text[start:end], spaces collapsed."""

    def clean(s: str) -> str:
        return SPACE_RE.sub(" ", s.replace(_SEP, " "))

    mid = clean(text[start:end]).strip()
    room = max(0, CONTEXT_CHARS - len(mid))
    left = clean(text[max(0, start - 200) : start]).lstrip()
    right = clean(text[end : end + 200]).rstrip()
    keep_left = min(len(left), room // 2 + max(0, room // 2 - len(right)))
    keep_right = min(len(right), room - keep_left)
    left = left[len(left) - keep_left :] if keep_left else ""
    return (left + mid + right[:keep_right])[:CONTEXT_CHARS]


@dataclass(slots=True)
class Occurrence:
    number: LicenceNumber
    raw: str
    context: str
    element: Any
    path_suffix: str
    footer: bool
    marks: list[int]
    visible: bool
    where: str
    suffix: str | None


@dataclass(slots=True)
class LabelHit:
    text: str
    element: Any
    href: str | None
    src: str | None
    footer: bool
    marks: list[int]
    context: str


def _numbers_in(text: str) -> Iterator[tuple[LicenceNumber, int, int, str | None]]:
    """(number, start, end including 号/suffix, suffix) in aligned-normalised ``text``."""
    for m in find_numbers(text, typos=True):
        tail = _TAIL_RE.match(text, m.end)
        end = m.end
        suffix = None
        if tail and tail.end() > m.end:
            end = tail.end()
            if tail.group(1):
                suffix = f"-{tail.group(1)}"
        yield m.number, m.start, end, suffix


def _first(items: Iterable[Any], what: str, notes: list[str]) -> Iterator[Any]:
    """At most MAX_FOUND items, noting when there were more."""
    for n, item in enumerate(items):
        if n == MAX_FOUND:
            notes.append(f"more than {MAX_FOUND} {what} in one block: the rest not read")
            return
        yield item


def _marks_in(flow: _Flow, offsets: list[int], start: int, end: int) -> list[int]:
    """Markers between ``start`` and ``end`` in the flow, else all of the flow's."""
    inside = flow.marks[bisect_left(offsets, start) : bisect_left(offsets, end)]
    return [k for _, k in (inside or flow.marks)]


#: A block's text longer than this is read only around its markers (hostile pages).
_FLOW_WHOLE = 65536
_AROUND = 600


def _read(flow: _Flow, raw: str) -> Iterator[tuple[int, str]]:
    """(offset, aligned-normalised text) of the parts of a flow to search: all of it, or for a
    large flow the merged stretches around its markers."""
    if len(raw) <= _FLOW_WHOLE:
        yield 0, _aligned(raw)
        return
    start = end = -1
    for at, _ in flow.marks:
        if at - _AROUND > end:
            if end != -1:
                yield start, _aligned(raw[start:end])
            start = max(0, at - _AROUND)
        end = at + _AROUND
    if end != -1:
        yield start, _aligned(raw[start:end])


def _flow_numbers(
    flow: _Flow, visible: bool, where: str, notes: list[str]
) -> tuple[list[Occurrence], list[tuple[int, int]]]:
    raw = flow.text()
    found = []
    spans = []
    offsets = [at for at, _ in flow.marks]
    numbers = (
        (number, start + a, end + a, suffix)
        for a, norm in _read(flow, raw)
        for number, start, end, suffix in _numbers_in(norm)
    )
    for number, start, end, suffix in _first(numbers, "licence numbers", notes):
        i, j = flow.at(start), flow.at(max(start, end - 1))
        first, last = flow.owners[i], flow.owners[j]
        element = _lca(first, last) if first is not None and last is not None else first
        state = flow.states[i]
        marks = _marks_in(flow, offsets, start, end)
        found.append(
            Occurrence(
                number,
                raw[start:end].strip(),
                _snippet(raw, start, end),
                element,
                "",
                state.footer,
                marks,
                visible,
                where,
                suffix,
            )
        )
        spans.append((start, end))
    return found, spans


def _ancestor_link(el: Any) -> Any:
    x = el
    while x is not None:
        if x.tag in ("a", "area") and x.get("href") is not None:
            return x
        x = x.getparent()
    return None


def _link_and_image(el: Any) -> tuple[str | None, str | None]:
    link = _ancestor_link(el)
    href = link.get("href") if link is not None else None
    src = None
    if el.tag in ("img", "input", "image"):
        src = el.get("src")
    elif link is not None:
        img = next(link.iter("img"), None)
        if img is not None:
            src = img.get("src")
    return href, src


def _flow_labels(flow: _Flow, taken: list[tuple[int, int]], notes: list[str]) -> list[LabelHit]:
    raw = flow.text()
    labels = []
    offsets = [at for at, _ in flow.marks]
    ends = [e for _, e in taken]  # spans are in order and do not overlap
    found = (
        (m.start() + a, m.end() + a)
        for a, norm in _read(flow, raw)
        for m in LABEL_RE.finditer(norm)
    )
    for start, end in _first(found, "licence labels", notes):
        i = bisect_right(ends, start)
        if i < len(taken) and taken[i][0] < end:
            continue
        i = flow.at(start)
        owner = flow.owners[i]
        href, src = _link_and_image(owner)
        labels.append(
            LabelHit(
                raw[start:end],
                owner,
                href,
                src,
                flow.states[i].footer,
                _marks_in(flow, offsets, start, end),
                _snippet(raw, start, end),
            )
        )
    return labels


def _raw_numbers(
    text: str, element: Any, where: str, footer: bool, suffix_path: str, notes: list[str]
) -> list[Occurrence]:
    """Numbers in raw text that nobody sees (comment, script, attribute), around each marker."""
    marks = [ord(m[1]) - _MARK_BASE for m in _MARK_RE.findall(text)]
    if len(text) > 4000:
        pieces = []
        for m in _MARK_RE.finditer(text):
            pieces.append(text[max(0, m.start() - 600) : m.end() + 600])
        text = _SEP.join(pieces)
    text = _MARK_RE.sub("", text)
    if "<" in text:
        text = strip_tags(text)
    if "&" in text:
        text = html.unescape(text)
    norm = _aligned(text)
    out = []
    seen = set()
    for number, start, end, suffix in _first(_numbers_in(norm), "licence numbers", notes):
        raw = text[start:end].strip()
        if (number, raw) in seen:
            continue
        seen.add((number, raw))
        out.append(
            Occurrence(
                number,
                raw,
                _snippet(text, start, end),
                element,
                suffix_path,
                footer,
                marks,
                False,
                where,
                suffix,
            )
        )
    return out


@dataclass(slots=True)
class _Parsed:
    occurrences: list[Occurrence]
    labels: list[LabelHit]
    tree: Any
    notes: list[str]


_MARK_OPEN = f"<{_MARK_TAG}>"
_MARK_CLOSE = f"</{_MARK_TAG}>"
#: Places whose content the parser turns into elements: they get marker elements.
_ELEMENT_KINDS = frozenset({"text", "template", "noscript"})


def mark_candidates(raw: RawPage, positions: Iterable[int]) -> tuple[bytes, set[str], int]:
    """The page with a marker at each candidate, the kinds of place they are in, and how many
    marker elements were inserted."""
    b = raw.b
    parts = []
    kinds: set[str] = set()
    elements = 0
    prev = 0
    unique = capped(sorted(set(positions)), MAX_MARKS, "licence candidates", raw.notes)
    for i, pos in enumerate(unique):
        parts.append(b[prev:pos])
        chars = _MARK + chr(_MARK_BASE + i)
        kind = raw.hidden_context(pos) or "text"
        kinds.add(kind)
        if kind in _ELEMENT_KINDS:
            parts.append((_MARK_OPEN + chars + _MARK_CLOSE).encode())
            elements += 1
        else:
            parts.append(chars.encode())
        prev = pos
    parts.append(b[prev:])
    return b"".join(parts), kinds, elements


def _hits(root: Any, kinds: set[str], wanted: int) -> Iterator[Any]:
    """Marked nodes: marker elements, then only the XPath searches the marker kinds need."""
    found = 0
    for el in root.iter(_MARK_TAG):
        found += 1
        yield el
    if found < wanted:  # a marker element landed in raw text the cheap context check missed
        yield from _TEXT_HITS(root, m=_MARK)
    elif kinds - _ELEMENT_KINDS - {"comment", "attribute"}:
        yield from _RAWTEXT_HITS(root, m=_MARK)
    if "comment" in kinds:
        yield from _COMMENT_HITS(root, m=_MARK)
    if "attribute" in kinds:
        yield from _ATTR_HITS(root, m=_MARK)


_TAG_TOKEN_RE = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9-]{0,30})[^<>]{0,2000}?(/?)>")
_VOID_TAGS = frozenset(
    b"area base br col embed hr img input link meta param source track wbr".split()
)


def _flatten(page: bytes) -> bytes:
    """The page without the tags nested deeper than MAX_DEPTH (as Chromium does), for lxml,
    which drops everything after the point where the nesting passes its limit."""
    depth = 0

    def keep(m: re.Match[bytes]) -> bytes:
        nonlocal depth
        name = m.group(2).lower()
        if name in _VOID_TAGS or m.group(3) or name == _MARK_TAG.encode():
            return m.group(0)
        if m.group(1):
            depth = max(0, depth - 1)
            return m.group(0) if depth < MAX_DEPTH else b""
        depth += 1
        return m.group(0) if depth <= MAX_DEPTH else b""

    return _TAG_TOKEN_RE.sub(keep, page)


def _too_deep(parser: Any) -> bool:
    return any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)


def parse_marked(marked: bytes, kinds: set[str], wanted: int) -> _Parsed | None:
    notes: list[str] = []
    try:
        root = etree.fromstring(marked, _PARSER)
        if _too_deep(_PARSER):
            root = etree.fromstring(_flatten(marked), _PARSER)
            notes.append(f"nesting deeper than lxml parses: tags below level {MAX_DEPTH} ignored")
            if _too_deep(_PARSER):
                notes.append("nesting too deep: the page was parsed only in part")
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    tree = root.getroottree()
    occurrences: list[Occurrence] = []
    labels: list[LabelHit] = []
    containers: dict[Any, None] = {}
    seen: set[Any] = set()
    states: dict[Any, _State] = {}
    blocks: dict[Any, Any] = {}

    def state_of(el: Any) -> _State:
        """:func:`_state_of`, remembering every ancestor's state (deep trees, many hits)."""
        chain = []
        while el is not None and el not in states:
            chain.append(el)
            el = el.getparent()
        st = _ROOT_STATE if el is None else states[el]
        for anc in reversed(chain):
            if isinstance(anc.tag, str):
                st = _chain_step(anc, st)
            states[anc] = st
        return st

    def block_of(el: Any) -> Any:
        """The nearest block element around ``el`` (or the root), remembered on the way up."""
        chain = []
        while el not in blocks and el.tag not in _BLOCK_TAGS and el.getparent() is not None:
            chain.append(el)
            el = el.getparent()
        block = blocks.get(el, el)
        for x in chain:
            blocks[x] = block
        return block

    for hit in _hits(root, kinds, wanted):
        if isinstance(hit, etree._Element) and hit.tag == _MARK_TAG:
            owner = hit.getparent()
            if owner is None:
                continue
        elif isinstance(hit, etree._Comment):
            if hit in seen:
                continue
            seen.add(hit)
            parent = hit.getparent()
            st = state_of(parent) if parent is not None else _ROOT_STATE
            occurrences += _raw_numbers(hit.text or "", hit, "comment", st.footer, "", notes)
            continue
        else:
            el = hit.getparent()
            if el is None:
                continue
            if hit.is_attribute:
                name = hit.attrname
                st = state_of(el)
                where = "meta" if el.tag == "meta" else f"attribute:{name}"
                occurrences += _raw_numbers(str(hit), el, where, st.footer, f"/@{name}", notes)
                if (
                    name in ("alt", "title")
                    and el.tag in ("img", "area", "input", "a")
                    and st.reason is None
                ):
                    labels += _attribute_label(str(hit), el, st)
                continue
            owner = el.getparent() if hit.is_tail else el
            if owner is None:
                continue
            if owner.tag == _MARK_TAG:  # the text inside a marker element (fallback search)
                owner = owner.getparent()
                if owner is None:
                    continue
            elif owner.tag in _RAWTEXT_TAGS:
                st = state_of(owner)
                text = str(hit).replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")
                occurrences += _raw_numbers(text, owner, owner.tag, st.footer, "", notes)
                continue
        containers[block_of(owner)] = None
    # Walk each block once; a block inside another chosen block is covered by the outer one.
    covered: dict[Any, bool] = {c: True for c in containers}
    for container in containers:
        chain = []
        anc = container.getparent()
        while anc is not None and anc not in covered:
            chain.append(anc)
            anc = anc.getparent()
        inside = anc is not None and covered[anc]
        for x in chain:
            covered[x] = inside
        if inside:
            continue
        parent = container.getparent()
        outer = _chain_step(container, state_of(parent) if parent is not None else _ROOT_STATE)
        visible, hidden = _walk(container, outer)
        found, spans = _flow_numbers(visible, True, "text", notes)
        occurrences += found
        labels += _flow_labels(visible, spans, notes)
        for root_el, reason, flow in hidden:
            found, _ = _flow_numbers(flow, False, reason, notes)
            for occ in found:
                occ.element = root_el if occ.element is None else occ.element
            occurrences += found
    return _Parsed(occurrences, labels, tree, notes)


def _attribute_label(value: str, el: Any, st: _State) -> list[LabelHit]:
    """alt/title of a visible image or link naming the licence: an image label."""
    text = _aligned(_MARK_RE.sub("", value))
    m = LABEL_RE.search(text)
    if not m or any(True for _ in find_numbers(text, typos=True)):
        return []
    href, src = _link_and_image(el)
    return [LabelHit(m.group(0), el, href, src, st.footer, [], _snippet(text, m.start(), m.end()))]


def text_fractions(marked: bytes) -> tuple[dict[int, tuple[float, int]], int]:
    """Per surviving marker: its position in the page's static visible text (0 to 1) and how
    many visible characters follow it; and how many there are in all."""
    text = static_text(marked.lower()) if marked else ""
    total = 0
    at: dict[int, int] = {}
    last = 0
    for m in _MARK_RE.finditer(text):
        total += nonspace_len(text[last : m.start()])
        at[ord(m.group(0)[1]) - _MARK_BASE] = total
        last = m.end()
    total += nonspace_len(text[last:])
    return ({k: (v / total, total - v) for k, v in at.items()} if total else {}), total
