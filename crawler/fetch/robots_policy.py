"""robots.txt per origin (scheme + host) instead of Scrapy's per host.

The spider tries ``https://host/`` then ``http://host/``: with Scrapy's per-host cache, a failed
https robots.txt (no TLS, a refused tunnel) counts as "allow all" for the http attempt too, so a
site whose http robots.txt disallows us would be crawled anyway. A dead host is a finding, not a
crawler error, so robots.txt failures are logged at DEBUG, not as tracebacks.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)


class OriginRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        origin = f"{url.scheme}://{url.netloc}"
        if origin not in self._parsers:
            self._parsers[origin] = Deferred()
            robots = Request(
                f"{origin}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots)
                await self._parse_robots(response, origin, request)
            except Exception as exc:  # any failure means "no robots.txt": allowed
                logger.debug("robots.txt of %s unavailable: %r", origin, exc)
                self._robots_error(exc, origin)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[origin]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser
