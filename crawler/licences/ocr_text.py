"""Tesseract's word table (TSV) → the text the licence parser expects, and which parsed fields
rest on words Tesseract was unsure of.

Quirks fixed here, not in the parser: chi_sim splits Chinese into one "word" per character or
run, so words are joined without a space unless both sides are Latin or the gap is wide (a label
and its value); 〈 〉 read for （ ）; letters read for digits in a licence number (2O25, l), and 8
for the B of its category, repaired with a note that becomes a warning.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from crawler.licences.numbers import PROVINCES

#: Words below this confidence (0-100) make the field they are part of "unsure". Measured on
#: the test scans (7 licences x 13 image variants, 916 fields read): under 60 named 43 of the
#: 52 misread fields and 79 of 864 right ones, under 70 45 and 117, under 80 50 and 208.
UNSURE_BELOW = 70.0
#: A gap wider than this many line heights between two words is a space (label … value).
_WIDE_GAP = 0.8
_LATIN = re.compile(r"[0-9A-Za-z.\-/@:_%]")
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float  # 0-100
    line: int  # index of its line in the page text


#: A line's box on the page image: left, top, right, bottom (pixels).
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class OcrPage:
    lines: tuple[str, ...]
    words: tuple[OcrWord, ...]  # ``line`` indexes ``lines``
    boxes: tuple[Box, ...] = ()  # of each line, as ``lines``; () when not known

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def unsure_lines(self, threshold: float = UNSURE_BELOW) -> list[tuple[str, float]]:
        """(line, lowest confidence) of lines with a word under the threshold; punctuation
        alone (a colon read as a semicolon) does not make a line unsure."""
        lowest = self._lowest()
        return [(self.lines[i], c) for i, c in sorted(lowest.items()) if c < threshold]

    def _lowest(self) -> dict[int, float]:
        """Each line's least sure word that is not punctuation alone."""
        lowest: dict[int, float] = {}
        for w in self.words:
            if _MEANINGFUL.search(w.text) and w.confidence < lowest.get(w.line, 101.0):
                lowest[w.line] = w.confidence
        return lowest

    def unsure_indexes(self, threshold: float = UNSURE_BELOW) -> list[int]:
        """Indexes of the lines :meth:`unsure_lines` names, least sure first."""
        lowest = self._lowest()
        return sorted((i for i, c in lowest.items() if c < threshold), key=lowest.__getitem__)

    def line_confidence(self, index: int) -> float | None:
        """Mean confidence of the words of one line."""
        confs = [w.confidence for w in self.words if w.line == index]
        return statistics.fmean(confs) if confs else None

    def with_line(self, index: int, reread: OcrPage) -> OcrPage:
        """This page with line ``index`` replaced by the one line of ``reread``. Its words are
        no surer than the least sure word the line had: a field Tesseract first misread stays
        warned of even when a re-read is sure of it (measured: 九广路 re-read at 93)."""
        lines = list(self.lines)
        lines[index] = reread.lines[0]
        doubt = self._lowest().get(index, 100.0)
        words = [w for w in self.words if w.line != index]
        at = next((n for n, w in enumerate(words) if w.line > index), len(words))
        words[at:at] = [OcrWord(w.text, min(w.confidence, doubt), index) for w in reread.words]
        return OcrPage(tuple(lines), tuple(words), self.boxes)

    @property
    def confidence(self) -> float | None:
        confs = [w.confidence for w in self.words]
        return statistics.fmean(confs) if confs else None


