"""Crawl throughput: ``icpwatch crawl`` against Scrapy's own ceiling and a naive checker.

Made-up hosts (site00001.bench-icpwatch.cn …) serve the real corpus pages
(../shared/corpus/pages) through the example web, started as a separate process so its CPU
is not in the crawler's. One run measures, at the same concurrency and with robots.txt ignored:

* ``icpwatch crawl`` over --sites hosts (a subprocess; wall time and its own peak RSS),
* a no-op Scrapy spider over the same hosts, one ``http://HOST/`` request each and a
  callback that does nothing: the framework's ceiling on this machine,
* the two alternately, --rounds times: the machine's speed drifts (a shared VM), so each
  round gives a ratio from back-to-back runs and the median round is reported,
* a sequential requests + BeautifulSoup checker, as a user would write it (https first, then
  http; the page's bytes to BeautifulSoup so it finds the charset), run for --naive-seconds
  per parser and extrapolated: ``html.parser`` (what requests + beautifulsoup4 alone gives,
  and what BeautifulSoup's documentation shows) and ``lxml`` (faster, an extra install),
* ``icpwatch crawl`` and the no-op again over --big-sites hosts, for peak RSS at 10x the sites
  (the no-op's own growth is printed for reference).

Targets: icpwatch >= 60 % of the no-op ceiling and >= 15x the naive checker (html.parser; the
lxml ratio is printed beside it); peak RSS
<= 300 MB, and at --big-sites at most 1.25x the peak at --sites.
icpwatch runs with --render never by default: a static check, like the no-op spider (--render
auto adds headless Chromium for app shells and scripted pages, a different cost altogether).
Usage: .venv/bin/python benchmarks/crawl_throughput.py [--sites N] [--big-sites N] [--skip-big]
       [--concurrency C] [--rounds N] [--naive-seconds S] [--render MODE] [--pages DIR]
       [--check]
Takes several minutes; run it on an otherwise idle machine (it prints the load average).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench_common import NUMBER, ROOT, bench_db, judged, load, start_web

PAGES = ROOT.parent / "shared" / "corpus" / "pages"
TARGET_NOOP, TARGET_NAIVE, TARGET_RSS_MB, TARGET_RSS_GROWTH = 0.6, 15, 300, 1.25
NAIVE_PARSERS = ("html.parser", "lxml")  # the first one is the target's
#: Project settings the no-op spider leaves out: our components and what only they read.
#: Everything else (concurrency, timeouts, retries, AutoThrottle, size caps…) it copies.
NOT_SHARED = (
    "BOT_NAME", "SPIDER_MODULES", "NEWSPIDER_MODULE", "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS", "DOWNLOAD_HANDLERS",
)  # fmt: skip


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system seconds of the process: less sensitive to other load
    rss_mb: float
    output: str

    def rate(self, pages: int) -> float:
        return pages / self.seconds


def _peak_kib(pid: int) -> int:
    """VmHWM (peak RSS so far) of a live process, in KiB; 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0
    )


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def measured(cmd: list[str], log: Path) -> Run:
    """Run ``cmd`` to completion; wall time, CPU and peak RSS of it and its children.

    The process's own peak comes from os.wait4; a child's (icpwatch's footer-check workers) is
    its VmHWM, polled while it lives, and added: a crawl's memory is all of its processes'.
    """
    child_peaks: dict[int, int] = {}
    with log.open("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            for child in _children(proc.pid):
                child_peaks[child] = max(child_peaks.get(child, 0), _peak_kib(child))
            time.sleep(0.05)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen quiet
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:6])}… exited {proc.returncode}:\n{output[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime  # children included once they are reaped
    return Run(seconds, cpu, (usage.ru_maxrss + sum(child_peaks.values())) / 1024, output)


def run_icpwatch(db: Path, proxy: str, args: argparse.Namespace, sites: int) -> tuple[Run, str]:
    cmd = [sys.executable, "-m", "crawler", "--db", str(db), "crawl", "--proxy", proxy]
    cmd += ["--ignore-robots", "--concurrency", str(args.concurrency), "--log-level", "WARNING"]
    cmd += ["--render", args.render]
    run = measured(cmd, db.with_suffix(".log"))
    with sqlite3.connect(db) as conn:
        (rows,) = conn.execute("select count(*) from checks").fetchone()
        verdicts = conn.execute(
            "select verdict, count(*) from checks group by verdict order by 2 desc"
        ).fetchall()
        (sent,) = conn.execute(  # attempts the spider recorded as skipped sent no request
            "select count(*) from checks, json_each(checks.attempts) "
            "where coalesce(json_extract(value, '$.error'), '') not like 'skipped%'"
        ).fetchone()
    if rows != sites:
        sys.exit(f"icpwatch crawl stored {rows} rows for {sites} sites:\n{run.output[-3000:]}")
    summary = ", ".join(f"{v} {n}" for v, n in verdicts)
    return run, f"{rows} rows ({summary}); {sent / sites:.2f} requests/site"


def run_naive(proxy: str, sites: int, seconds: float, parser: str) -> tuple[Run, int, int]:
    """Sequential requests + BeautifulSoup, as a user would write it; (run, done, decoded).

    ``resp.text`` would decode these charset-less pages as ISO-8859-1 (requests' default for
    text/*) and never find a Chinese number, so the bytes go to BeautifulSoup, which reads the
    page's own charset. ``decoded`` counts pages whose text shows 备 (an ICP filing): proof the
    checker reads Chinese, not mojibake.
    """
    import requests
    from bs4 import BeautifulSoup

    from crawler.testing.example_web import bench_host

    done = decoded = 0
    proxies = {"http": proxy, "https": proxy}
    t0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - t0 < seconds and done < sites:
        done += 1
        for scheme in ("https", "http"):  # the example web refuses CONNECT, as some proxies do
            try:
                resp = requests.get(f"{scheme}://{bench_host(done)}/", proxies=proxies, timeout=20)
                break
            except requests.RequestException:
                continue
        text = BeautifulSoup(resp.content, parser).get_text()
        decoded += "备" in text
        _ = NUMBER in text
    run = Run(time.perf_counter() - t0, time.process_time() - cpu0, 0, "")
    return run, done, decoded


def noop_worker(proxy: str, sites: int, concurrency: int) -> None:
    """The ceiling: a Scrapy spider with the project's download settings that does nothing."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    import crawler.settings as project
    from crawler.testing.example_web import bench_host

    class NoopSpider(scrapy.Spider):
        name = "noop"

        async def start(self) -> AsyncIterator[scrapy.Request]:
            for i in range(1, sites + 1):
                url = f"http://{bench_host(i)}/"
                yield scrapy.Request(url, self.parse, dont_filter=True, meta={"proxy": proxy})

        def parse(self, response: scrapy.http.Response) -> None:
            return None

    settings = {
        k: v
        for k, v in vars(project).items()
        if k.isupper() and not k.startswith("ICPWATCH_") and k not in NOT_SHARED
    }
    settings |= {"CONCURRENT_REQUESTS": concurrency, "ROBOTSTXT_OBEY": False}
    settings |= {"LOG_LEVEL": "WARNING", "ITEM_PIPELINES": {}, "EXTENSIONS": {}}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NoopSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(
        f"{stats.get('downloader/request_count', 0)} requests, "
        f"{stats.get('downloader/response_status_count/200', 0)} x 200"
    )


def run_noop(proxy: str, sites: int, concurrency: int, work: Path) -> Run:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--noop-worker", "--proxy", proxy]
    cmd += ["--sites", str(sites), "--concurrency", str(concurrency)]
    run = measured(cmd, work / f"noop-{sites}.log")
    print(f"no-op spider at {sites}: {run.output.strip().splitlines()[-1]} (1 request/site)")
    return run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=Path, default=PAGES, help="pages served round-robin")
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--big-sites", type=int, default=20000, help="sites of the RSS run")
    ap.add_argument("--skip-big", action="store_true", help="skip the --big-sites run")
    ap.add_argument("--concurrency", type=int, default=64, help="icpwatch and the no-op spider")
    ap.add_argument(
        "--render",
        choices=("never", "auto", "always"),
        default="never",
        help="icpwatch crawl --render (default never: a static check, like the no-op spider)",
    )
    ap.add_argument("--rounds", type=int, default=5, help="icpwatch / no-op pairs (median)")
    ap.add_argument("--naive-seconds", type=float, default=15, help="time box of each naive run")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--noop-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--proxy", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.noop_worker:
        noop_worker(args.proxy, args.sites, args.concurrency)
        return 0
    n_pages = sum(p.is_file() for p in args.pages.iterdir()) if args.pages.is_dir() else 0
    if not n_pages:
        print(f"no pages in {args.pages}", file=sys.stderr)
        return 2

    web, proxy = start_web(args.pages, max(args.sites, 0 if args.skip_big else args.big_sites))
    try:
        with tempfile.TemporaryDirectory(prefix="icpwatch-bench-") as tmp:
            work = Path(tmp)
            print(f"{args.sites} sites over {n_pages} corpus pages, example web {proxy}")
            print(f"concurrency {args.concurrency}, icpwatch crawl --render {args.render}")
            print("robots.txt ignored by both Scrapy crawls: the no-op makes 1 request/site;")
            print(
                "icpwatch's requests/site are counted from checks.attempts (skipped ones left out)"
            )
            print(f"load average before: {load()}")
            fresh = bench_db(work / f"bench-{args.sites}.db", args.sites)
            rounds: list[tuple[Run, Run]] = []
            for n in range(1, args.rounds + 1):
                db = work / f"round-{n}.db"
                shutil.copy(fresh, db)
                crawl, crawl_note = run_icpwatch(db, proxy, args, args.sites)
                noop = run_noop(proxy, args.sites, args.concurrency, work)
                rounds.append((crawl, noop))
                print(
                    f"round {n}: icpwatch {crawl.rate(args.sites):.1f} pages/s ({crawl_note}), "
                    f"no-op {noop.rate(args.sites):.1f} pages/s, "
                    f"ratio {noop.seconds / crawl.seconds:.2f}"
                )
            naives = {}
            for parser in NAIVE_PARSERS:
                naive, done, decoded = run_naive(proxy, args.sites, args.naive_seconds, parser)
                naives[parser] = (naive, done)
                print(
                    f"naive checker ({parser}): {done} sites in a {args.naive_seconds:g} s time "
                    f"box, Chinese text read on {decoded}; rate extrapolated to {args.sites} sites"
                )
            big = big_noop = None
            if not args.skip_big:
                big_db = bench_db(work / f"bench-{args.big_sites}.db", args.big_sites)
                big, big_note = run_icpwatch(big_db, proxy, args, args.big_sites)
                print(f"icpwatch crawl at {args.big_sites}: {big_note}")
                big_noop = run_noop(proxy, args.big_sites, args.concurrency, work)
    finally:
        web.terminate()
        web.wait(timeout=10)

    print(f"load average after:  {load()} (other work on this machine skews every rate)")
    crawl, noop = sorted(rounds, key=lambda r: r[1].seconds / r[0].seconds)[len(rounds) // 2]
    rate = crawl.rate(args.sites)
    of_noop = rate / noop.rate(args.sites)
    of_naive = {p: rate / run.rate(done) for p, (run, done) in naives.items()}
    print(f"\n(the median round of {len(rounds)}; pages/s = sites / wall time of the process,")
    print(" interpreter start-up included; pages/CPU-s = sites / user+system CPU seconds of that")
    print(" process and its children: icpwatch's footer-check workers count)")
    table = [
        ("icpwatch crawl", args.sites, crawl, f"{crawl.rss_mb:.1f}"),
        ("no-op Scrapy spider (ceiling)", args.sites, noop, f"{noop.rss_mb:.1f}"),
        *(
            (f"naive requests+bs4 {p} (extrap.)", done, run, "-")
            for p, (run, done) in naives.items()
        ),
    ]
    if big and big_noop:
        label = f"icpwatch crawl, {args.big_sites} sites"
        table.append((label, args.big_sites, big, f"{big.rss_mb:.1f}"))
        label = f"no-op Scrapy spider, {args.big_sites} sites"
        table.append((label, args.big_sites, big_noop, f"{big_noop.rss_mb:.1f}"))
    print(f"{'':38}{'pages/s':>9}{'seconds':>9}{'pages/CPU-s':>13}{'peak RSS MB':>13}")
    for name, sites, run, rss in table:
        seconds = run.seconds * args.sites / sites
        print(f"{name:38}{run.rate(sites):9.1f}{seconds:9.1f}{sites / run.cpu:13.1f}{rss:>13}")
    if big and big_noop:
        growth = big_noop.rss_mb / noop.rss_mb
        print(f"no-op's own peak RSS growth, {args.sites} -> {args.big_sites} sites: {growth:.2f}x")

    primary = of_naive[NAIVE_PARSERS[0]]
    others = ", ".join(f"{of_naive[p]:.1f}x against {p}" for p in NAIVE_PARSERS[1:])
    checks = [
        (f"icpwatch / no-op = {of_noop:.2f} (target >= {TARGET_NOOP})", of_noop >= TARGET_NOOP),
        (
            f"icpwatch / naive ({NAIVE_PARSERS[0]}) = {primary:.1f}x (target >= {TARGET_NAIVE}x;"
            f" {others})",
            primary >= TARGET_NAIVE,
        ),
    ]
    for sites, run in [(args.sites, crawl), *([(args.big_sites, big)] if big else [])]:
        ok = run.rss_mb <= TARGET_RSS_MB
        checks.append(
            (f"peak RSS at {sites} sites = {run.rss_mb:.1f} MB (target <= {TARGET_RSS_MB} MB)", ok)
        )
    if big:
        growth = big.rss_mb / crawl.rss_mb
        text = f"peak RSS {args.big_sites} / {args.sites} sites = {growth:.2f}x"
        checks.append((f"{text} (target <= {TARGET_RSS_GROWTH:g}x)", growth <= TARGET_RSS_GROWTH))
    return judged(checks, args.check)


if __name__ == "__main__":
    sys.exit(main())
