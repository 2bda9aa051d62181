"""Licence documents → :class:`Licence`: reads OCR'd 增值电信业务经营许可证 text or markdown.

OCR output is messy in ways the four real documents show: labels with spaces inside, values on
the next line or after a block of labels, wrapped values, impossible dates, a province character
lost in one copy of the number. The parser reads what a careful reader can read, never guesses,
and says what it could not read in ``warnings``.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from crawler.licences.domains import InvalidDomain, normalise_host, split_domains
from crawler.licences.numbers import PROVINCES, find_numbers, normalise


class NotALicence(ValueError):
    """The document cannot be read as a licence; the message is the reason, for the user."""


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    code: str | None
    scope: str | None = None  # the restriction printed with it, e.g. 仅限互联网信息服务


@dataclass(frozen=True, slots=True)
class Website:
    host: str
    registrable_domain: str
    site_name: str | None = None
    server_location: str | None = None
    access_provider: str | None = None
    services: tuple[str, ...] = ()  # catalogue codes of the services it is listed under


@dataclass(frozen=True, slots=True)
class Licence:
    license_no: str
    company: str | None
    legal_rep: str | None
    issued_on: date | None
    expires_on: date | None
    issued_raw: str | None
    expires_raw: str | None
    services: tuple[Service, ...]
    websites: tuple[Website, ...]
    warnings: tuple[str, ...]


# --- the 2015 telecom service catalogue (电信业务分类目录), value-added part -----------------

CATALOGUE = {
    "互联网数据中心业务": "B11",
    "内容分发网络业务": "B12",
    "国内互联网虚拟专用网业务": "B13",
    "互联网接入服务业务": "B14",
    "在线数据处理与交易处理业务": "B21",
    "国内多方通信服务业务": "B22",
    "存储转发类业务": "B23",
    "国内呼叫中心业务": "B24",
    "离岸呼叫中心业务": "B24",
    "呼叫中心业务": "B24",
    "信息服务业务": "B25",
    "编码和规程转换业务": "B26",
}
_SERVICE_RE = re.compile(
    "(?P<name>"
    + "|".join(sorted(map(re.escape, CATALOGUE), key=len, reverse=True))
    + r")(?:\((?P<scope>[^()]{1,40})\))?"
)

# --- labels -------------------------------------------------------------------------------


def _spaced(*labels: str) -> str:
    """OCR puts spaces inside labels (发 证 日 期): allow whitespace between characters."""
    return "|".join(r"\s*".join(map(re.escape, label)) for label in labels)


_FIELDS: dict[str, str] = {
    "license_no": _spaced("经营许可证编号", "许可证编号"),
    "company": _spaced("公司名称", "企业名称", "经营者名称", "单位名称"),
    "legal_rep": _spaced("法定代表人", "法人代表"),
    "issued": _spaced("发证日期", "发证期", "颁发日期", "签发日期"),
    "expires": _spaced("有效期至", "有效期限至", "有效期截至", "有效截止日期"),
    "scope": _spaced("业务种类", "(服务项目)", "服务项目", "及覆盖范围", "覆盖范围"),
    "issuer": _spaced("发证机关"),
    "site_name": _spaced("网站名称"),
    "domains": _spaced("网站域名", "网址", "域名"),
    "server_location": _spaced("服务器放置地点", "服务器放置地", "服务器所在地"),
    "access_provider": _spaced(
        "网站接入服务提供单位", "网站接入服务提供者", "接入服务提供单位", "接入服务提供者"
    ),
}
_LABEL_RE = re.compile(
    r"^\s*(?:"
    + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _FIELDS.items())
    + r")\s*(?:\([^()]{0,6}\))?\s*(?:[:：]|(?=\s|$|\d))\s*(?P<value>.*)$"
)
#: A second ``label:`` after a space inside a line: a two-column certificate read row by row
#: (``公司名称:某某有限公司    发证日期:2022年09月03日``), split into two lines.
_SECOND_LABEL = re.compile(
    r"(?<=\S)\s+(?=(?:" + "|".join(_FIELDS.values()) + r")\s*(?:\([^()]{0,6}\))?\s*[:：])"
)
_SITE_FIELDS = ("site_name", "domains", "server_location", "access_provider")
_IGNORED_FIELDS = ("scope", "issuer")
_WRAPPABLE = ("server_location", "access_provider", "domains")

_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|[-./]|\s)\s*(?P<m>\d{1,2})\s*(?:月|[-./]|\s)\s*"
    r"(?P<d>\d{1,2})(?!\d)\s*日?"
)
_HEADING_WORDS = ("获准", "许可证", "特别规定", "附页", "附 页", "中华人民共和国", "相关信息")
_MARKDOWN = [
    (re.compile(r"^\s{0,3}#{1,6}\s*"), ""),  # headings
    (re.compile(r"^\s*(?:[-*+>]\s+)+"), ""),  # list items, quotes
    (re.compile(r"\*\*|__|`"), ""),  # bold, code
    (re.compile(r"<br\s*/?>", re.IGNORECASE), " "),
    (re.compile(r"\\$"), ""),  # hard line break
]
_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef()（）"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_SPECIAL_PROVISIONS = re.compile(r"^\s*(?:#+\s*)?特别规定事项\s*$", re.MULTILINE)
# A number whose province was lost to OCR shows junk where the province was: ///B2-20200036.
_JUNK_BEFORE = re.compile(r"[/\\|?*#_~]\s*$")
# Letters OCR reads for digits (2O19, l): permitted only to *recognise* a damaged copy.
_OCR_DIGITS = str.maketrans("OoDQIlLi|SZB", "000011111528")
_LOOSE_NUMBER = re.compile(
    rf"(?P<prov>[{PROVINCES}])?\s*(?P<cats>[AB]\s?[0-9OoIl|](?:\s*[.·]\s*[AB]\s?[0-9OoIl|])*)"
    r"\s*-\s*(?P<serial>(?:[0-9OoDQIlLi|SZB]\s?){7}[0-9OoDQIlLi|SZB])(?![0-9A-Za-z])"
)


# --- decoding -----------------------------------------------------------------------------

_BINARY_MAGIC = {
    b"%PDF": "a PDF file (name it *.pdf to load it as a scan)",
    b"\x89PNG": "a PNG image (name it *.png to load it as a scan)",
    b"\xff\xd8\xff": "a JPEG image (name it *.jpg to load it as a scan)",
    b"PK\x03\x04": "a ZIP/Office file, not text",
}


def decode_document(data: bytes) -> str:
    """Bytes → text: BOM first, then strict UTF-8, then GB18030 (a superset of GBK/GB2312)."""
    if not data.strip():
        raise NotALicence("empty file")
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise NotALicence(f"binary file: {what}")
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    elif b"\x00" in data:
        raise NotALicence("binary file (contains NUL bytes)")
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise NotALicence(f"cannot decode as text ({' or '.join(candidates)})")
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f")
    if controls > max(2, len(text) // 100):
        raise NotALicence("binary file (control characters)")
    return text


# --- helpers over values -----------------------------------------------------------------


def clean_value(value: str) -> str | None:
    """Markup and OCR noise off a value: bold markers, edge punctuation, spaces inside CJK."""
    value = _CJK_SPACE.sub("", value.replace("**", "").replace("__", ""))
    value = value.strip().strip(":：;；,，。|").strip()
    return value or None


def parse_date(raw: str) -> date | None:
    m = _DATE_RE.search(raw)
    if not m:
        return None
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError:
        return None


def _is_heading(line: str) -> bool:
    return any(word in line for word in _HEADING_WORDS)


def _plausible(name: str, line: str) -> bool:
    """Whether a line can be the value of a label that came before it (labels-first layouts)."""
    if name == "license_no":
        return any(find_numbers(line))
    if name in ("issued", "expires"):
        return bool(re.search(r"\d{4}", line))
    if name == "domains":
        return any(_host_or_none(t) for t in split_domains(line))
    return not _is_heading(line) and ":" not in line and len(line) <= 60


def _host_or_none(token: str):
    try:
        return normalise_host(token)
    except InvalidDomain:
        return None


def _continues(name: str, line: str) -> bool:
    """Whether a line is the wrapped tail of the previous field's value (a long address)."""
    if name == "domains":
        tokens = split_domains(line)
        return bool(tokens) and all(_host_or_none(t) for t in tokens)
    return (
        len(line) <= 40
        and not _is_heading(line)
        and not re.search(r"[:。，,;；]|业务|^\(?[一二三四五六七八九十]+[、)]", line)
        and not parse_date(line)
    )


