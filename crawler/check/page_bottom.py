"""Where the page bottom is: the footer check's reading of which block a reader sees as the
page's footer (its visible characters and what follows it), over the parsed tree."""

from __future__ import annotations

import re
from typing import Any

from crawler.check.footer_names import names_footer
from crawler.check.parse import DISPLAY_RE, HIDING_TAGS
from crawler.check.signals import nonspace_len

#: The largest block (visible characters) that can be a page's footer: a portal footer with its
#: link rows and friend links stays under it, a page's main part does not.
FOOTER_BLOCK_CHARS = 2500
#: … and at most this share of the page's text (on a short page the wrapper is small too).
FOOTER_BLOCK_SHARE = 0.5
#: Nodes :class:`PageBottom` visits per page at most (pathological pages).
_BOTTOM_BUDGET = 20000
_BOTTOM_STOP = frozenset(["body", "html"])
#: Overlays a reader does not see as page text: dialogs, back-to-top buttons, service widgets.
_OVERLAY_RE = re.compile(
    r"modal|popup|dialog|mask|overlay|toast|tooltip|go-?top|back-?top|to-?top|kefu", re.IGNORECASE
)


def _nonspace(text: str | None) -> int:
    return nonspace_len(text) if text else 0


def _unseen(el: Any) -> bool:
    """Content a reader does not see at the page bottom: hidden, raw text or an overlay."""
    if el.tag in HIDING_TAGS or el.get("hidden") is not None:
        return True
    style = el.get("style")
    if style:
        d = DISPLAY_RE.findall(style)
        if d and d[-1].lower() == "none":
            return True
    return any(_OVERLAY_RE.search(el.get(a) or "") for a in ("id", "class"))


class PageBottom:
    """Is an element in the last visible block of the page (an included footer template with no
    footer name)? The largest small block around it must be followed by almost no visible text,
    skipping hidden content and overlays. Answers are remembered; work is capped per page."""

    __slots__ = ("budget", "memo", "total")

    def __init__(self, total: int) -> None:
        self.total = total  # visible characters of the page (static text)
        self.budget = _BOTTOM_BUDGET
        self.memo: dict[Any, bool] = {}

    def _chars(self, el: Any, cap: int) -> int:
        """Visible characters inside ``el`` (not its tail), counting stops past ``cap``."""
        n = 0
        stack = [el]
        while stack and n <= cap:
            x = stack.pop()
            self.budget -= 1
            if self.budget < 0:
                return cap + 1
            if _unseen(x):
                continue
            n += _nonspace(x.text)
            for child in x:
                if isinstance(child.tag, str):
                    stack.append(child)
                n += _nonspace(child.tail)
        return n

    def _siblings(self, el: Any, cap: int, following: bool) -> int:
        """Visible characters of ``el``'s later (or earlier) siblings, with their tails."""
        n = _nonspace(el.tail) if following else 0
        sibs = el.itersiblings(preceding=not following)
        for sib in sibs:
            if n > cap or self.budget < 0:
                return cap + 1
            if isinstance(sib.tag, str):
                if following and sib.tag not in HIDING_TAGS and names_footer(sib, True):
                    return cap + 1  # the page's footer comes below: this is not the bottom
                n += self._chars(sib, cap - n)
            else:
                self.budget -= 1
            n += _nonspace(sib.tail)
        return n

    def __call__(self, el: Any, after_chars: int) -> bool:
        if el in self.memo:
            return self.memo[el]
        limit = int(min(FOOTER_BLOCK_CHARS, self.total * FOOTER_BLOCK_SHARE))
        block = el
        own = self._chars(el, limit)
        ok = own <= limit
        while ok:  # grow the block while it stays small
            parent = block.getparent()
            if parent is None or parent.tag in _BOTTOM_STOP:
                break
            room = limit - own - _nonspace(parent.text)
            before = self._siblings(block, room, following=False)
            after = self._siblings(block, room - before, following=True)
            if own + _nonspace(parent.text) + before + after > limit:
                break
            own += _nonspace(parent.text) + before + after
            block = parent
        if ok and block.tag not in _BOTTOM_STOP:
            following = 0
            x = block
            while x is not None and following <= after_chars:  # to the root: a second <html>
                following += self._siblings(x, after_chars - following, following=True)
                x = x.getparent()
            ok = following <= after_chars and self.budget >= 0
        else:
            ok = False
        self.memo[el] = ok
        return ok
