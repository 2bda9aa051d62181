"""``icpwatch check URL --license NUMBER``: one live page, checked now, as a crawl would check it.

The crawl's own path runs in-process for one target (spiders/homepages_check.py): the project's
download settings, the homepage fallbacks, the download guard, meta refresh, robots.txt and the
render policy. Nothing is written unless ``--save`` and ``--db`` are both given; then the check
is a one-target run of the database, stored as ``icpwatch crawl --domain`` would store it.

Exit codes: 0 compliant, 1 not compliant or the fetch failed, 2 usage errors (a bad URL,
number, proxy; ``--save`` without ``--db``, or a host the licence does not list there), 3
another crawl holds the database.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import click
from click.core import ParameterSource
from scrapy.crawler import CrawlerProcess

from crawler.check.outcome import Outcome, error_line
from crawler.check.rules import DEFAULT_OFF
from crawler.cli.check_html import expected_filings, render
from crawler.cli.common import (
    EXIT_FAILED,
    allow_private_option,
    open_db,
    parse_number_arg,
    stored_db,
    timeout_option,
)
from crawler.cli.crawl import checked_proxy, crawl_settings, open_crawl_run
from crawler.cli.url_options import secret_url, url_options
from crawler.fetch.page_urls import InvalidUrl, PageUrls, page_urls
from crawler.items import CheckItem
from crawler.render.rendering import RENDER_MODES
from crawler.report.text import terminal_text
from crawler.store.filings import rules_off
from crawler.store.runs import CrawlOptions, CrawlRun, Target, select_targets
from spiders.homepages_check import HomepagesCheck


def _saved_target(ctx: click.Context, license_no: str, page: PageUrls) -> Target:
    """The database's target for ``--save``: its domain row, company, filings and switches."""
    if ctx.find_root().get_parameter_source("db") is ParameterSource.DEFAULT:
        raise click.UsageError("--save stores the check in a database: name it with --db")
    found = select_targets(open_db(ctx, create=False), CrawlOptions((license_no,), (page.host,)))
    if not found:
        raise click.UsageError(
            f"{page.host} is not an active domain of licence {license_no} in "
            f"{ctx.find_root().obj['db']} (add it: icpwatch domains add {license_no} {page.host})"
        )
    return found[0]


def _facts(url: str, page: PageUrls, spider: HomepagesCheck, run: CrawlRun | None) -> dict:
    """What the fetch did, beside the Finding: the URLs tried, the hops, the render decision."""
    item, outcome = spider.item, spider.outcome
    shot = outcome.screenshot if outcome else None
    return {
        "requested_url": url,
        "urls": list(page.urls),
        "final_url": item.final_url,
        "status": item.http_status,
        "error": item.error,
        "attempts": json.loads(item.attempts),
        "redirects": spider.redirects,
        "offsite_redirect": bool(item.offsite_redirect),
        "render": {
            "decision": bool(outcome.rendered or outcome.render_error),
            "reason": outcome.render_reason,
            "rendered": outcome.rendered,
            "static_verdict": item.static_verdict,
            "error": outcome.render_error,
        },
        "screenshot": shot.path if shot else None,
        "elapsed_ms": item.elapsed_ms,
        "run_id": run.run_id if run else None,
    }


