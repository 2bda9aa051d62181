"""Cost of the footer check per page, against a plain BeautifulSoup(html, "lxml") parse.

The check runs once per crawled page, so its median must stay at or under 2 ms on the real
corpus pages (../shared/corpus, 20–770 KB) and far below a full BeautifulSoup parse (target 15x).
It also reports the footer rules' share: their literal needles in the byte scan plus apply_rules,
timed apart on the same pages.
Usage: .venv/bin/python benchmarks/check_speed.py [--repeat N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

from crawler.check import check_page
from crawler.check.rules import Expected, PageFacts, apply_rules
from crawler.check.scan import PageScan, RawPage, _business_licence, _registry_links, scan_page

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.unit.test_hostile_check import HOSTILE  # noqa: E402  (the ~1 MB pathological pages)

CORPUS = ROOT.parent / "shared" / "corpus"
#: The spider always knows the licensee; a name that is on no corpus page costs a full scan.
COMPANY = "北京某某网络科技有限公司"
DEFAULT_EXPECTED = "京B2-20252223"
#: A registry entry no corpus page shows: ICP003 / PSB003 compare every filing the page shows.
EXPECTED = Expected(filing="京ICP备12345678号", police="京公网安备11010502000001号")


def _time_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median of ``repeat`` timings of ``fn``, in milliseconds (first call warms caches)."""
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


def _needles(body: bytes) -> None:
    """The scan's work for the rules alone (the page's lower-cased copy exists already)."""
    raw = RawPage(body)
    raw._low = body.lower()
    out = PageScan()
    _registry_links(raw, out)
    _business_licence(raw, out)


def _facts(scan: PageScan) -> PageFacts:
    return PageFacts(
        links=tuple(dict.fromkeys(scan.links)),
        image_filings=tuple(scan.image_filings),
        image_police=tuple(scan.image_police),
        business_licence=tuple(scan.business_licence),
    )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _row(name: str, values: list[float]) -> str:
    return (
        f"{name:<34} n={len(values):>3}  median {statistics.median(values):7.3f} ms"
        f"  p95 {_p95(values):7.3f} ms  mean {statistics.fmean(values):7.3f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--repeat", type=int, default=7, help="timed runs per page (median kept)")
    args = ap.parse_args(argv)
    labels_file = args.corpus / "labels.json"
    if not labels_file.is_file():
        print(f"corpus not found: {labels_file}", file=sys.stderr)
        return 2
    labels = json.loads(labels_file.read_text(encoding="utf-8"))

    check_ms: list[float] = []
    soup_ms: list[float] = []
    with_number: list[float] = []
    without_number: list[float] = []
    parsed: list[float] = []
    scanned_only: list[float] = []
    rules_ms: list[float] = []
    sizes = []
    for entry in labels:
        body = (args.corpus / "pages" / entry["file"]).read_bytes()
        sizes.append(len(body))
        expected = entry["displayed"][0] if entry["displayed"] else DEFAULT_EXPECTED
        text = body.decode(entry.get("encoding") or "utf-8", "replace")
        c = _time_ms(lambda b=body, e=expected: check_page(b, e, company=COMPANY), args.repeat)
        s = _time_ms(lambda t=text: BeautifulSoup(t, "lxml"), max(1, args.repeat // 3))
        check_ms.append(c)
        soup_ms.append(s)
        (with_number if entry["displayed"] or entry["hidden"] else without_number).append(c)
        # Tier 2 (lxml parse) runs only when the byte scan finds a licence number/label candidate.
        scan = scan_page(RawPage(body))
        (parsed if scan.marks else scanned_only).append(c)
        finding, facts = check_page(body, expected, company=COMPANY), _facts(scan)
        needles = _time_ms(lambda b=body: _needles(b), args.repeat)
        rules = _time_ms(lambda f=finding, x=facts: apply_rules(f, x, EXPECTED), args.repeat)
        rules_ms.append(needles + rules)

    print(
        f"corpus: {len(labels)} pages, {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB "
        f"(median {statistics.median(sizes) / 1024:.0f} KB); {args.repeat} runs per page"
    )
    print(_row("check_page (bytes in, Finding out)", check_ms))
    print(_row("  pages showing a licence number", with_number))
    print(_row("  pages without one", without_number))
    print(_row("  candidates found: parsed", parsed))
    print(_row("  no candidate: byte scan only", scanned_only))
    print(_row("  of which the rules (needles+apply)", rules_ms))
    without = [c - r for c, r in zip(check_ms, rules_ms, strict=True)]
    print(_row("  check_page without the rules", without))
    share = sum(rules_ms) / sum(check_ms)
    median_share = statistics.median(r / c for r, c in zip(rules_ms, check_ms, strict=True))
    print(
        f"rules' share of check_page: {share:.1%} of the total time, "
        f"median {median_share:.1%} a page"
    )
    print(_row('BeautifulSoup(html, "lxml")', soup_ms))
    ratio_median = statistics.median(soup_ms) / statistics.median(check_ms)
    ratio_p95 = _p95(soup_ms) / _p95(check_ms)
    print(f"ratio BeautifulSoup / check: median {ratio_median:.1f}x  p95 {ratio_p95:.1f}x")
    ok = statistics.median(check_ms) <= 2.0 and ratio_median >= 15
    print(f"targets (median <= 2 ms, ratio >= 15x): {'met' if ok else 'NOT met'}")
    per_mb = []
    worst = ""
    for name, make in HOSTILE.items():
        body = make()
        ms = _time_ms(lambda b=body: check_page(b, DEFAULT_EXPECTED, company=COMPANY), 1)
        per_mb.append(ms / (len(body) / 2**20))
        if per_mb[-1] == max(per_mb):
            worst = name
    print(
        f"pathological pages: n={len(per_mb)}  median {statistics.median(per_mb):.0f} ms/MB"
        f"  worst {max(per_mb):.0f} ms/MB ({worst})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
