"""Render throughput: rendered pages/s at browser concurrency 1, 2, 4 and 8, and browser memory.

Made-up hosts (site00001.bench-icpwatch.cn …) answer through the example web, started as a
separate process. By default they play, round-robin, the local test web's sites that have a page
to judge (crawler.testing.example_web.BENCH_SCENARIOS: every footer verdict, the app shell, the late
footer, stylesheet-hidden, white and tiny text, the throwing script): the workload the target
is set for. ``--pages DIR`` serves real pages instead (../shared/corpus/pages: 20-770 KB portal
homepages, whose hundreds of sub-requests fail fast here), a heavier and reported-only figure.

For each concurrency C, ``icpwatch crawl --render always --render-concurrency C`` runs in a
subprocess over --sites hosts. Rendered pages/s = rows with rendered=1 / wall time of that
process, start-up and the static fetch included; a ``--render never`` run over the same hosts
measures that overhead, and the render-only rate subtracts it.

Every ~0.2 s the crawl's process tree is sampled from /proc: RSS (and PSS, which splits shared
pages instead of counting them once per process) summed over the Chromium processes, the node
Playwright driver and the Python crawler; the peaks are reported. A last run at concurrency 2
(else the last level) over --mem-factor x --sites hosts, the same pages served K times, checks
that browser memory does not grow with the page count.

Screenshots are on, as in the product, unless --no-screenshots. A page whose render fails (its
``load`` event never fires within --timeout, say) counts as not rendered. The 1-min load
average is printed: on a shared machine other work slows the renders.

Targets (the local test web): >= 4 rendered pages/s at the best concurrency (2-core machine);
peak browser RSS of the larger run within 20 % of the --sites run at the same concurrency.

``--policy`` measures the render policy instead: a default crawl (``--render auto``) against
``--render never`` over the same hosts: the share of sites sent to the browser and rendered,
the wall time of each, how many verdicts rendering changed and the reasons
(``checks.render_reason``). Target on the corpus web (``--pages ../shared/corpus/pages
--sites 284``): at most 15 % of the sites sent to the browser.
Usage: .venv/bin/python benchmarks/render_throughput.py [--pages DIR] [--sites N]
       [--mem-factor K] [--concurrency 1,2,4,8] [--no-screenshots] [--timeout S] [--check]
       [--policy]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_common import ROOT, bench_db, judged, load, start_web

from crawler.testing.example_web import BENCH_SCENARIOS

CHROMIUM = "/usr/bin/chromium"  # the crawl's default (ICPWATCH_CHROMIUM)
TARGET_RATE, TARGET_GROWTH, SAMPLE_S, MB = 4.0, 1.2, 0.2, 1024.0
KINDS = ("chromium", "node", "python")


@dataclass
class Crawl:
    seconds: float
    rows: int = 0
    rendered: int = 0
    errors: int = 0
    error_kinds: str = ""
    peak_rss: dict[str, float] = field(default_factory=dict)  # kind → MB, summed over processes
    peak_pss: dict[str, float] = field(default_factory=dict)
    browsers: int = 0  # most Chromium processes seen at once

    @property
    def rate(self) -> float:
        return self.rendered / self.seconds


def descendants(root: int) -> list[int]:
    """Every process below ``root``, from the ppid field of /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue  # exited meanwhile
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def memory(pid: int) -> tuple[str, float, float] | None:
    """(kind, RSS MB, PSS MB) of one process, or None once it is gone."""
    try:
        cmd = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    kb = {ln.split(":")[0]: int(ln.split()[1]) for ln in rollup[1:] if ln.endswith("kB")}
    kind = "chromium" if "chrom" in cmd else "node" if "node" in cmd else "python"
    return kind, kb.get("Rss", 0) / MB, kb.get("Pss", 0) / MB


