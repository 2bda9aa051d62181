"""The crawl's Chromium (crawler/render/browser.py) against a tiny local server: what it loads, page
reuse, a page whose script hangs, a browser that cannot start. Needs Debian's ``chromium``.
The server is on 127.0.0.1, so these browsers allow private addresses (what a browser refuses
is tests/test_render_private.py)."""

from __future__ import annotations

import asyncio
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from crawler.render.browser import Browser
from crawler.render.rendering import DEFAULT_CHROMIUM

pytestmark = pytest.mark.chromium

if not Path(DEFAULT_CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{DEFAULT_CHROMIUM} is not installed", allow_module_level=True)

PAGES = {
    "/": b"<html><body><img src='/pixel.png'><footer>ok</footer></body></html>",
    "/hang": b"<html><body><footer>x</footer><script>setTimeout(() => { for (;;) {} }, 50)"
    b"</script></body></html>",
    # Through the server as a proxy: a site with statistics and an ad iframe of another site.
    "http://site.test/": b"<html><body><footer>ok</footer>"
    b"<script src='http://hm.baidu.com/hm.js?1'></script>"
    b"<script src='http://static.site.test/app.js'></script>"
    b"<iframe src='http://ads.example.test/slot'></iframe></body></html>",
    "http://ads.example.test/slot": b"<html><body><script src='http://cpro.baidustatic.com/c.js'>"
    b"</script><img src='http://x.googlesyndication.com/p.png'></body></html>",
}


class Site(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Site.seen.append(self.path)
        body = PAGES.get(self.path, b"")
        self.send_response(200 if body or self.path.endswith(".png") else 404)
        self.send_header("Content-Type", "image/png" if self.path.endswith(".png") else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def footer_text(page) -> str:
    return await page.inner_text("footer")


@pytest.mark.parametrize(("screenshots", "loads_images"), [(True, True), (False, False)])
def test_images_load_only_for_screenshots(site: str, screenshots: bool, loads_images: bool) -> None:
    async def run() -> str:
        browser = Browser(concurrency=1, timeout=10, screenshots=screenshots, allow_private=True)
        try:
            return await browser.render(f"{site}/", footer_text)
        finally:
            await browser.close()

    Site.seen.clear()
    assert asyncio.run(run()) == "ok"
    assert ("/pixel.png" in Site.seen) is loads_images


def test_ads_and_statistics_are_not_loaded_in_the_page_or_its_frames(site: str) -> None:
    async def run() -> str:
        browser = Browser(concurrency=1, timeout=10, proxy=site, allow_private=True)
        try:
            await browser.render("http://site.test/", footer_text)  # a fresh page, then reused
            return await browser.render("http://site.test/", footer_text)
        finally:
            await browser.close()

    Site.seen.clear()
    assert asyncio.run(run()) == "ok"
    assert Site.seen.count("http://static.site.test/app.js") == 2  # the site's own script loads
    assert Site.seen.count("http://ads.example.test/slot") == 2  # and the frame
    blocked = ("hm.baidu.com", "baidustatic.com", "googlesyndication.com")
    assert not [p for p in Site.seen if any(host in p for host in blocked)], Site.seen


def test_pages_are_reused_and_a_hung_page_is_dropped(site: str) -> None:
    async def run() -> tuple:
        browser = Browser(concurrency=1, timeout=2, screenshots=False, allow_private=True)
        try:
            seen = []

            async def which(page) -> object:
                seen.append(page)
                return await page.inner_text("footer")

            await browser.render(f"{site}/", which)
            await browser.render(f"{site}/", which)

            async def stuck(page) -> object:
                seen.append(page)
                await asyncio.sleep(0.3)  # the page's script now spins forever
                return await page.evaluate("1 + 1")

            with pytest.raises(TimeoutError):
                await browser.render(f"{site}/hang", stuck)
            after = await browser.render(f"{site}/", which)
            return seen, after
        finally:
            await browser.close()

    seen, after = asyncio.run(run())
    assert seen[0] is seen[1] is seen[2]  # one pooled page while all went well
    assert seen[3] is not seen[2]  # the hung one was closed, a fresh page took over
    assert after == "ok"


def test_a_browser_that_cannot_start_fails_every_render(
    site: str, tmp_path: Path, monkeypatch
) -> None:
    async def run() -> list[str]:
        browser = Browser(
            concurrency=2, timeout=5, chromium=str(tmp_path / "no-chromium"), allow_private=True
        )
        errors = []
        for _ in range(2):
            try:
                await browser.render(f"{site}/", footer_text)
            except Exception as exc:
                errors.append(type(exc).__name__)
        await browser.close()
        return errors

    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "none"))
    assert len(asyncio.run(run())) == 2
