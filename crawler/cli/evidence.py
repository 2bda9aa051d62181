"""``icpwatch evidence prune``: free disk space taken by old screenshots."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli.common import open_db
from crawler.store.evidence import prune_screenshots
from crawler.store.runs import parse_duration


@click.group("evidence")
def evidence() -> None:
    """Screenshot evidence of rendered checks."""


@evidence.command("prune")
@click.option(
    "--keep-runs", type=click.IntRange(0), help="Keep the screenshots of the N latest runs."
)
@click.option("--older-than", metavar="DURATION", help="Prune runs started before this (e.g. 90d).")
@click.option("--dry-run", is_flag=True, help="Only say what would be deleted.")
@click.option(
    "--evidence-dir",
    type=click.Path(file_okay=False),
    help="The crawl's --evidence-dir: only files inside it are deleted "
    "(default: 'evidence' next to the database).",
)
@click.pass_context
def prune(
    ctx: click.Context,
    keep_runs: int | None,
    older_than: str | None,
    dry_run: bool,
    evidence_dir: str | None,
) -> None:
    """Delete old screenshots; the checks keep their verdicts, evidence text and PNG hashes."""
    if keep_runs is None and older_than is None:
        raise click.UsageError("give --keep-runs N and/or --older-than DURATION")
    if older_than:
        try:
            parse_duration(older_than)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--older-than") from None
    folder = Path(evidence_dir or Path(ctx.find_root().obj["db"]).parent / "evidence")
    result = prune_screenshots(
        open_db(ctx, write=not dry_run, create=False),
        folder,
        keep_runs=keep_runs,
        older_than=older_than,
        dry_run=dry_run,
    )
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"{verb} {result.files} screenshot(s), {result.bytes / 1e6:.1f} MB"
        + (f"; {result.missing} already missing" if result.missing else "")
    )
    if result.refused:
        click.echo(
            f"warning: left {result.refused} screenshot path(s) alone: not a file inside "
            f"{folder} (give the crawl's --evidence-dir)",
            err=True,
        )
