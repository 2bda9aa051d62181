"""The yardstick for test scans: a licence's fields one by one, and which a scan got wrong.

A field is one thing a user would check on the stored licence: the number, company, legal
representative, the two dates, each service (name and scope), and each website's host, name,
server location, access provider and services. Accuracy is the share of the text twin's fields
the scan reproduced exactly; a field the scan invented counts against it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.licences.parser import Licence

#: Words a warning uses for a field (the parser's English, the certificate's labels).
_NAMED_BY = {
    "license_no": ("licence number", "经营许可证编号", "许可证编号"),
    "company": ("company", "公司名称"),
    "legal_rep": ("legal representative", "法定代表人"),
    "issued": ("issue date", "发证日期"),
    "expires": ("expiry date", "有效期至"),
    "service": ("service", "业务种类"),
    "host": ("domain", "网站域名", "网址", "website"),
    "site_name": ("site name", "网站名称"),
    "server_location": ("server location", "服务器放置地"),
    "access_provider": ("access provider", "接入服务提供"),
    "services": ("service", "业务种类"),
}


def _date(parsed, raw: str | None) -> object:
    return parsed or (re.sub(r"\s+", "", raw) if raw else None)


def licence_fields(lic: Licence) -> dict[str, object]:
    """Field name → value, e.g. ``company``, ``service B25``, ``website 1 server_location``."""
    out: dict[str, object] = {
        "license_no": lic.license_no,
        "company": lic.company,
        "legal_rep": lic.legal_rep,
        "issued": _date(lic.issued_on, lic.issued_raw),
        "expires": _date(lic.expires_on, lic.expires_raw),
    }
    for s in lic.services:
        out[f"service {s.code}"] = (s.name, s.scope)
    for i, w in enumerate(lic.websites, 1):
        for name in ("host", "site_name", "server_location", "access_provider", "services"):
            out[f"website {i} {name}"] = getattr(w, name)
    return out


@dataclass(frozen=True)
class Score:
    total: int  # fields in the twin, plus any the scan invented
    wrong: tuple[str, ...]  # field names, with what the scan read
    unnamed: tuple[str, ...]  # wrong fields no warning names
    warned: tuple[str, ...] = ()  # right text fields an OCR warning names with their value

    @property
    def correct(self) -> int:
        return self.total - len(self.wrong)


def _named(key: str, warnings: list[str], value: str = "") -> bool:
    """Whether a warning names the field (and shows ``value``, when given)."""
    kind = key.split()[-1] if key.startswith("website") else key.split()[0]
    words = _NAMED_BY.get(kind, (kind,))
    return any(
        w.lower() in warning.lower() and value in warning for w in words for warning in warnings
    )


def unread(expected: Licence, why: str) -> Score:
    """The score of a scan that did not read as a licence at all: every field wrong."""
    return Score(
        len(licence_fields(expected)), tuple(f"{k}: {why}" for k in licence_fields(expected)), ()
    )


def score(expected: Licence, got: Licence) -> Score:
    """How many of ``expected``'s fields ``got`` has; which are wrong and which of those none
    of ``got``'s warnings names."""
    want, have = licence_fields(expected), licence_fields(got)
    wrong = [
        f"{k}: {have.get(k)!r} (want {want.get(k)!r})"
        for k in [*want, *(k for k in have if k not in want)]
        if have.get(k) != want.get(k)
    ]
    warnings = list(got.warnings)

    def named(key: str) -> bool:
        # A website the scan lost whole is named by the warning that names its host.
        site = key.rsplit(" ", 1)[0]
        if key.startswith("website") and f"{site} host" not in have:
            return _named(f"{site} host", warnings)
        return _named(key, warnings)

    unnamed = [w for w in wrong if not named(w.split(":")[0])]
    # a false alarm: a field read right that an OCR warning still casts doubt on (text fields
    # only: a date or a list of services is not printed in a warning as it is stored; the
    # parser's own warnings, such as a garbled date in the source, are no OCR doubt)
    doubts = [w for w in warnings if w.startswith("OCR ")]
    warned = [
        k
        for k, v in want.items()
        if have.get(k) == v and isinstance(v, str) and _named(k, doubts, v)
    ]
    return Score(len(want.keys() | have.keys()), tuple(wrong), tuple(unnamed), tuple(warned))