def run_crawl(
    db: Path, proxy: str, render: str, concurrency: int, opts: argparse.Namespace
) -> Crawl:
    """One ``icpwatch crawl`` to completion, its process tree sampled while it runs."""
    cmd = [sys.executable, "-m", "crawler", "--db", str(db), "crawl", "--proxy", proxy]
    cmd += ["--timeout", str(opts.timeout)] if opts.timeout else []
    cmd += ["--ignore-robots", "--render", render, "--render-concurrency", str(concurrency)]
    cmd += ["--screenshots" if opts.screenshots else "--no-screenshots", "--log-level", "WARNING"]
    log = db.with_name(f"{db.stem}-{render}-c{concurrency}.log")
    with log.open("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        run = Crawl(0.0, peak_rss=dict.fromkeys(KINDS, 0.0), peak_pss=dict.fromkeys(KINDS, 0.0))
        while True:
            pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            rss, pss, browsers = dict.fromkeys(KINDS, 0.0), dict.fromkeys(KINDS, 0.0), 0
            for kind, r, p in filter(None, map(memory, [proc.pid, *descendants(proc.pid)])):
                rss[kind] += r
                pss[kind] += p
                browsers += kind == "chromium"
            for kind in KINDS:
                run.peak_rss[kind] = max(run.peak_rss[kind], rss[kind])
                run.peak_pss[kind] = max(run.peak_pss[kind], pss[kind])
            run.browsers = max(run.browsers, browsers)
            time.sleep(SAMPLE_S)
        run.seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        sys.exit(f"icpwatch crawl exited {proc.returncode}:\n{output[-3000:]}")
    with sqlite3.connect(db) as conn:
        (run_id,) = conn.execute("select max(id) from runs").fetchone()
        run.rows, run.rendered, run.errors = conn.execute(
            "select count(*), coalesce(sum(rendered), 0), count(render_error) from checks "
            "where run_id = ?",
            [run_id],
        ).fetchone()
        kinds = conn.execute(
            "select substr(render_error, 1, 48), count(*) from checks "
            "where run_id = ? and render_error is not null group by 1 order by 2 desc",
            [run_id],
        ).fetchall()
    run.error_kinds = "; ".join(f"{n} x {k}…" for k, n in kinds)
    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=Path, help="real pages served round-robin (reported only)")
    ap.add_argument(
        "--sites",
        type=int,
        help="sites per level (default: 6 rounds of the test web or one per page)",
    )
    ap.add_argument("--mem-factor", type=int, default=3, help="memory run: this x --sites, C=2")
    ap.add_argument("--concurrency", default="1,2,4,8", help="comma-separated browser concurrency")
    ap.add_argument("--no-screenshots", dest="screenshots", action="store_false")
    ap.add_argument("--timeout", type=float, help="crawl --timeout (download and render), s")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--policy", action="store_true", help="default crawl against --render never")
    args = ap.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",")]
    if args.pages:
        n_pages = sum(p.is_file() for p in args.pages.iterdir()) if args.pages.is_dir() else 0
        if not n_pages:
            print(f"no pages in {args.pages}", file=sys.stderr)
            return 2
        workload = f"{n_pages} pages of {args.pages} (reported only: the target is the test web's)"
    else:
        n_pages = 6 * len(BENCH_SCENARIOS)
        workload = f"the local test web's {len(BENCH_SCENARIOS)} sites with a page"
    args.sites = args.sites or n_pages  # the memory run then serves the same pages K times
    if args.policy:
        return policy(args, workload)
    load_before = os.getloadavg()[0]
    big_sites, mem_c = args.sites * args.mem_factor, 2 if 2 in levels else levels[-1]
    web, proxy = start_web(args.pages, big_sites)
    runs: dict[tuple[int, int], Crawl] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="icpwatch-render-bench-") as tmp:
            work = Path(tmp)
            timeout = f"--timeout {args.timeout:g}" if args.timeout else "default --timeout (20)"
            shots = "on (product default)" if args.screenshots else "off (--no-screenshots)"
            print(f"{args.sites} sites playing {workload}, example web {proxy}")
            print(f"--render always, screenshots {shots}, {timeout}, robots.txt ignored")
            version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True)
            print(f"{os.cpu_count()} CPUs, {version.stdout.strip() or CHROMIUM}")
            dbs = {n: bench_db(work / f"bench-{n}.db", n) for n in {args.sites, big_sites}}
            base = run_crawl(dbs[args.sites], proxy, "never", 1, args)
            print(f"--render never baseline: {base.rows} rows in {base.seconds:.1f} s", flush=True)
            plan = [(c, args.sites) for c in levels]
            plan += [(mem_c, big_sites)] if args.mem_factor > 1 else []
            for c, sites in plan:
                run = runs[c, sites] = run_crawl(dbs[sites], proxy, "always", c, args)
                print(
                    f"C={c} {sites} sites: {run.rows} rows, {run.rendered} rendered, "
                    f"{run.errors} render errors {run.error_kinds}".rstrip(),
                    flush=True,
                )
                if run.rows != sites:
                    sys.exit(f"expected one row per site ({sites}), got {run.rows}")
    finally:
        web.terminate()
        web.wait(timeout=10)

    load = f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    print(f"\n1-min load average {load} ({os.cpu_count()} CPUs; others' work slows the renders)")
    print("(seconds = wall time of `icpwatch crawl`: start-up, static fetch and rendering;")
    print(f" render-only pages/s subtracts the --render never run's {base.seconds:.1f} s.")
    print(" MB; RSS sums count shared pages once per process, PSS splits them; procs = most")
    print(" Chromium processes at once; pages/s = rendered / seconds)")
    head = ("C", "sites", "rendered", "seconds", "pages/s", "render-only", "Chromium RSS", "PSS")
    print("{:>3}{:>7}{:>10}{:>9}{:>9}{:>13}{:>14}{:>6}{:>7}".format(*head, "procs"), end="")
    print(f"{'driver RSS':>12}{'crawler RSS':>13}")
    for (c, sites), r in runs.items():
        only = r.rendered / max(r.seconds - base.seconds, 1e-9)
        print(
            f"{c:>3}{sites:>7}{r.rendered:>10}{r.seconds:>9.1f}{r.rate:>9.2f}{only:>13.2f}"
            f"{r.peak_rss['chromium']:>14.0f}{r.peak_pss['chromium']:>6.0f}{r.browsers:>7}"
            f"{r.peak_rss['node']:>12.0f}{r.peak_rss['python']:>13.0f}"
        )

    best_c = max(levels, key=lambda c: runs[c, args.sites].rate)
    best = runs[best_c, args.sites].rate
    text = f"best rate {best:.2f} rendered pages/s at C={best_c}"
    if args.pages:  # real pages: a figure to know, not the target's workload
        print(f"\n{text} on {args.pages} (the target >= {TARGET_RATE:g} is for the test web)")
        checks = []
    else:
        checks = [(f"{text} (target >= {TARGET_RATE:g})", best >= TARGET_RATE)]
    if args.mem_factor > 1 and (mem_c, big_sites) in runs:
        small, big = runs[mem_c, args.sites], runs[mem_c, big_sites]
        growth = big.peak_rss["chromium"] / small.peak_rss["chromium"]
        print(
            f"\nmemory at C={mem_c}: peak Chromium RSS {small.peak_rss['chromium']:.0f} MB at "
            f"{args.sites} sites, {big.peak_rss['chromium']:.0f} MB at {big_sites} sites "
            f"({growth:.2f}x; PSS {small.peak_pss['chromium']:.0f} -> "
            f"{big.peak_pss['chromium']:.0f} MB)"
        )
        text = f"peak browser RSS growth {growth:.2f}x (target <= {TARGET_GROWTH:g}x)"
        checks.append((text, growth <= TARGET_GROWTH))
    return judged(checks, args.check)


