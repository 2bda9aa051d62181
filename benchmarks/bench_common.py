"""What every benchmark needs: the example web in its own process, a database whose one
licence lists the benchmark hosts, the machine's load, and the PASS/FAIL report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crawler.testing.example_web import bench_host

ROOT = Path(__file__).resolve().parents[1]
NUMBER = "京B2-20252223"


def start_web(
    pages: Path | None, sites: int, delay_ms: float = 0
) -> tuple[subprocess.Popen[str], str]:
    """``python -m crawler.testing.example_web`` serving ``sites`` hosts over ``pages`` (None:
    the demo sites' own pages); its proxy URL."""
    cmd = [
        sys.executable,
        "-m",
        "crawler.testing.example_web",
        "--port",
        "0",
        "--delay-ms",
        str(delay_ms),
    ]
    cmd += ["--bench-pages", str(pages)] if pages else ["--bench-demo"]
    cmd += ["--bench-sites", str(sites)]
    web = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = web.stdout.readline() if web.stdout else ""
    if not line.startswith("listening on "):
        web.kill()
        sys.exit(f"example web did not start: {line!r}")
    return web, line.split()[-1]


def bench_db(db: Path, sites: int) -> Path:
    """A fresh database at ``db`` holding one licence that lists bench hosts 1..sites."""
    hosts = "、".join(bench_host(i) for i in range(1, sites + 1))
    doc = db.with_suffix(".txt")
    doc.write_text(
        f"经营许可证编号：{NUMBER}\n\n公司名称：北京基准测试科技有限公司\n\n"
        f"网站名称：基准\n\n网站域名：{hosts}\n",
        encoding="utf-8",
    )
    cmd = [sys.executable, "-m", "crawler", "--db", str(db), "licenses", "load", str(doc)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return db


def load() -> str:
    """The load averages, printed before and after a run: other work skews every rate."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def judged(checks: list[tuple[str, bool]], enforce: bool) -> int:
    """Print a PASS/FAIL line per (target text, met); the exit code, 1 only when ``enforce``
    (``--check``) and a target is missed."""
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return 1 if enforce and not all(ok for _, ok in checks) else 0