def finding_json(outcome: Outcome, license_no: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The ``check-html --json`` object (only ``verdict`` and ``expected`` when no page was
    judged), its verdict the crawl's (``unreachable``, ``http_error`` …), plus ``fetch``."""
    base = outcome.finding.to_dict() if outcome.finding else {"expected": license_no}
    return {**base, "verdict": outcome.verdict, "fetch": facts}


def _text(outcome: Outcome, item: CheckItem, url: str, facts: dict) -> str:
    lines = [render(outcome.finding, url)] if outcome.finding else [f"{url}: {outcome.verdict}"]
    if outcome.finding and outcome.verdict != outcome.finding.verdict:
        lines.append(f"verdict: {outcome.verdict}")
    for a in facts["attempts"]:
        result = a["status"] if a["status"] is not None else a["error"] or ""
        lines.append(f"tried {a['url']}  {result}")
    lines.append(f"final: {item.final_url or '-'}  status {item.http_status or '-'}")
    if item.error:
        lines.append(f"error: {item.error}")
    render_facts = facts["render"]
    if render_facts["reason"]:
        done = "rendered" if outcome.rendered else "not rendered"
        lines.append(f"{done}: {render_facts['reason']}")
    if outcome.render_error:
        lines.append(f"render failed: {outcome.render_error}")
    if facts["screenshot"]:
        lines.append(f"screenshot: {facts['screenshot']}")
    if facts["run_id"] is not None:
        lines.append(f"saved as run {facts['run_id']}")
    lines.append(f"elapsed: {item.elapsed_ms} ms")
    # Page text, redirect targets and errors come from the site: no escape sequences through.
    return "\n".join(terminal_text(line) for line in "\n".join(lines).splitlines())


@click.command("check")
@click.argument("url")
@click.option(
    "--license",
    "number",
    required=True,
    metavar="NUMBER",
    help="Expected licence number, e.g. 京B2-20252223 (no licence needs to be loaded).",
)
@click.option("--company", metavar="NAME", help="Licensee name; reports whether it is shown.")
@click.option(
    "--render",
    type=click.Choice(RENDER_MODES),
    default="auto",
    show_default=True,
    help="Render in headless Chromium when a browser could change the verdict (auto), "
    "always, or never.",
)
@click.option(
    "--screenshot",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Save the PNG of the rendered page here (only a rendered page has one).",
)
@url_options("proxy", "proxy", help="HTTP proxy for the requests (or http_proxy/https_proxy).")
@allow_private_option
@timeout_option
@click.option(
    "--save",
    is_flag=True,
    help="Store the check as a one-target run of the --db database (the host must be a "
    "domain of the licence there).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (docs/crawling.md).")
@click.pass_context
def check(
    ctx: click.Context,
    url: str,
    number: str,
    company: str | None,
    render: str,
    screenshot: str | None,
    proxy: str | None,
    proxy_file: str | None,
    allow_private: bool,
    timeout: float,
    save: bool,
    as_json: bool,
) -> None:
    """Fetch URL (a host, or a page) now and check it for licence NUMBER."""
    license_no = parse_number_arg(number)
    try:
        page = page_urls(url)
    except InvalidUrl as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    proxy = checked_proxy(secret_url(proxy, proxy_file, "proxy"))
    db_path = ctx.find_root().obj["db"]
    run = None
    if save:
        target = replace(_saved_target(ctx, license_no, page), urls=page.urls)
        run = open_crawl_run(ctx, db_path, CrawlOptions((license_no,), (page.host,)))
    else:
        expected = expected_filings(ctx, page.host, None, None)
        hosts = frozenset({page.host})  # a redirect off this host is offsite
        # the rules a crawl of this licence switches off: its own switches, else the defaults
        db = stored_db(ctx)
        off = rules_off(db, [license_no])[license_no] if db is not None else DEFAULT_OFF
        target = Target(0, license_no, page.host, None, hosts, expected, off, page.urls)
    target = replace(target, company=company or target.company)
    settings = crawl_settings(
        concurrency=2,
        obey_robots=True,
        timeout=timeout,
        log_level="ERROR",
        ICPWATCH_ALLOW_PRIVATE=allow_private,
        ICPWATCH_CHECK_WORKERS=0,  # one page: no worker processes
        ICPWATCH_PROGRESS_INTERVAL=0,
        ICPWATCH_RENDER_CONCURRENCY=1,
        **({"ICPWATCH_DB": db_path} if save else {"ITEM_PIPELINES": {}}),
    )
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(HomepagesCheck)
    errors: list[BaseException] = []
    deferred = process.crawl(
        crawler,
        target=target,
        screenshot_file=screenshot,
        license=license_no,
        domain=page.host if save else None,
        proxy=proxy,
        render=render,
        screenshots=bool(screenshot) or save,
        crawl_run=run,
    )
    deferred.addErrback(lambda failure: errors.append(failure.value))
    process.start()

    spider = crawler.spider
    if run is not None and run.status == "running":  # Scrapy failed before the pipeline closed it
        run.finish("failed", error_line(errors[0]) if errors else "the check did not finish")
    if spider is None or spider.item is None:
        why = error_line(errors[0]) if errors else "no result"
        click.echo(f"error: {url}: the check failed: {why}", err=True)
        ctx.exit(EXIT_FAILED)
    facts = _facts(url, page, spider, run)
    if as_json:
        click.echo(json.dumps(finding_json(spider.outcome, license_no, facts), ensure_ascii=False))
    else:
        click.echo(_text(spider.outcome, spider.item, url, facts))
    ctx.exit(0 if spider.outcome.verdict == "compliant" else EXIT_FAILED)
