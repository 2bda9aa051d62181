"""What a site should show besides its licence number: the expected filings from a registry
export (``filings`` table) and the rules a licence has switched off (``rule_switches``).

Reading an export is pure (:func:`read_filings` on bytes, every bad line named with its line or
record number); storing and looking up are small SQL functions the CLI, the crawl's targets and
``check-html --db`` share, so a host's expectation is read one way everywhere.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawler.check import rules as rule_registry
from crawler.check.rules import DEFAULT_OFF, Expected
from crawler.licences.domains import InvalidDomain, normalise_host
from crawler.licences.numbers import PROVINCES, normalise
from crawler.store.database import now

#: The codes issue 16 fixes, in report order: what ``rules off`` and ``--fail-on`` accept until
#: the rule registry (crawler.check.rules.RULES) is filled.
ISSUE_RULE_CODES = ("LIC001", "ICP001", "ICP002", "ICP003", "PSB001", "PSB002", "BIZ001")
#: Largest export read (a registry dump of a big group is a few MB).
MAX_EXPORT_BYTES = 50 * 1024 * 1024

_FILING_RE = re.compile(
    rf"^(?P<prov>[{PROVINCES}])ICP(?P<kind>[备证])(?P<num>\d{{4,12}})号?(?P<suf>-\d{{1,3}})?$"
)
_POLICE_RE = re.compile(rf"^(?P<prov>[{PROVINCES}])公网安备(?P<num>\d{{8,18}})号?$")
_SPACES = re.compile(r"\s+")
#: Column / field names an export may use, lowercased without ``_`` / ``-`` / spaces.
HOST_KEYS = ("domain", "host", "website", "site", "url", "域名", "网站域名")
FILING_KEYS = ("servicelicence", "filing", "icp", "filingnumber", "icpfiling", "备案号")
MAIN_FILING_KEYS = ("mainlicence",)
POLICE_KEYS = ("police", "policefiling", "psb", "公安备案号", "公网安备")
UNIT_KEYS = ("unitname", "unit", "company", "主办单位", "主办单位名称")


def known_rule_codes() -> tuple[str, ...]:
    """Every rule code there is: the registry's, or the issue's seven while it is empty."""
    return tuple(r.code for r in rule_registry.RULES) or ISSUE_RULE_CODES


def matching_codes(pattern: str) -> tuple[str, ...]:
    """Known codes matching an ``fnmatch`` pattern (``ICP*``), case-insensitively."""
    wanted = pattern.strip().upper()
    return tuple(c for c in known_rule_codes() if fnmatchcase(c, wanted))


class BadFiling(ValueError):
    """A filing or police filing number that is not one; the message names it."""


class UnreadableExport(ValueError):
    """A file that is no CSV or JSON export at all (exit 2, nothing stored)."""


def canonical_filing(text: str) -> str:
    """``京ICP备 12345678号-1`` (any width, or traditional 粵ICP備…號) → ``京ICP备12345678号-1``,
    simplified as the check writes what pages show. Old filings printed as
    ``京ICP证030173号`` (what ICP_Query returns for licence holders) are kept as such."""
    m = _FILING_RE.match(_SPACES.sub("", normalise(text)).upper())
    if not m:
        raise BadFiling(f"{text!r} is not an ICP filing number (e.g. 京ICP备12345678号)")
    return f"{m['prov']}ICP{m['kind']}{m['num']}号{m['suf'] or ''}"


def canonical_police(text: str) -> str:
    """``京公网安备 11010502000001 号`` or ``京公網安備…號`` → ``京公网安备11010502000001号``."""
    m = _POLICE_RE.match(_SPACES.sub("", normalise(text)))
    if not m:
        raise BadFiling(f"{text!r} is not a police filing number (e.g. 京公网安备11010502000001号)")
    return f"{m['prov']}公网安备{m['num']}号"


@dataclass(frozen=True, slots=True)
class FilingRecord:
    """One host's expected filings, as stored."""

    host: str
    filing: str
    police: str | None = None
    unit_name: str | None = None

    def expected(self) -> Expected:
        return Expected(filing=self.filing, police=self.police)