def _service_in(text: str) -> Service | None:
    m = _SERVICE_RE.search(re.sub(r"\s+", "", text))
    return Service(m["name"], CATALOGUE[m["name"]], m["scope"]) if m else None


# --- lines --------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """Non-empty, NFKC-normalised lines with markdown removed; tables become label lines."""
    out: list[str] = []
    header: list[str | None] | None = None
    for raw in normalise(text).splitlines():
        line = raw.strip()
        if line.startswith("|"):
            cells = [c.strip().replace("**", "") for c in line.strip("|").split("|")]
            if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
                continue
            fields = [_field_of(c) for c in cells]
            if header is None and sum(f is not None for f in fields) >= 2:
                header = fields
                continue
            if header is not None and len(cells) == len(header):
                out += [
                    f"{_LABEL_TEXT[f]}:{c}" for f, c in zip(header, cells, strict=True) if f and c
                ]
            elif len(cells) >= 2 and fields[0]:
                out.append(f"{cells[0]}:{' '.join(cells[1:])}")
            else:
                out.append(" ".join(c for c in cells if c))
            continue
        header = None
        for pattern, repl in _MARKDOWN:
            line = pattern.sub(repl, line)
        out += [part.strip() for part in _SECOND_LABEL.split(line) if part.strip()]
    return out


