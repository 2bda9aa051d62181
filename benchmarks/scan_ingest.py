"""Licence scans in: seconds per page and field accuracy of ``read_scan`` → ``parse_licence``.

The scans are the test scans (tests/fakes/scan_maker.py): the four seed licences and three
layouts of our own, each drawn as every variant (text-layer PDF; clean PNG, JPEG, TIFF and
image PDF at 300 dpi; 150 dpi; tilt, page turned 90°, blur, JPEG noise, red seal, phone
photo). Each is read the way ``icpwatch licenses load`` reads it, and its fields are compared
with its text twin's (the same certificate as a text document, parsed).

Baselines measured in the same run: parsing the text twin (what a .txt licence costs), and
plain Tesseract on the same image files (``tesseract FILE stdout -l chi_sim``: no
preprocessing, no OSD, Tesseract's default page segmentation) for what the preprocessing buys
and costs. Seconds are wall time per page; CPU seconds per page (this process and its tools)
are the cross-check when the machine is busy.

Targets (issue 19): every field of a clean scan (text-layer PDF, 300 dpi images) as its twin's;
>= 95 % of fields on the damaged ones (150 dpi and every damage kind); every wrong field named
by one of the licence's warnings. ``--check`` exits 1 when one is missed.
Usage: .venv/bin/python benchmarks/scan_ingest.py [--specs K,..] [--variants V,..]
       [--no-baseline] [--report FILE.md] [--keep DIR] [--check]   (full matrix: ~20 min)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.bench_common import judged, load  # noqa: E402
from crawler.licences.parser import Licence, NotALicence, parse_licence  # noqa: E402
from crawler.licences.scan import UnreadableScan, licence_from_scan, read_scan  # noqa: E402
from tests.fakes.scan_maker import VARIANTS, make_scan, specs, twin_text  # noqa: E402
from tests.fakes.scan_score import Score, score, unread  # noqa: E402

#: The rows of the summary: what the issue asks to see, and which variants make each.
GROUPS = {
    "text-layer PDF": ("text-pdf",),
    "clean 300 dpi images": tuple(n for n, v in VARIANTS.items() if v.clean and n != "text-pdf"),
    "150 dpi images": tuple(n for n, v in VARIANTS.items() if v.dpi == 150),
    "phone photos": ("photo", "photo-150"),
    "damaged (all kinds)": tuple(n for n, v in VARIANTS.items() if not v.clean),
}


@dataclass
class Run:
    spec: str
    variant: str
    pages: int
    wall: float  # seconds, read_scan and the parse
    cpu: float  # CPU seconds of this process and the tools it ran
    score: Score
    plain: Score | None = None  # plain Tesseract on the same file
    plain_wall: float | None = None


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _ingest(path: Path, expected: Licence) -> tuple[int, Score]:
    """(pages, score) of one scan read as ``licenses load`` reads it."""
    try:
        scan = read_scan(path)
        return scan.pages, score(expected, licence_from_scan(scan))
    except UnreadableScan as exc:
        return 0, unread(expected, f"unreadable scan: {exc}")
    except NotALicence as exc:
        return 1, unread(expected, str(exc))


def _plain_tesseract(path: Path, expected: Licence) -> Score:
    out = subprocess.run(
        ["tesseract", str(path), "stdout", "-l", "chi_sim"],
        capture_output=True,
        check=False,
        timeout=300,
    ).stdout.decode("utf-8", "replace")
    try:
        return score(expected, parse_licence(out))
    except NotALicence as exc:
        return unread(expected, str(exc))


def _twin_ms(spec_list, repeat: int = 20) -> float:
    """Median milliseconds to parse a text twin: a .txt licence's cost."""
    texts = [twin_text(s) for s in spec_list]
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for text in texts:
            parse_licence(text)
        runs.append((time.perf_counter() - t0) / len(texts) * 1000)
    return statistics.median(runs)


def measure(spec_list, variants, out: Path, baseline: bool, progress) -> list[Run]:
    runs = []
    for spec in spec_list:
        expected = parse_licence(twin_text(spec))
        for variant in variants:
            path = make_scan(spec, variant, out)
            t0, c0 = time.perf_counter(), _cpu()
            pages, got = _ingest(path, expected)
            run = Run(spec.key, variant.name, pages, time.perf_counter() - t0, _cpu() - c0, got)
            if baseline and path.suffix != ".pdf":  # Tesseract reads no PDF by itself
                t0 = time.perf_counter()
                run.plain = _plain_tesseract(path, expected)
                run.plain_wall = time.perf_counter() - t0
            runs.append(run)
            progress(run)
    return runs


def _pct(scores: list[Score]) -> str:
    total = sum(s.total for s in scores)
    return f"{100 * sum(s.correct for s in scores) / total:5.1f} %" if total else "    -"


def _per_page(runs: list[Run], attr: str) -> float:
    pages = sum(r.pages for r in runs) or 1
    return sum(getattr(r, attr) or 0 for r in runs) / pages


