"""Domain lists a compliance team keeps: a text file with one host per line, or a CSV / XLSX
sheet with a ``domain`` column, read into normalised hosts for ``icpwatch domains import``.

Pure: bytes in, a :class:`DomainList` out. Every bad line is kept with its line number (the row
number a spreadsheet shows, for CSV and XLSX) and the reason, so the command can name each one;
a file that cannot be read as a list at all raises :class:`UnreadableList`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crawler.licences.domains import Host, InvalidDomain, normalise_host
from crawler.licences.parser import NotALicence, decode_document

#: A list of hosts is a few KB; a file this big is the wrong file.
MAX_LIST_BYTES = 5 * 1024 * 1024
#: The column CSV and XLSX lists name their hosts with (case-insensitive).
DOMAIN_COLUMN = "domain"
LIST_FORMATS = ("txt", "csv", "xlsx")
_ZIP_MAGIC = b"PK\x03\x04"
#: ``#`` starts a comment at the start of a line or after a space (``x.cn/#top`` is no comment).
_COMMENT = re.compile(r"(?:^|\s)#.*$")


class UnreadableList(ValueError):
    """Not a domain list at all (binary, undecodable, no ``domain`` column, a broken XLSX)."""


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line (or row) that holds no host name, and why."""

    line: int
    value: str
    reason: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A host listed more than once (also as ``www.`` or a URL): stored once, named once."""

    host: str
    lines: tuple[int, ...]  # every line it is on, the first one included


@dataclass(frozen=True, slots=True)
class DomainList:
    hosts: tuple[Host, ...]  # the valid hosts, each once, in file order
    bad: tuple[BadLine, ...]
    duplicates: tuple[Duplicate, ...]
    unit: str  # "line" (text) or "row" (CSV, XLSX): what the numbers count


def list_format(name: str, data: bytes) -> str:
    """``txt``, ``csv`` or ``xlsx`` by the file's suffix; an XLSX is also known by its bytes."""
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or data.startswith(_ZIP_MAGIC):
        return "xlsx"
    return "csv" if suffix == ".csv" else "txt"


def parse_domain_list(data: bytes, name: str) -> DomainList:
    """The hosts of a list file; raises UnreadableList when it is no list at all."""
    kind = list_format(name, data)
    if kind == "xlsx":
        values, unit = _xlsx_values(data), "row"
    else:
        text = _text(data)
        values, unit = (_csv_values(text), "row") if kind == "csv" else (_txt_values(text), "line")
    return _collect(values, unit)


def _text(data: bytes) -> str:
    try:
        return decode_document(data)
    except NotALicence as exc:
        raise UnreadableList(str(exc)) from None


def _txt_values(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), 1):
        value = _COMMENT.sub("", line).strip()
        if value:
            yield number, value


def _csv_values(text: str) -> Iterator[tuple[int, str]]:
    try:
        rows = list(enumerate(csv.reader(io.StringIO(text, newline="")), 1))
    except csv.Error as exc:
        raise UnreadableList(f"not a readable CSV file ({exc})") from None
    return _column(rows, "the CSV file")


def _xlsx_values(data: bytes) -> Iterator[tuple[int, str]]:
    from openpyxl import load_workbook  # only an XLSX list pays for importing it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # a declared A1:XFD1048576 must not pad every row
            rows = [
                (number, [_cell_text(v) for v in row])
                for number, row in enumerate(sheet.iter_rows(values_only=True), 1)
                if any(v is not None for v in row)
            ]
        finally:
            book.close()
    except Exception as exc:  # openpyxl on a hostile or broken file: one line, not a traceback
        reason = f"{type(exc).__name__}: {exc}"
        raise UnreadableList(f"not a readable XLSX workbook ({reason})") from None
    return _column(rows, "the first sheet")


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees: ``12.0`` as ``12``, empty as ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column(rows: Iterable[tuple[int, list[str]]], where: str) -> Iterator[tuple[int, str]]:
    """The non-empty cells of the ``domain`` column under the first non-empty row (the header).
    Checked before the first value is yielded, so a missing header stores nothing."""
    rows = iter(rows)
    first = next(((n, row) for n, row in rows if any(cell.strip() for cell in row)), None)
    if first is None:
        raise UnreadableList(f"{where} is empty: no header row with a '{DOMAIN_COLUMN}' column")
    number, header = first
    names = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    if DOMAIN_COLUMN not in names:
        shown = ", ".join(repr(c) for c in header if c.strip())
        raise UnreadableList(
            f"no '{DOMAIN_COLUMN}' column in the header row ({where}, row {number}: {shown})"
        )
    index = names.index(DOMAIN_COLUMN)

    def values() -> Iterator[tuple[int, str]]:
        for number, row in rows:
            value = row[index].strip() if index < len(row) else ""
            if value:
                yield number, value

    return values()


def _collect(values: Iterable[tuple[int, str]], unit: str) -> DomainList:
    hosts: dict[str, Host] = {}
    seen: dict[str, list[int]] = {}
    bad: list[BadLine] = []
    for number, value in values:
        if len(value.split()) > 1:
            bad.append(BadLine(number, value, f"one host per {unit}: {value!r} has several"))
            continue
        try:
            host = normalise_host(value)
        except InvalidDomain as exc:
            bad.append(BadLine(number, value, str(exc)))
            continue
        hosts.setdefault(host.host, host)
        seen.setdefault(host.host, []).append(number)
    if not hosts and not bad:
        raise UnreadableList("no domains in the file")
    duplicates = tuple(Duplicate(h, tuple(n)) for h, n in seen.items() if len(n) > 1)
    return DomainList(tuple(hosts.values()), tuple(bad), duplicates, unit)
