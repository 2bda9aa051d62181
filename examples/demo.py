"""`make demo`: the main job, end to end, on a fresh machine with no internet.

Starts the local example web (a proxy that answers for made-up sites covering every verdict and
fault, see docs/example-web.md), loads the example licences, crawls through the proxy exactly as
a scheduled job would, and prints the summary and how to query the result.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from crawler.testing.example_web import ExampleWeb

HERE = Path(__file__).resolve().parent


def icpwatch(db: Path, *args: str) -> int:
    command = [sys.executable, "-m", "crawler", "--db", str(db), *args]
    print("$ icpwatch --db", db, *args, flush=True)
    return subprocess.run(command, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("demo-output/icpwatch.db"))
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if icpwatch(args.db, "licenses", "load", str(HERE / "licenses")) != 0:
        return 1
    with ExampleWeb() as web:
        print(f"example web (proxy) listening on {web.proxy_url}", flush=True)
        log = args.db.parent / "icpwatch-crawl.log"  # the summary here, Scrapy's log there
        code = icpwatch(
            args.db, "crawl", "--proxy", web.proxy_url, "--timeout", "5", "--log-file", str(log)
        )
    print(
        f"""
Done. The results are in {args.db}. Try:
  sqlite3 {args.db} 'select host, verdict, final_url from latest_checks order by verdict'
  sqlite3 {args.db} 'select * from noncompliant'
  sqlite3 {args.db} 'select * from license_status'
  .venv/bin/icpwatch --db {args.db} licenses show 京B2-20990001
(docs/schema.md documents every table and view.)"""
    )
    report = args.db.parent / "report.html"
    written = icpwatch(args.db, "report", "--format", "html", "-o", str(report))
    if written == 0:
        print(f"\nHTML report: {report.resolve()}")
        print(f"  .venv/bin/icpwatch --db {args.db} report   (table; --changes, --format json…)")
    return code or written


if __name__ == "__main__":
    sys.exit(main())