_LABEL_TEXT = {
    "license_no": "经营许可证编号",
    "company": "公司名称",
    "legal_rep": "法定代表人",
    "issued": "发证日期",
    "expires": "有效期至",
    "site_name": "网站名称",
    "domains": "网站域名",
    "server_location": "服务器放置地",
    "access_provider": "网站接入服务提供单位",
}


def _field_of(cell: str) -> str | None:
    m = _LABEL_RE.match(cell.rstrip(":："))
    if not m or m["value"]:
        return None
    return next((name for name in _FIELDS if m[name]), None)


# --- the parse ----------------------------------------------------------------------------


@dataclass
class _Block:
    """One website listing as printed under a service heading of the 附页."""

    service: Service | None
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class _Reader:
    fields: dict[str, str] = field(default_factory=dict)
    blocks: list[_Block] = field(default_factory=list)
    service: Service | None = None
    pending: list[str] = field(default_factory=list)
    last: str | None = None

    def block(self, starting: bool) -> None:
        if starting or not self.blocks:
            self.blocks.append(_Block(self.service))

    def set(self, name: str, value: str) -> None:
        if name in _SITE_FIELDS:
            self.blocks[-1].values[name] = value
        else:
            self.fields.setdefault(name, value)
        self.last = name

    def feed(self, lines: list[str]) -> None:
        i = 0
        while i < len(lines):
            line = lines[i]
            m = _LABEL_RE.match(line)
            name = next((n for n in _FIELDS if m and m[n]), None)
            if name:
                self.last = None
                if name in _IGNORED_FIELDS:
                    self.pending.clear()
                elif name in _SITE_FIELDS:
                    current = self.blocks[-1].values if self.blocks else {}
                    self.block(name == "site_name" or (name == "domains" and "domains" in current))
                if name not in _IGNORED_FIELDS:
                    value = m["value"].strip()
                    if value.replace("*", ""):
                        self.set(name, value)
                    else:
                        self.pending.append(name)
            elif "获准经营" in line:
                heading = "".join(lines[i : i + 3])
                heading = heading[: heading.find("相关信息") + 4] if "相关信息" in heading else line
                self.service = _service_in(heading.split("获准经营", 1)[1]) or self.service
                self.pending.clear()
                self.last = None
            elif self.pending and _plausible(self.pending[0], line):
                self.set(self.pending.pop(0), line)
            elif self.last in _WRAPPABLE and _continues(self.last, line):
                block = self.blocks[-1].values
                sep = " " if self.last == "domains" else ""
                block[self.last] += sep + line
            else:
                self.pending.clear()
                self.last = None
            i += 1