def page_from_tsv(tsv: str) -> OcrPage:
    """Rebuild a page's lines from ``tesseract … tsv`` rows (level 5 = a word)."""
    lines: dict[tuple[str, ...], list[tuple[int, int, int, int, str, float]]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            left, top, width, height = (int(c) for c in cols[6:10])
            conf = max(0.0, float(cols[10]))
        except ValueError:
            continue
        key = tuple(cols[1:5])  # page, block, paragraph, line
        lines.setdefault(key, []).append((left, width, height, top, cols[11].strip(), conf))
    out: list[str] = []
    words: list[OcrWord] = []
    boxes: list[Box] = []
    for index, items in enumerate(lines.values()):
        items.sort(key=lambda w: w[0])
        height = statistics.median(w[2] for w in items)
        boxes.append(
            (
                items[0][0],
                min(w[3] for w in items),
                max(w[0] + w[1] for w in items),
                max(w[3] + w[2] for w in items),
            )
        )
        text = ""
        previous_end = None
        for left, width, _, _, word, conf in items:
            if text and (
                (_LATIN.match(text[-1]) and _LATIN.match(word[0]))
                or (previous_end is not None and left - previous_end > _WIDE_GAP * height)
            ):
                text += " "
            text += word
            previous_end = left + width
            words.append(OcrWord(word, conf, index))
        out.append(text)
    return OcrPage(tuple(out), tuple(words), tuple(boxes))


#: Two text boxes are on one line when their centres are closer than this share of the lower
#: box's height (a label column beside its value; a photo's lines after straightening).
_SAME_LINE = 0.5


def page_from_boxes(boxes: Iterable[tuple[Box, str, float]], slope: float = 0.0) -> OcrPage:
    """A page's lines from an engine that reads text boxes (PP-OCR): (box, text, confidence
    0-100) in any order, grouped into lines top to bottom and each line left to right. Every
    box is its own word: the engine splits boxes where the print has a gap, so they are joined
    with a space (a label and its value). ``slope`` is how far the print's lines fall per pixel
    to the right (a photo straightened only roughly): a label and its value further right sit
    at different heights, and are compared along the line, not across the page."""

    def level(box: Box) -> float:
        return (box[1] + box[3]) / 2 - slope * (box[0] + box[2]) / 2

    rows: list[list[tuple[Box, str, float]]] = []
    total = lowest = 0.0  # the last row's sum of levels and its lowest box: one pass, linear
    for item in sorted(boxes, key=lambda b: level(b[0])):
        at, height = level(item[0]), item[0][3] - item[0][1]
        if rows and abs(at - total / len(rows[-1])) < _SAME_LINE * min(height, lowest):
            rows[-1].append(item)
            total, lowest = total + at, min(lowest, height)
            continue
        rows.append([item])
        total, lowest = at, height
    lines: list[str] = []
    words: list[OcrWord] = []
    line_boxes: list[Box] = []
    for index, row in enumerate(rows):
        row.sort(key=lambda b: b[0][0])
        lines.append(" ".join(text for _, text, _ in row))
        words += [OcrWord(text, conf, index) for _, text, conf in row]
        line_boxes.append(
            (
                min(b[0] for b, _, _ in row),
                min(b[1] for b, _, _ in row),
                max(b[2] for b, _, _ in row),
                max(b[3] for b, _, _ in row),
            )
        )
    return OcrPage(tuple(lines), tuple(words), tuple(line_boxes))


def pages_from_tsv(tsv: str) -> dict[int, OcrPage]:
    """Each page of a multi-image run (``tesseract list.txt …``) by its page_num (1-based)."""
    rows = tsv.splitlines()
    by_page: dict[int, list[str]] = {}
    for row in rows[1:]:
        page = row.split("\t", 2)[1:2]
        if page and page[0].isdigit():
            by_page.setdefault(int(page[0]), []).append(row)
    return {n: page_from_tsv("\n".join(rows[:1] + r)) for n, r in by_page.items()}


def _label(line: str) -> str:
    """The certificate label a line starts with, or ''."""
    flat = unicodedata.normalize("NFKC", line).lstrip()
    return next((label for label in _LABELS if flat.startswith(label)), "")


def better_reading(line: str, confidence: float, rereads: Iterable[OcrPage]) -> OcrPage | None:
    """The surest of the re-reads of one line if it is surer than ``confidence`` (the line's
    mean word confidence as first read) and plausibly the same line: one line, the same label
    at its start, and about as long (a re-read that lost or invented a phrase is not it)."""
    best, best_conf = None, confidence
    label = _label(line)
    for page in rereads:
        conf = page.confidence
        if len(page.lines) != 1 or conf is None or conf <= best_conf:
            continue
        text = page.lines[0]
        if _label(text) != label or abs(len(text) - len(line)) > max(2, len(line) // 5):
            continue
        best, best_conf = page, conf
    return best


# --- text fixes ---------------------------------------------------------------------------

_PUNCT = str.maketrans({"〈": "(", "〉": ")", "﹝": "(", "﹞": ")"})
#: The certificate's labels, as OCR (after NFKC) prints them at the start of a line.
_LABELS = (
    "经营许可证编号",
    "公司名称",
    "法定代表人",
    "发证日期",
    "有效期至",
    "网站名称",
    "网站域名",
    "服务器放置地",
    "网站接入服务提供单位",
)
#: Misreadings of the certificate's fixed words, each only where it cannot be a real word.
_WORD_FIXES = (
    (re.compile(r"(?<=\d)(\s*)[曰目]"), r"\1日"),  # 2 曰 / 2目 for 2日: the day of a date
    (re.compile(r"仪限"), "仅限"),  # 仪 for 仅 in the scope (仅限…); 仪限 is no word
    (re.compile(r"[履復]盖"), "覆盖"),  # 业务覆盖范围; 履盖 is no word
    # a label's colon read as ; , or . (公司名称; 常州…)
    (re.compile(rf"^(\s*(?:{'|'.join(_LABELS)}))\s*[;,.](?=\s*\S)", re.MULTILINE), r"\1:"),
    # the 附页 heading 「<company>获准经营<service>相关信息」 with 获 lost or misread
    (re.compile(r"(?<=公司)[^获\s]?准经营"), "获准经营"),
)
_TO_DIGIT = str.maketrans("OoDQIlLi|SZz", "000011111522")
_NUMBER = re.compile(
    rf"(?:(?P<prov>[{PROVINCES}])\s*[Il|]?)?\s*(?P<cat>[AB8])\s?(?P<catno>[1-4lIZz|])\s*[-一—_~]\s*"
    r"(?P<serial>(?:[0-9OoDQIlLi|SZz]\s?){7}[0-9OoDQIlLi|SZz])(?![0-9A-Za-z])"
)


def repair_numbers(text: str) -> tuple[str, list[str]]:
    """Licence numbers with OCR letters for digits made whole; each repair is a note."""
    notes: list[str] = []

    def fix(m: re.Match[str]) -> str:
        cat = m["cat"]
        if cat == "8":
            if not m["prov"]:
                return m.group(0)  # 8x-12345678 without a province is too weak to call a number
            cat = "B"
        fixed = (
            f"{m['prov'] or ''}{cat}{m['catno'].translate(_TO_DIGIT)}-"
            f"{re.sub(r'[^0-9]', '', m['serial'].translate(_TO_DIGIT))}"
        )
        squashed = re.sub(r"\s+", "", m.group(0)).replace("一", "-").replace("—", "-")
        if fixed != squashed.replace("_", "-").replace("~", "-"):
            notes.append(f"licence number: OCR read {m.group(0)!r}, taken as {fixed}")
        return fixed

    return _NUMBER.sub(fix, text), notes


_DOMAIN_LINE = re.compile(r"^(?P<label>\s*(?:网站域名|域名|网址)\s*:?)(?P<rest>.*)$", re.MULTILINE)
_DOTLESS = re.compile(
    r"(?<![\w.])(?P<www>www\.)?(?P<name>[a-z0-9][a-z0-9-]{2,}?)"
    r"(?P<suffix>comcn|netcn|orgcn|com|net|cn)(?![\w.])",
    re.IGNORECASE,
)


def repair_domains(text: str) -> tuple[str, list[str]]:
    """A listed domain whose dot OCR lost (``chaoqiankejicom``) gets it back before its
    suffix; only on a 网站域名 line, only for a name without a dot (``www.`` aside); each is
    a note."""
    notes: list[str] = []

    def token(m: re.Match[str]) -> str:
        suffix = m["suffix"]
        dotted = f"{suffix[:-2]}.cn" if len(suffix) == 5 else suffix
        fixed = f"{m['www'] or ''}{m['name']}.{dotted}"
        notes.append(f"website domain: OCR read {m.group(0)!r}, taken as {fixed}")
        return fixed

    def line(m: re.Match[str]) -> str:
        return m["label"] + _DOTLESS.sub(token, m["rest"])

    return _DOMAIN_LINE.sub(line, text), notes


def normalise_ocr(text: str) -> tuple[str, list[str]]:
    """OCR text ready for the parser, and the repairs it needed (warnings for the licence)."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT)
    for pattern, replacement in _WORD_FIXES:
        text = pattern.sub(replacement, text)
    text, domain_notes = repair_domains(text)
    text, number_notes = repair_numbers(text)
    return text, number_notes + domain_notes


# --- which fields rest on unsure words ----------------------------------------------------


def _fold(text: str) -> str:
    """Both sides of a comparison alike: NFKC, OCR punctuation and letter-digit confusions."""
    flat = unicodedata.normalize("NFKC", text).translate(_PUNCT).upper().translate(_TO_DIGIT)
    return re.sub(r"[\s\-一—_~]+", "", flat)


def _char_confidences(words: Iterable[OcrWord]) -> tuple[str, list[float]]:
    chars: list[str] = []
    confs: list[float] = []
    for word in words:
        folded = _fold(word.text)
        chars.append(folded)
        confs += [word.confidence] * len(folded)
    return "".join(chars), confs


def field_confidence(value: str, words: Iterable[OcrWord]) -> float | None:
    """The confidence of the surest place the value is printed (a number printed three times
    is sure if one copy is), as its least sure character there; None if it is not found."""
    text, confs = _char_confidences(words)
    needle = _fold(value)
    if not needle:
        return None
    best = None
    start = text.find(needle)
    while start >= 0:
        low = min(confs[start : start + len(needle)])
        best = low if best is None else max(best, low)
        start = text.find(needle, start + 1)
    return best


def unsure_fields(
    fields: Iterable[tuple[str, str | None]],
    words: tuple[OcrWord, ...],
    threshold: float = UNSURE_BELOW,
) -> list[str]:
    """Warnings for the (label, value) pairs whose best printed copy has a word under the
    threshold: ``OCR unsure of 经营许可证编号 京B2-20252223 (confidence 41)``."""
    out = []
    for label, value in fields:
        if not value:
            continue
        conf = field_confidence(value, words)
        if conf is not None and conf < threshold:
            out.append(f"OCR unsure of {label} {value} (confidence {conf:.0f})")
    return out
