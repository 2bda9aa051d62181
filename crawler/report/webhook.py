"""Posting a report to a webhook (chat, mail gateway, ticketing): plain urllib, a bounded
timeout, and one exception type so the caller can warn and carry on: a notification that
fails must never change what the scheduled job reports or how it exits."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from crawler import __version__

TIMEOUT_SECONDS = 10


class WebhookError(RuntimeError):
    """The post failed; the message says how (no response, or the receiver's status)."""


def check_url(url: str) -> str:
    """An http(s) URL with a host, else ValueError (a usage error before anything runs)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL")
    return url


def post_json(url: str, payload: dict[str, Any], timeout: float = TIMEOUT_SECONDS) -> int:
    """POST ``payload`` as UTF-8 JSON; returns the receiver's 2xx status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"icpwatch/{__version__}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"{url} answered HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise WebhookError(f"{url}: {exc.reason}") from None
    except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, garbled replies
        raise WebhookError(f"{url}: {exc or type(exc).__name__}") from None
