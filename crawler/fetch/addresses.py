"""Which hosts a crawl must not reach: loopback, private, link-local, unspecified, multicast and
reserved addresses, written in any form a browser or resolver accepts.

A licence may list a domain that points at 127.0.0.1, and any site may redirect to
``http://2130706433/``: fetching either would make icpwatch a probe of its own machine or
network. Through a proxy the proxy resolves names, so only what the URL itself says (an address
literal, ``localhost``) can be judged; without one the resolved address is judged too. Also
which redirect targets are no web page at all (``javascript:``, ``data:``, ``file:`` …). Pure
(no Scrapy, no Playwright): the download guard, meta refresh, the browser and the crawl's
verdicts share it.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Hosts and URLs longer than this are cut in messages (a data: URL may be megabytes).
SHOWN_HOST = SHOWN_URL = 80
FETCHED_SCHEMES = ("http", "https")

_HEX = re.compile(r"0[xX][0-9a-fA-F]*")
_OCTAL = re.compile(r"0[0-7]+")
_DECIMAL = re.compile(r"[0-9]+")
_ENDS_IN_NUMBER = re.compile(r"(?:^|\.)(?:[0-9]+|0[xX][0-9a-fA-F]*)\.?$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # a NAT64 gateway reaches the IPv4 inside
_DOTS = str.maketrans({"。": ".", "．": ".", "｡": "."})  # IDNA maps these to "."


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a host is refused: ``host`` as written, the ``address`` it means, its ``kind``."""

    host: str
    address: str
    kind: str  # "loopback address", "private address", … or "loopback name" (localhost)
    resolved: bool = False  # the address came from DNS, not from the URL

    def describe(self, step: str = "") -> str:
        """``redirect to 127.0.0.1 (loopback address) refused; --allow-private allows it``."""
        host = self.host if len(self.host) <= SHOWN_HOST else self.host[:SHOWN_HOST] + "…"
        if self.resolved:
            why = f"resolves to {self.address}, a {self.kind}"
        elif self.address != clean_host(self.host):
            why = f"{self.address}, {self.kind}"
        else:
            why = self.kind
        return f"{step}{host} ({why}) refused; --allow-private allows it"


def clean_host(host: str) -> str:
    """The host as a browser reads it: percent-decoded, NFKC (full-width digits and dots),
    lower case, without brackets or a trailing dot."""
    text = unicodedata.normalize("NFKC", unquote(host)).translate(_DOTS).strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 host: hex (``0x7f``), octal (``0177``) or decimal."""
    if _HEX.fullmatch(part):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if _OCTAL.fullmatch(part) else None  # "09" is no number
    if _DECIMAL.fullmatch(part):
        return int(part)
    return None


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The WHATWG URL IPv4 parser (what browsers do, and glibc's ``inet_aton`` accepts the
    same forms): ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``0``."""
    if not _ENDS_IN_NUMBER.search(host):
        return None
    parts = host.split(".")
    if parts[-1] == "":
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(head):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> Address | None:
    """The address a URL's host spells out, in any accepted form; ``None`` for a name."""
    text = clean_host(host)
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%", 1)[0])  # a zone id names no address
        except ValueError:
            return None
    return parse_ipv4(text)


def address_kind(address: Address) -> str | None:
    """``None`` for a public address, else what kind of non-public one it is. An IPv6 address
    that carries an IPv4 one (``::ffff:127.0.0.1``, 6to4, NAT64) is judged by the IPv4 one."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_kind(embedded)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    )
    kind = next((name for name, hit in checks if hit), None)
    if kind is None and not address.is_global:
        kind = "non-public"  # shared (100.64.0.0/10) and the like
    return f"{kind} address" if kind else None


def is_localhost(host: str) -> bool:
    """``localhost`` and ``*.localhost`` always mean this machine (RFC 6761; browsers and
    systemd-resolved answer them without DNS)."""
    text = clean_host(host)
    return text == "localhost" or text.endswith(".localhost")


def literal_refusal(host: str) -> Refusal | None:
    """Refuse what the host itself says: an address literal or a localhost name. Needs no DNS,
    so it holds through a proxy too."""
    if is_localhost(host):
        return Refusal(host, clean_host(host), "loopback name")
    address = literal_address(host)
    if address is None:
        return None
    kind = address_kind(address)
    return Refusal(host, str(address), kind) if kind else None


def resolved_refusal(host: str, address: str) -> Refusal | None:
    """Refuse a name by the address DNS gave for it."""
    try:
        kind = address_kind(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return None
    return Refusal(host, address, kind, resolved=True) if kind else None


def unsupported_redirect(url: str, how: str = "") -> str | None:
    """The error for a redirect to ``url`` when its scheme is not fetched, else ``None``:
    ``redirect to unsupported scheme javascript: javascript:alert(1)``."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in FETCHED_SCHEMES:
        return None
    shown = url if len(url) <= SHOWN_URL else url[:SHOWN_URL] + "…"
    return f"redirect to unsupported scheme {scheme or '(none)'}: {shown}{how}"
