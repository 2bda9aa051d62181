"""Domain normalising: whatever a licence or a user writes, one lowercase A-label host name.

Suffixes are checked against tldextract's *bundled* public suffix list only: loading a licence
must never touch the network.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import idna
import tldextract

#: Separators between domains in a licence's 网站域名 field (after NFKC: ，→, ；→;).
_SEPARATORS = re.compile(r"[、,;\s]+")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EDGE_PUNCT = "\"'“”‘’()（）[]【】<>《》。.,，;；:：!！?？"


class InvalidDomain(ValueError):
    """Raised with the offending token so the caller can name it in a warning or error."""


@dataclass(frozen=True, slots=True)
class Host:
    host: str
    registrable_domain: str


@cache
def _extractor() -> tldextract.TLDExtract:
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def normalise_host(token: str) -> Host:
    """A URL or host name as written (scheme, ``www.``, case, path, port, IDN) → :class:`Host`."""
    text = unicodedata.normalize("NFKC", token).strip().strip(_EDGE_PUNCT).strip()
    text = _SCHEME.sub("", text.replace("。", "."))
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]
    text = re.sub(r":\d*$", "", text).rstrip(".").lower()
    if text.startswith("www."):
        text = text[4:]
    if not text or "." not in text:
        raise InvalidDomain(f"{token!r} is not a host name")
    try:
        ascii_host = idna.encode(text, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidDomain(f"{token!r} is not a host name ({exc})") from None
    if len(ascii_host) > 253 or not all(_LABEL.match(lab) for lab in ascii_host.split(".")):
        raise InvalidDomain(f"{token!r} is not a host name")
    parts = _extractor()(ascii_host)
    if parts.ipv4 or parts.ipv6:
        raise InvalidDomain(f"{token!r} is an IP address, not a host name")
    if not parts.suffix or not parts.domain:
        raise InvalidDomain(f"{token!r} has no known public suffix")
    return Host(ascii_host, parts.top_domain_under_public_suffix)


def split_domains(field: str) -> list[str]:
    """The tokens of a 网站域名 field: split on 、，,；; spaces and line breaks."""
    return [t for t in _SEPARATORS.split(unicodedata.normalize("NFKC", field)) if t]


def homepage_urls(host: str) -> list[str]:
    """Where a licensed site's homepage may answer, in the order a crawl tries them."""
    hosts = [host] if host.startswith("www.") else [host, f"www.{host}"]
    return [f"{scheme}://{h}/" for h in hosts for scheme in ("https", "http")]
