"""The render policy: a page goes to Chromium only where a browser could change its verdict,
and every judged page says why (``checks.render_reason``)."""

from __future__ import annotations

import pytest

from crawler.check import check_page
from crawler.render.policy import render_decision

EXPECTED = "京B2-20252223"
ARTICLE = "<p>正文内容，讲述一个很长的故事。</p>" * 30
SCRIPT = "<script>track()</script>"
LATE = (
    "<script>var s = document.createElement('span');"
    "s.textContent = '经营许可证：' + '京B2-' + '20252223';"
    "document.querySelector('footer').appendChild(s);</script>"
)


def page(footer: str, tail: str = "") -> str:
    return f"<html><body><main>{ARTICLE}</main><footer>{footer}</footer>{tail}</body></html>"


CASES = [
    # (name, mode, html, render?, reason starts with)
    ("never", "never", page("© 2025", SCRIPT), False, "--render never"),
    ("always", "always", page(EXPECTED), True, "--render always"),
    ("app shell", "auto", '<div id="app"></div><script src="/a.js"></script>', True,
     "needs_render"),
    ("footer script include", "auto", page("", '<script src="/js/footer.js"></script>'), True,
     "needs_render"),
    ("footer script on a CDN host", "auto",
     page("© 2025", '<script src="https://static.ws.126.net/f2e/foot~c1.js"></script>'), True,
     "needs_render: footer is loaded by a script: https://static.ws.126.net"),
    ("a comment widget's footer script", "auto",
     page("© 2025", '<script src="https://changyan.sohu.com/ext/cmt-footer/cmt-footer.js">'
          "</script>"), False, "missing: a static footer"),
    ("a widget look-alike host is no widget", "auto",
     page("© 2025", '<script src="//changyan.sohu.com.evil.cn/footer.js"></script>'), True,
     "needs_render: footer is loaded by a script"),
    ("compliant", "auto", page(EXPECTED, SCRIPT), False, "compliant"),
    ("wrong number", "auto", page("京B2-20252224", SCRIPT), False, "wrong_number"),
    ("missing, no scripts", "auto", page("© 2025"), False, "missing: no scripts"),
    ("label only, scripts", "auto", page('<a href="/l.png">经营许可证</a>', SCRIPT), True,
     "label_only"),
    ("label only, no scripts", "auto", page('<a href="/l.png">经营许可证</a>'), False,
     "label_only: no scripts"),
    ("complete static footer", "auto", page("京ICP备12345678号 京公网安备11010502000001号", SCRIPT),
     False, "missing: the static footer is complete"),
    ("copyright footer", "auto", page("Copyright © 2025 示例公司 版权所有", SCRIPT), False,
     "missing: a static footer"),
    ("script writes the licence into the footer", "auto", page("京ICP备12345678号", LATE), True,
     "missing: a script writes into the footer (appendChild)"),
    ("script writes a feedback box into the footer", "auto",
     page("© 2025", "<script>foot.innerHTML = '<a href=/fb>意见反馈</a>';</script>"), False,
     "missing: a static footer"),
    ("no footer at all, scripts", "auto", f"<html><body>{ARTICLE}{SCRIPT}</body></html>", True,
     "missing: no static footer evidence"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "html", "render", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_render_decision(mode: str, html: str, render: bool, reason: str) -> None:
    decision = render_decision(mode, check_page(html, EXPECTED), html.encode())
    assert decision.render is render
    assert decision.reason.startswith(reason), decision.reason


def test_no_page_is_never_rendered() -> None:
    assert render_decision("always", None, b"").render is False


def test_the_write_search_is_bounded() -> None:
    """40,000 DOM writes near footers: at most MAX_WRITES looked at per API."""
    body = ("footer.innerHTML = '许可证';" * 40_000).encode()
    html = f"<html><body>{ARTICLE}<script>{body.decode()}</script></body></html>"
    decision = render_decision("auto", check_page(html, EXPECTED), html.encode())
    assert decision.render