@dataclass(frozen=True, slots=True)
class Problem:
    """A line (CSV) or record (JSON, counted from 1) that could not be read, and why."""

    where: str  # "line 4" / "record 2"
    reason: str


def _key(name: str) -> str:
    """A field name as the key lists spell it: 備案號 and 备案号, ICP_Filing and icpfiling."""
    return re.sub(r"[\s_-]+", "", normalise(str(name))).lower()


def _pick(fields: dict[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = fields.get(key)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def record_of(fields: dict[str, Any]) -> FilingRecord:
    """One export record (CSV row or JSON object, any of the known field names) → a record.
    ICP_Query's ``serviceLicence`` (the website's filing, ``…号-1``) wins over ``mainLicence``
    (the unit's)."""
    fields = {_key(k): v for k, v in fields.items()}
    host_text = _pick(fields, HOST_KEYS)
    if host_text is None:
        raise BadFiling("no domain")
    try:
        host = normalise_host(host_text).host
    except InvalidDomain as exc:
        raise BadFiling(str(exc)) from None
    filing_text = _pick(fields, FILING_KEYS) or _pick(fields, MAIN_FILING_KEYS)
    if filing_text is None:
        raise BadFiling(f"{host}: no filing number")
    police_text = _pick(fields, POLICE_KEYS)
    return FilingRecord(
        host,
        canonical_filing(filing_text),
        canonical_police(police_text) if police_text else None,
        _pick(fields, UNIT_KEYS),
    )


def _json_records(data: Any) -> list[Any] | None:
    """The records of a JSON export, wherever the look-up tool put them: a list, a single
    object with a domain, or a list found under a wrapper (``{"params": {"list": […]}}``,
    ``{"data": […]}``), breadth first."""
    if isinstance(data, list):
        return data
    queue = [data]
    while queue:
        node = queue.pop(0)
        if not isinstance(node, dict):
            continue
        if any(_key(k) in HOST_KEYS for k in node):
            return [node]
        for value in node.values():
            if isinstance(value, list) and any(isinstance(v, dict) for v in value):
                return value
            queue.append(value)
    return None


def _from_json(text: str) -> Iterator[tuple[str, dict[str, Any] | None]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableExport(f"not valid JSON ({exc})") from None
    records = _json_records(data)
    if records is None:
        raise UnreadableExport("JSON without a list of records")
    for index, item in enumerate(records, 1):
        yield f"record {index}", item if isinstance(item, dict) else None


def _from_csv(text: str) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """A CSV with a header naming the columns, or without one: domain, filing[, police]."""
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    for row in reader:
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None and any(_key(c) in (*HOST_KEYS, *FILING_KEYS) for c in row):
            header = row
            continue
        names = header or ["domain", "filing", "police"]
        if len(row) > len(names) and any(c.strip() for c in row[len(names) :]):
            yield f"line {reader.line_num}", None
            continue
        yield f"line {reader.line_num}", dict(zip(names, row, strict=False))


def read_filings(data: bytes, name: str) -> tuple[list[FilingRecord], list[Problem]]:
    """An export's valid records and its bad lines. JSON by suffix or by a leading ``[`` /
    ``{``, CSV otherwise; UTF-8 with or without BOM (GB18030 as registry tools on Windows
    write it). Raises UnreadableExport for a file that is neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableExport("neither UTF-8 nor GB18030 text")
    if "\x00" in text:
        raise UnreadableExport("a binary file, not CSV or JSON")
    suffix = Path(name).suffix.lower()
    if suffix not in ("", ".json", ".csv", ".txt", ".tsv"):
        raise UnreadableExport(f"unknown file type {suffix!r} (expected .csv or .json)")
    is_json = suffix == ".json" or (suffix != ".csv" and text.lstrip()[:1] in ("[", "{"))
    records, problems = [], []
    for where, fields in (_from_json if is_json else _from_csv)(text):
        if fields is None:
            problems.append(Problem(where, "not a record of domain, filing[, police]"))
            continue
        try:
            records.append(record_of(fields))
        except BadFiling as exc:
            problems.append(Problem(where, str(exc)))
    return records, problems


# --- the filings table ------------------------------------------------------------------


def save_filings(db: Database, records: Iterable[FilingRecord], source_file: str) -> int:
    """Store records, one row per host: a later import (or a later record of the same file)
    replaces the host's row. Returns how many rows were written."""
    stamp = now()
    rows = [
        {
            "host": r.host,
            "filing": r.filing,
            "police": r.police,
            "unit_name": r.unit_name,
            "source_file": source_file,
            "imported_at": stamp,
        }
        for r in records
    ]
    with db.conn:
        db["filings"].upsert_all(rows, pk="host")
    return len(rows)


def list_filings(db: Database) -> list[dict[str, Any]]:
    return list(db["filings"].rows_where(order_by="host"))


def expected_for(db: Database, host: str) -> Expected | None:
    """What ``host`` (any written form; ``www.`` is the same site) should show, or None when no
    export names it (ICP003 is then ``unknown``). Used by the crawl and ``check-html --db``."""
    try:
        key = normalise_host(host).host
    except InvalidDomain:
        return None
    if not db["filings"].exists():
        return None
    row = db.execute("SELECT filing, police FROM filings WHERE host = ?", [key]).fetchone()
    return Expected(filing=row[0], police=row[1]) if row else None


def expected_by_host(db: Database, hosts: Iterable[str]) -> dict[str, Expected]:
    """:func:`expected_for` for many stored (already normal) hosts in one query."""
    wanted = sorted(set(hosts))
    found: dict[str, Expected] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for host, filing, police in db.execute(
            "SELECT host, filing, police FROM filings "
            f"WHERE host IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            found[host] = Expected(filing=filing, police=police)
    return found


# --- per-licence rule switches ----------------------------------------------------------


class UnknownRule(ValueError):
    """A rule code no rule has; the message lists the known ones."""


def check_codes(codes: Iterable[str]) -> tuple[str, ...]:
    """Codes upper-cased and checked against :func:`known_rule_codes`, in the order given."""
    known = known_rule_codes()
    result = []
    for code in codes:
        name = code.strip().upper()
        if name not in known:
            raise UnknownRule(f"{code!r} is not a rule code: expected one of {', '.join(known)}")
        if name not in result:
            result.append(name)
    return tuple(result)


def switch(
    db: Database,
    license_no: str,
    codes: Iterable[str],
    state: str,
    by: str | None = None,
    why: str | None = None,
) -> list[str]:
    """Switch rules ``on`` or ``off`` for a licence; returns the codes whose state changed. A
    switch already in that state keeps its date (and gets the new by/why when given). The row
    stays either way: it records who decided, also when the decision is the default."""
    stamp, changed = now(), []
    with db.conn:
        for code in check_codes(codes):
            row = db.execute(
                "SELECT state FROM rule_switches WHERE license_no = ? AND code = ?",
                [license_no, code],
            ).fetchone()
            was_off = row[0] == "off" if row else code in DEFAULT_OFF
            if was_off != (state == "off"):
                changed.append(code)
            if row is None or row[0] != state:
                db["rule_switches"].upsert(
                    {"license_no": license_no, "code": code, "state": state, "since": stamp,
                     "by": by, "why": why},
                    pk=("license_no", "code"),
                )  # fmt: skip
            elif by or why:
                db["rule_switches"].update(
                    (license_no, code), {k: v for k, v in (("by", by), ("why", why)) if v}
                )
    return changed


def list_switches(db: Database, license_no: str | None = None) -> list[dict[str, Any]]:
    where, args = ("license_no = ?", [license_no]) if license_no else (None, None)
    return list(db["rule_switches"].rows_where(where, args, order_by="license_no, code"))


def rules_off(db: Database, license_nos: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each licence's switched-off codes: DEFAULT_OFF, then its own switches."""
    wanted = sorted(set(license_nos))
    off = {license_no: set(DEFAULT_OFF) for license_no in wanted}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for license_no, code, state in db.execute(
            "SELECT license_no, code, state FROM rule_switches "
            f"WHERE license_no IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            (off[license_no].add if state == "off" else off[license_no].discard)(code)
    return {k: frozenset(v) for k, v in off.items()}