def _ocr_letters(m: re.Match[str]) -> bool:
    """Whether a loosely matched number has letters where digits belong (2O19, l)."""
    digits = m["serial"] + "".join(re.findall(r"[AB]\s?(.)", m["cats"]))
    return any(not (c.isdigit() or c.isspace()) for c in digits)


def _vote_number(text: str, warnings: list[str]) -> str:
    """The licence number the document's clean occurrences agree on; damaged copies warn."""
    clean: Counter[str] = Counter()
    provinceless: list[str] = []
    for m in find_numbers(text):
        number = m.number.canonical
        if not m.number.province and _JUNK_BEFORE.search(text[max(0, m.start - 3) : m.start]):
            provinceless.append(text[max(0, m.start - 3) : m.end].strip())
            continue
        clean[number] += 1
    # A copy with no province whose serial matches a provincial copy lost its province to OCR.
    for number in [n for n in clean if n[0] in "AB"]:
        owners = [n for n in clean if n[0] not in "AB" and n[1:] == number]
        if owners:
            warnings.append(
                f"licence number: {number!r} appears without its province; "
                f"read as {owners[0]} like the other occurrences"
            )
            del clean[number]
    damaged = [m for m in _LOOSE_NUMBER.finditer(text) if _ocr_letters(m)]
    if not clean:
        seen = [m.group(0) for m in damaged] + provinceless
        if seen:
            raise NotALicence(
                f"licence number unreadable: only OCR-damaged copies found ({', '.join(seen)})"
            )
        raise NotALicence("not a licence: no licence number (经营许可证编号) found")
    ranked = clean.most_common()
    winner = ranked[0][0]
    if len(ranked) > 1:
        others = ", ".join(f"{n} (×{c})" for n, c in ranked[1:])
        warnings.append(f"licence number: the document also shows {others}; kept {winner}")
    for raw in provinceless:
        if raw.lstrip("/\\|?*#_~ ") != winner and not winner.endswith(raw.lstrip("/\\|?*#_~ ")):
            continue
        warnings.append(
            f"licence number: occurrence {raw!r} lost its province character to OCR; "
            f"the other occurrences agree on {winner}"
        )
    for m in damaged:
        repaired = re.sub(r"\s+", "", m["serial"].translate(_OCR_DIGITS))
        relation = "agrees with" if winner.rsplit("-", 1)[-1] == repaired else "differs from"
        warnings.append(
            f"licence number: occurrence {m.group(0)!r} is damaged by OCR (letters for digits); "
            f"it {relation} {winner}, which the other occurrences agree on"
        )
    return winner


def _date_field(
    reader: _Reader, name: str, label: str, warnings: list[str]
) -> tuple[date | None, str | None]:
    raw = reader.fields.get(name, "").replace("**", "").strip(" :：") or None
    if raw is None:
        warnings.append(f"{label}: not found")
        return None, None
    parsed = parse_date(raw)
    if parsed is None:
        warnings.append(f"{label}: {raw!r} is not a valid date; left empty (raw text kept)")
    return parsed, raw