def table(runs: list[Run], rows: dict[str, tuple[str, ...]]) -> list[str]:
    head = (
        f"| {'scans':<24} | docs | pages | s/page | CPU s/page | fields ok | accuracy "
        "| unnamed | right but warned | plain tess. s/page | plain acc. |"
    )
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for name, names in rows.items():
        group = [r for r in runs if r.variant in names]
        if not group:
            continue
        plain = [r for r in group if r.plain]
        plain_s = sum(r.plain_wall or 0 for r in plain) / (sum(r.pages for r in plain) or 1)
        lines.append(
            f"| {name:<24} | {len(group):>4} | {sum(r.pages for r in group):>5} "
            f"| {_per_page(group, 'wall'):6.2f} | {_per_page(group, 'cpu'):10.2f} "
            f"| {sum(r.score.correct for r in group):>4}/{sum(r.score.total for r in group):<4} "
            f"| {_pct([r.score for r in group])} "
            f"| {sum(len(r.score.unnamed) for r in group):>7} "
            f"| {sum(len(r.score.warned) for r in group):>16} "
            f"| {(f'{plain_s:18.2f}' if plain else '                 -')} "
            f"| {_pct([r.plain for r in plain if r.plain]) if plain else '    -'}   |"
        )
    return lines


def failures(runs: list[Run]) -> list[str]:
    """Every wrong field, by variant then licence; (unnamed) where no warning names it."""
    out = []
    for r in runs:
        for wrong in r.score.wrong:
            flag = " **(unnamed)**" if wrong in r.score.unnamed else ""
            out.append(f"- {r.variant} / {r.spec}: {wrong}{flag}")
    return out


def false_alarms(runs: list[Run]) -> list[str]:
    """Every right field a warning still casts doubt on, by variant then licence."""
    return [f"- {r.variant} / {r.spec}: {key}" for r in runs for key in r.score.warned]


def _tables(runs: list[Run], variants) -> list[str]:
    per_variant = {v.name: (v.name,) for v in variants}
    return [*table(runs, GROUPS), "", "Per variant:", "", *table(runs, per_variant)]


def _revision() -> str:
    """The commit measured, and whether crawler/ had changes beside it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", "crawler"], check=False)
    return head.stdout.strip() + (" + uncommitted crawler/ changes" if dirty.returncode else "")


def _report(runs: list[Run], variants, note: str) -> str:
    """The tables and every wrong field as markdown, for --report."""
    return (
        f"# Scan ingest: field accuracy per variant\n\n`{' '.join(sys.argv)}` at {_revision()}; "
        f"{note}\n\n"
        + "\n".join(_tables(runs, variants))
        + "\n\n## Wrong fields\n\n"
        + ("\n".join(failures(runs)) or "(none)")
        + "\n\n## Right fields a warning doubts\n\n"
        + ("\n".join(false_alarms(runs)) or "(none)")
        + "\n"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--specs", help="licence keys, comma-separated (default: all 7)")
    ap.add_argument("--variants", help=f"comma-separated, of: {', '.join(VARIANTS)}")
    ap.add_argument("--no-baseline", action="store_true", help="skip plain Tesseract")
    ap.add_argument("--report", type=Path, help="also write the tables and failures here (md)")
    ap.add_argument("--keep", type=Path, help="write the scans here instead of a temp dir")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args()
    spec_list = [s for s in specs() if not args.specs or s.key in args.specs.split(",")]
    names = args.variants.split(",") if args.variants else list(VARIANTS)
    variants = [VARIANTS[n] for n in names]
    print(f"load before: {load()}; code: {_revision()}")
    print(
        f"{len(spec_list)} licences x {len(variants)} variants; text twin parse: "
        f"{_twin_ms(spec_list):.2f} ms/document"
    )

    done: list[Run] = []

    def progress(r: Run) -> None:
        print(
            f"  {r.variant:<11} {r.spec:<16} {r.pages}p {r.wall:6.1f}s "
            f"{r.score.correct}/{r.score.total}"
            + (f"  plain {r.plain.correct}/{r.plain.total}" if r.plain else ""),
            flush=True,
        )
        done.append(r)
        if args.report:  # as it goes: the full matrix takes a while
            args.report.write_text(_report(done, variants, "(in progress)"), encoding="utf-8")

    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        runs = measure(spec_list, variants, args.keep or Path(tmp), not args.no_baseline, progress)
    tables = _tables(runs, variants)
    print(f"\ntext twin parse (baseline): {_twin_ms(spec_list):.2f} ms/document")
    print(f"load after: {load()}\n\n" + "\n".join(tables))
    print("\nWrong fields:\n" + ("\n".join(failures(runs)) or "(none)"))
    if args.report:
        args.report.write_text(_report(runs, variants, f"load after: {load()}"), encoding="utf-8")
    clean = [r for r in runs if VARIANTS[r.variant].clean]
    damaged = [r for r in runs if not VARIANTS[r.variant].clean]
    checks = []
    if clean:
        checks.append(
            (
                f"clean scans: every field as the twin's ({_pct([r.score for r in clean])})",
                all(not r.score.wrong for r in clean),
            )
        )
    if damaged:
        share = sum(r.score.correct for r in damaged) / sum(r.score.total for r in damaged)
        checks.append((f"damaged scans: >= 95 % of fields ({100 * share:.1f} %)", share >= 0.95))
    unnamed = sum(len(r.score.unnamed) for r in runs)
    checks.append((f"every wrong field named in a warning ({unnamed} unnamed)", unnamed == 0))
    return judged(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
