"""Where two OCR engines read a licence differently: the fields a user must check by eye.

Each engine errs on its own characters (Tesseract 杨远申 for 杨远熙, PP-OCR a stray I in
川IB2), and both misread the same character in the same way rarely, so a field the two read
alike is almost always right, and one they read apart is named with both readings. A field
confidence alone misses misreads an engine is sure of.
"""

from __future__ import annotations

import re
import unicodedata

from crawler.licences.parser import Licence

#: Field key → (the certificate's label, the value as printed), e.g. ``website 1 host``.
Fields = dict[str, tuple[str, str | None]]


def checked_fields(licence: Licence) -> Fields:
    """Every field a user relies on, keyed as the scan benchmark keys them, labelled as the
    certificate labels it."""
    fields: Fields = {
        "license_no": ("经营许可证编号", licence.license_no),
        "company": ("公司名称", licence.company),
        "legal_rep": ("法定代表人", licence.legal_rep),
        "issued": ("发证日期", licence.issued_raw),
        "expires": ("有效期至", licence.expires_raw),
    }
    for s in licence.services:
        fields[f"service {s.code}"] = ("业务种类", s.name + (f"({s.scope})" if s.scope else ""))
    for i, w in enumerate(licence.websites, 1):
        fields[f"website {i} host"] = ("网站域名", w.host)
        fields[f"website {i} site_name"] = ("网站名称", w.site_name)
        fields[f"website {i} server_location"] = ("服务器放置地", w.server_location)
        fields[f"website {i} access_provider"] = ("网站接入服务提供单位", w.access_provider)
        fields[f"website {i} services"] = (f"网站 {w.host} 的业务种类", " ".join(w.services))
    return fields


def _same(a: str | None, b: str | None) -> bool:
    """Equal but for spacing and full- or half-width forms (OCR prints both)."""

    def flat(value: str | None) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or ""))

    return flat(a) == flat(b)


def disagreements(first: Fields, second: Fields, first_name: str, second_name: str) -> list[str]:
    """A warning for each field the two readings differ on (one of them lacking it included):
    ``OCR engines disagree on 法定代表人: 杨远熙 (PP-OCR), 杨远申 (Tesseract)``."""
    out = []
    for key, (label, value) in first.items():
        other = second.get(key, (label, None))[1]
        if not _same(value, other):
            out.append(
                f"OCR engines disagree on {label}: {value or '(nothing)'} ({first_name}), "
                f"{other or '(nothing)'} ({second_name})"
            )
    for key, (label, other) in second.items():
        if key not in first and other:
            out.append(
                f"OCR engines disagree on {label}: (nothing) ({first_name}), "
                f"{other} ({second_name})"
            )
    return out
