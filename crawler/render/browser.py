"""One headless Chromium per crawl, driven straight from the spider's callbacks.

scrapy-playwright sends every sub-request of a rendered page through a Python route handler
and opens a new page per render. Rendering needs neither: the page was already fetched and
judged statically, and Chromium loads its resources through the proxy on its own. Driven
directly, with a pool of reused pages and nothing routed, the same two cores render 1.2-1.4x as
many pages a second with a lighter driver (docs/rendering.md, benchmarks/render_throughput.py).
A crawl without a proxy gives Chromium the guard proxy (crawler/render/guard_proxy.py), so
Chromium resolves no name itself and no page reaches a name that answers 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from crawler.render.guard_proxy import GuardProxy
from crawler.render.rendering import (
    BLOCKED_URLS,
    CHROMIUM_ARGS,
    DEFAULT_CHROMIUM,
    LIGHT_ARGS,
    PRIVATE_CANDIDATES,
    PROXY_LOOPBACK,
    VIEWPORT,
    refused,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

#: Seconds a page gets to close, or to go blank between renders, before it is dropped.
CLOSE_TIMEOUT = 5.0


class Browser:
    """``await browser.render(url, work)``: ``work(page)`` on ``url`` loaded in a pooled page.

    At most ``concurrency`` pages render at once. Chromium starts at the first render; if it
    cannot start, every render raises that error (the static verdicts stand). Without a
    ``proxy`` and without ``allow_private``, Chromium goes through a :class:`GuardProxy`
    (``guard``, or one of its own) that refuses names resolving to non-public addresses.
    """

    def __init__(
        self,
        *,
        concurrency: int,
        timeout: float,
        chromium: str | None = None,
        screenshots: bool = True,
        proxy: str | None = None,
        user_agent: str | None = None,
        allow_private: bool = False,
        guard: GuardProxy | None = None,
    ) -> None:
        self.timeout = timeout
        self.chromium = chromium or DEFAULT_CHROMIUM
        self.screenshots = screenshots
        self.proxy = proxy
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.guard = None if proxy or allow_private else guard or GuardProxy()
        self._slots = asyncio.Semaphore(concurrency)
        self._idle: list[Any] = []
        self._starting: asyncio.Task[None] | None = None
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._refused: dict[Any, str] = {}  # page → the navigation of its own that was refused

    async def render(self, url: str, work: Callable[[Any], Awaitable[T]]) -> T:
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._start())
        await self._starting  # re-raises a failed start for every render
        async with self._slots:
            page = self._idle.pop() if self._idle else await self._new_page()
            reusable = False
            try:
                # Navigation has its own timeout; this bounds what follows (scripts that hang
                # an evaluate, a screenshot that never comes).
                result = await asyncio.wait_for(self._visit(page, url, work), 3 * self.timeout)
                reusable = True
                return result
            finally:
                await self._release(page, reusable)

    async def _new_page(self) -> Any:
        """A page whose ad and statistics requests Chromium fails itself (kept by the page's
        CDP session for every later visit)."""
        page = await self._context.new_page()
        session = await self._context.new_cdp_session(page)
        await session.send("Network.enable")
        await session.send("Network.setBlockedURLs", {"urls": BLOCKED_URLS})
        return page

    def landed(self, page: Any) -> str:
        """Where the page is now: its URL, or the address a script's navigation was refused
        (Chromium then shows ``chrome-error://chromewebdata/``)."""
        if page.url.startswith("chrome-error:") and page in self._refused:
            return self._refused[page]
        return page.url

    async def _refuse_private(self, route: Any) -> None:
        """Abort a request (subresource, fetch/XHR, iframe, navigation) to a non-public
        address; a public address literal goes on."""
        request = route.request
        if not refused(request.url):
            await route.continue_()
            return
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self._refused[request.frame.page] = request.url
        await route.abort("blockedbyclient")

    async def _visit(self, page: Any, url: str, work: Callable[[Any], Awaitable[T]]) -> T:
        self._refused.pop(page, None)
        await page.goto(url, wait_until="domcontentloaded", timeout=self.timeout * 1000)
        return await work(page)

    async def _release(self, page: Any, reusable: bool) -> None:
        """Back to the pool on about:blank (the last site's scripts stop), or closed."""
        self._refused.pop(page, None)
        try:
            if reusable:
                await asyncio.wait_for(page.goto("about:blank"), CLOSE_TIMEOUT)
                self._idle.append(page)
                return
        except Exception:  # a page that cannot even go blank is not reused
            pass
        with contextlib.suppress(Exception):
            await asyncio.wait_for(page.close(run_before_unload=False), CLOSE_TIMEOUT)

    async def _start(self) -> None:
        from playwright.async_api import async_playwright  # only crawls that render load it

        args = CHROMIUM_ARGS if self.screenshots else [*CHROMIUM_ARGS, *LIGHT_ARGS]
        launch: dict[str, Any] = {"headless": True, "args": args}
        if shutil.which(self.chromium) or Path(self.chromium).exists():
            launch["executable_path"] = self.chromium  # else Playwright's own browser
        self._playwright = await async_playwright().start()
        try:
            self._browser = await self._playwright.chromium.launch(**launch)
            # Service workers would fetch past the context's routes: a homepage needs none.
            context: dict[str, Any] = {
                "viewport": VIEWPORT,
                "ignore_https_errors": True,
                "service_workers": "block",
            }
            if self.proxy:
                context["proxy"] = {"server": self.proxy}
            elif self.guard is not None:  # loopback names too: the guard judges them
                context["proxy"] = {"server": await self.guard.start(), "bypass": PROXY_LOOPBACK}
            if self.user_agent:
                context["user_agent"] = self.user_agent
            self._context = await self._browser.new_context(**context)
            if not self.allow_private:  # what the download guard refuses, the page may not load
                await self._context.route(PRIVATE_CANDIDATES, self._refuse_private)
                await self._context.route_web_socket(PRIVATE_CANDIDATES, _refuse_private_socket)
        except Exception:
            await self.close()
            raise
        logger.info("Chromium started for rendering (%s)", launch.get("executable_path", "own"))

    async def close(self) -> None:
        """Spider closed: every render was awaited, so nothing is in flight."""
        for obj in (self._context, self._browser):
            if obj is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(obj.close(), CLOSE_TIMEOUT)
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
        self._context = self._browser = self._playwright = None
        self._idle.clear()
        if self.guard is not None:
            await self.guard.close()


async def _refuse_private_socket(route: Any) -> None:
    """Close a WebSocket to a non-public address before it connects."""
    if refused(route.url):
        await route.close(code=1008, reason="non-public address")
    else:
        route.connect_to_server()
