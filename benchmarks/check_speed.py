"""Cost of the footer check per page, against a plain BeautifulSoup(html, "lxml") parse.

The check runs once per crawled page, so its median must stay at or under 2 ms on the real
corpus pages (../shared/corpus, 20–770 KB) and far below a full BeautifulSoup parse (target 15x).
The check is timed as a crawl runs it: every rule on but those off unless a licence switches them
on (DEFAULT_OFF: BIZ001). It also reports the rules' share (the same check with every rule off)
and the cost with every rule on.
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
from crawler.check.rules import DEFAULT_OFF, RULES, Expected
from crawler.check.scan import RawPage, scan_page

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.unit.test_hostile_check import HOSTILE  # noqa: E402  (the ~1 MB pathological pages)

CORPUS = ROOT.parent / "shared" / "corpus"
#: The spider always knows the licensee; a name that is on no corpus page costs a full scan.
COMPANY = "北京某某网络科技有限公司"
DEFAULT_EXPECTED = "京B2-20252223"
#: A registry entry no corpus page shows: ICP003 / PSB003 compare every filing the page shows.
#: How a crawl calls the check: the host's expected filings, the licence's default switches.
CRAWL = {
    "expected_filing": Expected(filing="京ICP备12345678号", police="京公网安备11010502000001号"),
    "rules_off": DEFAULT_OFF,
}
ALL_OFF = frozenset(r.code for r in RULES)


def _time_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median of ``repeat`` timings of ``fn``, in milliseconds (first call warms caches)."""
    fn()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs)


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
    every_rule_ms: list[float] = []
    sizes = []
    for entry in labels:
        body = (args.corpus / "pages" / entry["file"]).read_bytes()
        sizes.append(len(body))
        expected = entry["displayed"][0] if entry["displayed"] else DEFAULT_EXPECTED
        text = body.decode(entry.get("encoding") or "utf-8", "replace")
        c = _time_ms(
            lambda b=body, e=expected: check_page(b, e, **CRAWL, company=COMPANY), args.repeat
        )
        s = _time_ms(lambda t=text: BeautifulSoup(t, "lxml"), max(1, args.repeat // 3))
        check_ms.append(c)
        soup_ms.append(s)
        (with_number if entry["displayed"] or entry["hidden"] else without_number).append(c)
        # Tier 2 (lxml parse) runs only when the byte scan finds a licence number/label candidate.
        scan = scan_page(RawPage(body))
        (parsed if scan.marks else scanned_only).append(c)
        bare = _time_ms(
            lambda b=body, e=expected: check_page(b, e, rules_off=ALL_OFF, company=COMPANY),
            args.repeat,
        )
        rules_ms.append(c - bare)
        every = _time_ms(lambda b=body, e=expected: check_page(b, e, company=COMPANY), args.repeat)
        every_rule_ms.append(every)

    print(
        f"corpus: {len(labels)} pages, {min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB "
        f"(median {statistics.median(sizes) / 1024:.0f} KB); {args.repeat} runs per page"
    )
    print(_row("check_page (bytes in, Finding out)", check_ms))
    print(_row("  pages showing a licence number", with_number))
    print(_row("  pages without one", without_number))
    print(_row("  candidates found: parsed", parsed))
    print(_row("  no candidate: byte scan only", scanned_only))
    print(_row("  of which the rules", rules_ms))
    without = [c - r for c, r in zip(check_ms, rules_ms, strict=True)]
    print(_row("  check_page without the rules", without))
    print(_row(f"  with {', '.join(sorted(DEFAULT_OFF))} switched on too", every_rule_ms))
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
