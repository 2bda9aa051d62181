"""``icpwatch check-html FILE --license NUMBER``: the footer check on a saved page.

Exit 0 whatever the verdict (the verdict is data, not an error); exit 2 when the number, the
file or the arguments are bad, with a message naming the bad input; exit 1 with one
``error: FILE: Type: message`` line if the check itself fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from crawler.check.decide import check_page
from crawler.check.finding import Finding, NumberEvidence
from crawler.check.rules import Expected
from crawler.check.rules.common import filing_key, police_key
from crawler.cli.common import stored_db
from crawler.licences.numbers import InvalidLicenceNumber, LicenceNumber, parse_number
from crawler.store.filings import expected_for


def _licence(ctx: click.Context, param: click.Parameter, value: str) -> LicenceNumber:
    try:
        return parse_number(value)
    except InvalidLicenceNumber as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def _read(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, bytes]:
    path = Path(value)
    try:
        return value, path.read_bytes()
    except IsADirectoryError:
        raise click.BadParameter(
            f"{value!r} is a directory, not a saved page", ctx, param
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise click.BadParameter(f"cannot read {value!r}: {reason}", ctx, param) from None


def _filing(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and filing_key(value) is None:
        raise click.BadParameter(f"{value!r} is not an ICP filing number", ctx, param)
    return value


def _police(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and police_key(value) is None:
        raise click.BadParameter(f"{value!r} is not a public-security filing number", ctx, param)
    return value


def expected_filings(
    ctx: click.Context, url: str | None, filing: str | None, police: str | None
) -> Expected:
    """What the site should show, for ICP003 / PSB003: --filing / --police, else what the
    database's imported filings (``icpwatch filings import``) say for the host of --url."""
    found = _imported(ctx, url) if url and not (filing and police) else None
    return Expected(
        filing=filing or (found.filing if found else None),
        police=police or (found.police if found else None),
    )


def _imported(ctx: click.Context, url: str) -> Expected | None:
    """The host's imported filings; no database is no look-up, unless --db named one."""
    db = stored_db(ctx)
    return expected_for(db, url) if db is not None else None


def _evidence_line(e: NumberEvidence) -> str:
    mark = "=" if e.matches_expected else ("~" if e.near_miss else " ")
    return f"  {mark} {e.number}  as {e.raw!r}  [{e.region}, {e.where}]  {e.path}"


def _yes_no(value: bool | None) -> str:
    return "not checked" if value is None else ("yes" if value else "no")


def render(finding: Finding, source: str) -> str:
    """The readable report: verdict first, then the evidence behind it."""
    lines = [f"{source}: {finding.verdict}" + (" (near miss)" if finding.near_miss else "")]
    lines.append(f"expected: {finding.expected}")
    if finding.displayed:
        lines.append("licence numbers displayed:")
        lines += [_evidence_line(e) for e in finding.displayed]
    else:
        lines.append("licence numbers displayed: none")
    if finding.hidden:
        lines.append("present but not visible:")
        lines += [_evidence_line(e) for e in finding.hidden]
    for lab in finding.label_links:
        target = lab.href or lab.src or "no link"
        lines.append(f"licence label: {lab.text} -> {target}  [{lab.region}]")
    lines.append("ICP filings: " + (", ".join(finding.filings) or "none"))
    lines.append("police filings: " + (", ".join(finding.police_filings) or "none"))
    miit = f"yes ({finding.miit_href})" if finding.miit_link else "no"
    lines.append(f"MIIT filing-system link: {miit}")
    if finding.company is not None:
        lines.append(f"company {finding.company}: shown {_yes_no(finding.company_shown)}")
    if finding.encoding:
        lines.append(f"encoding: {finding.encoding}")
    lines += [f"note: {n}" for n in finding.notes]
    if finding.rules:
        lines.append("rules:")
        for r in finding.rules:
            lines.append(f"  {r.code}  {r.status:<14}  {r.message}")
            lines += [f"          {e}" for e in r.evidence]
    return "\n".join(lines)


@click.command("check-html")
@click.argument("file", metavar="FILE", callback=_read)
@click.option(
    "--license",
    "licence",
    required=True,
    metavar="NUMBER",
    callback=_licence,
    help="Expected licence number, e.g. 京B2-20252223 or 京ICP证030173号.",
)
@click.option("--company", metavar="NAME", help="Licensee name; reports whether it is shown.")
@click.option(
    "--url",
    metavar="URL",
    help="Address the page was saved from: resolves links, and its host's imported filing "
    "(icpwatch filings import) is the expected one.",
)
@click.option("--encoding", metavar="LABEL", help="Charset hint, e.g. from the HTTP header.")
@click.option(
    "--filing",
    metavar="NUMBER",
    callback=_filing,
    help="Expected ICP filing, e.g. 京ICP备12345678号 (rule ICP003).",
)
@click.option(
    "--police",
    metavar="NUMBER",
    callback=_police,
    help="Expected public-security filing, e.g. 京公网安备11010502000001号 (rule PSB003).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the Finding as one JSON object.")
@click.pass_context
def check_html(
    ctx: click.Context,
    file: tuple[str, bytes],
    licence: LicenceNumber,
    company: str | None,
    url: str | None,
    encoding: str | None,
    filing: str | None,
    police: str | None,
    as_json: bool,
) -> None:
    """Check a saved page FILE for the licence number and the footer rules (see
    docs/finding-json.md)."""
    name, data = file
    expected = expected_filings(ctx, url, filing, police)
    try:
        finding = check_page(
            data, licence, company=company, url=url, encoding=encoding, expected_filing=expected
        )
    except Exception as exc:  # a bug on hostile input: one line for the operator, not a traceback
        message = " ".join(str(exc).split())
        click.echo(f"error: {name}: {type(exc).__name__}: {message}", err=True)
        raise SystemExit(1) from None
    if as_json:
        click.echo(json.dumps(finding.to_dict(), ensure_ascii=False))
    else:
        click.echo(render(finding, name))
