"""What several rules share: which registry a link goes to, and filing numbers reduced to what
identifies them (province + digits), so 京ICP备12345678号-1 and 京ICP备 12345678 号 are one filing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from crawler.licences.numbers import PROVINCES, normalise

#: The host of an href: after "//" (http://, //, inside javascript:open('…')) or at its start
#: (a scheme-less "beian.miit.gov.cn/").
_HOST_RE = re.compile(r"(?:^|//)([a-z0-9-]+(?:\.[a-z0-9-]+)+)")
MIIT_HOST = "beian.miit.gov.cn"
#: MIIT filing-system hosts retired years ago; hosting providers warn sites still linking them.
RETIRED_MIIT_HOSTS = ("miitbeian.gov.cn", "miibeian.gov.cn")
MPS_HOST = "beian.mps.gov.cn"
OLD_MPS_HOST = "beian.gov.cn"  # the police filing system's older address, still served

_FILING_KEY_RE = re.compile(rf"([{PROVINCES}])\s*ICP\s*备\s*(\d(?:\s*\d){{3,11}})", re.IGNORECASE)
_POLICE_KEY_RE = re.compile(rf"([{PROVINCES}])\s*公\s*网\s*安\s*备\s*(\d(?:\s*\d){{7,17}})")
_SPACES_RE = re.compile(r"\s+")


def host(href: str) -> str:
    """The host name an href points to, lower-case; "" when it names none."""
    m = _HOST_RE.search(href.strip().lower())
    return m.group(1) if m else ""


def on_host(name: str, domain: str) -> bool:
    """``name`` is ``domain`` or one of its sub-domains (www.beian.gov.cn is on beian.gov.cn)."""
    return name == domain or name.endswith("." + domain)


def links_to(links: Iterable[str], *domains: str) -> list[str]:
    """The links whose host is one of ``domains`` (or under it), in page order, no repeats."""
    return list(dict.fromkeys(h for h in links if any(on_host(host(h), d) for d in domains)))


def filing_key(text: str) -> tuple[str, str] | None:
    """(province, digits) of an ICP filing number in any width or spacing, in simplified
    characters (粵ICP備… is 粤); None if there is none.

    The 号 and the site suffix (-1) do not identify the filing: one filing covers several sites.
    """
    m = _FILING_KEY_RE.search(normalise(text))
    return (m.group(1), _SPACES_RE.sub("", m.group(2))) if m else None


def police_key(text: str) -> tuple[str, str] | None:
    """(province, digits) of a public-security filing number (京公網安備… too); None if none."""
    m = _POLICE_KEY_RE.search(normalise(text))
    return (m.group(1), _SPACES_RE.sub("", m.group(2))) if m else None
