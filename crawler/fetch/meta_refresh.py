"""Meta refresh without decoding every page.

Scrapy's ``MetaRefreshMiddleware`` decodes a page's whole body to read its first 4,096
characters: on the crawl's big GBK and UTF-8 homepages that was a tenth of the crawl process's
CPU, though almost no page declares a refresh. A page whose first bytes never spell "refresh"
(in any ASCII-compatible charset) cannot declare one, and passes through undecoded; every
other page gets Scrapy's own handling, on those first bytes only (all it reads of them).
A refresh to ``javascript:``, ``data:``, ``file:`` … is refused as an ``http_error`` (Scrapy
would judge the page itself, or raise a bare ``ValueError``); a refresh to a private address is
refused by the download guard when the new request passes it.
"""

from __future__ import annotations

import codecs

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import get_meta_refresh

from crawler.fetch.addresses import FETCHED_SCHEMES, unsupported_redirect
from crawler.fetch.download_guard import UnsupportedRedirect

#: Scrapy scans 4,096 characters, and no character takes more than 4 bytes.
HEAD_BYTES = 4096 * 4
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)  # "refresh" is not ASCII bytes there


class HeadMetaRefresh(MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response) -> Request | Response:
        head = response.body[:HEAD_BYTES]
        if b"refresh" not in head.lower() and not head.startswith(_WIDE_BOMS):
            return response
        page = response if len(head) == len(response.body) else response.replace(body=head)
        if self._unsupported(request, page):  # a slow one: Scrapy would raise ValueError
            return response
        result = super().process_response(request, page)
        # A redirect comes back as a Request; anything else means "no refresh": the whole page.
        return response if isinstance(result, Response) else result

    def _unsupported(self, request: Request, page: Response) -> bool:
        """Whether the page refreshes to a scheme the crawl does not fetch; raises when Scrapy
        would follow that refresh (same conditions). ``get_meta_refresh`` caches per
        response: Scrapy's own call after this one costs nothing."""
        if (
            request.meta.get("dont_redirect")
            or request.method == "HEAD"
            or not isinstance(page, HtmlResponse)
            or urlparse_cached(request).scheme not in FETCHED_SCHEMES
        ):
            return False
        interval, url = get_meta_refresh(page, ignore_tags=self._ignore_tags)
        error = unsupported_redirect(url, " (meta refresh)") if url else None
        if error and interval is not None and interval < self._maxdelay:
            raise UnsupportedRedirect(error)
        return error is not None