def policy(args: argparse.Namespace, workload: str) -> int:
    """The default crawl against ``--render never``: what the render policy costs and buys."""
    web, proxy = start_web(args.pages, args.sites)
    try:
        with tempfile.TemporaryDirectory(prefix="icpwatch-render-policy-") as tmp:
            print(f"{args.sites} sites playing {workload}, example web {proxy}; load {load()}")
            never = run_crawl(bench_db(Path(tmp) / "never.db", args.sites), proxy, "never", 4, args)
            db = bench_db(Path(tmp) / "auto.db", args.sites)
            auto = run_crawl(db, proxy, "auto", 4, args)
            with sqlite3.connect(db) as conn:
                sent, changed = conn.execute(
                    "select count(*) filter (where rendered or render_error is not null), "
                    "count(*) filter (where static_verdict != verdict) from checks"
                ).fetchone()
                moves = conn.execute(
                    "select static_verdict || ' -> ' || verdict, count(*) from checks "
                    "where static_verdict != verdict group by 1 order by 2 desc"
                ).fetchall()
                reasons = conn.execute(
                    "select substr(render_reason, 1, 60), count(*), sum(rendered) from checks "
                    "group by 1 order by 2 desc"
                ).fetchall()
    finally:
        web.terminate()
        web.wait(timeout=10)
    share = sent / max(auto.rows, 1)
    print(f"--render never: {never.rows} rows in {never.seconds:.1f} s")
    print(
        f"--render auto (default): {auto.rows} rows in {auto.seconds:.1f} s "
        f"({auto.seconds / max(never.seconds, 1e-9):.1f}x); {sent} sent to the browser "
        f"({share:.1%}), {auto.rendered} rendered, {auto.errors} render errors, "
        f"{changed} verdicts changed by rendering"
        + "".join(f"\n  {n:>6} {move}" for move, n in moves)
    )
    for reason, n, rendered in reasons:
        print(f"  {n:>6} {rendered or 0:>6} rendered  {reason or '(no page)'}")
    return judged([(f"sites sent to the browser {share:.1%} (target <= 15 %)", share <= 0.15)],
                  args.check)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