def _pick(values: list[str], what: str, host: str, warnings: list[str]) -> str | None:
    """Listings of one website disagree when OCR garbled one copy: keep the cleanest."""
    distinct = list(dict.fromkeys(v for v in values if v))
    if len(distinct) <= 1:
        return distinct[0] if distinct else None

    def noise(v: str) -> tuple[int, int]:
        balanced = v.count("(") == v.count(")")
        return (v.count("、") + v.count(",") + (0 if balanced else 1), -len(v))

    best = min(distinct, key=noise)
    warnings.append(
        f"{host}: {what} differs between listings ({' / '.join(distinct)}); kept {best!r}"
    )
    return best


def _websites(reader: _Reader, services: tuple[Service, ...], warnings: list[str]):
    listed: dict[str, list[tuple[_Block, str]]] = {}
    for block in reader.blocks:
        for token in split_domains(block.values.get("domains", "")):
            try:
                host = normalise_host(token)
            except InvalidDomain as exc:
                warnings.append(f"website domain dropped: {exc}")
                continue
            listed.setdefault(host.host, []).append((block, host.registrable_domain))
    sole = (services[0].code,) if len(services) == 1 and services[0].code else ()
    websites = []
    for host, listings in listed.items():
        codes = tuple(
            dict.fromkeys(b.service.code for b, _ in listings if b.service and b.service.code)
        )

        def pick(name: str, host=host, listings=listings) -> str | None:
            values = [clean_value(b.values.get(name, "")) for b, _ in listings]
            return _pick([v for v in values if v], name.replace("_", " "), host, warnings)

        websites.append(
            Website(
                host=host,
                registrable_domain=listings[0][1],
                site_name=pick("site_name"),
                server_location=pick("server_location"),
                access_provider=pick("access_provider"),
                services=codes or sole,
            )
        )
    if not websites:
        warnings.append("no website domain (网站域名) listed: the licence loads with no domains")
    return tuple(websites)


def parse_licence(data: bytes | str) -> Licence:
    """A licence document (bytes in any supported encoding, or text) → :class:`Licence`."""
    text = decode_document(data) if isinstance(data, bytes) else data
    lines = _lines(text)
    joined = "\n".join(lines)
    warnings: list[str] = []
    license_no = _vote_number(joined, warnings)
    reader = _Reader()
    reader.feed(lines)

    front = _SPECIAL_PROVISIONS.split(joined, maxsplit=1)[0]
    services: dict[str, Service] = {}
    for m in _SERVICE_RE.finditer(re.sub(r"\s+", "", front)):
        code = CATALOGUE[m["name"]]
        known = services.get(code)
        if known is None or (known.scope is None and m["scope"]):
            services[code] = Service(m["name"], code, m["scope"])
    if not services:
        warnings.append("services: no service of the telecom catalogue found")

    company = clean_value(reader.fields.get("company", ""))
    legal_rep = clean_value(reader.fields.get("legal_rep", ""))
    for label, value in (("company (公司名称)", company), ("legal representative", legal_rep)):
        if value is None:
            warnings.append(f"{label}: not found")
    issued_on, issued_raw = _date_field(reader, "issued", "issue date (发证日期)", warnings)
    expires_on, expires_raw = _date_field(reader, "expires", "expiry date (有效期至)", warnings)
    if issued_on and expires_on and expires_on <= issued_on:
        warnings.append(f"expiry date {expires_on} is not after issue date {issued_on}")
    service_tuple = tuple(services.values())
    websites = _websites(reader, service_tuple, warnings)
    return Licence(
        license_no=license_no,
        company=company,
        legal_rep=legal_rep,
        issued_on=issued_on,
        expires_on=expires_on,
        issued_raw=issued_raw,
        expires_raw=expires_raw,
        services=service_tuple,
        websites=websites,
        warnings=tuple(dict.fromkeys(warnings)),
    )
