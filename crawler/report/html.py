"""The HTML report: one self-contained file (inline CSS and script, nothing loaded from anywhere)
that a compliance team can open from a mail or a share.

Everything that comes from a crawled page (snippets, URLs, errors) is hostile by default: every
value goes through :func:`html.escape`, links are only made of http(s) URLs, and a
Content-Security-Policy allows no script but the report's own (by hash) and no external load,
so even a missed escape could not run or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler import __version__
from crawler.check.rules import STATUSES as RULE_STATUSES
from crawler.report.queries import CHANGE_KINDS, History, flags, waiver_note

#: Background colour per verdict: green for compliant, reds for a page that fails the rule,
#: oranges for no page to judge, greys for rows without a check.
COLOURS = {
    "compliant": "#2e7d32",
    "displayed_elsewhere": "#ef6c00",
    "hidden": "#c62828",
    "wrong_number": "#b71c1c",
    "label_only": "#d84315",
    "missing": "#c62828",
    "needs_render": "#6a1b9a",
    "unreachable": "#5d4037",
    "http_error": "#8d6e63",
    "blocked": "#4e342e",
    "not_html": "#795548",
    "check_error": "#455a64",
    "not_checked": "#9e9e9e",
    "no_domain": "#616161",
    "removed": "#bdbdbd",
}
STATUS_COLOURS = {
    "valid": "#2e7d32",
    "renewal_due": "#ef6c00",
    "expired": "#c62828",
    "unknown": "#757575",
}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: A larger file is no screenshot of icpwatch's (a clip, or the bottom 600 px of a page).
MAX_SCREENSHOT_BYTES = 5_000_000
CHANGE_LABELS = {
    "newly_noncompliant": "newly non-compliant",
    "newly_compliant": "newly compliant",
    "changed": "changed",
}

_CSS = (
    """
body { font: 14px/1.45 system-ui, "Noto Sans CJK SC", sans-serif; margin: 1.5rem; color: #212121; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
.meta { color: #555; margin: 0 0 1rem; }
.summary { display: flex; flex-wrap: wrap; gap: .4rem; margin-bottom: 1rem; }
.badge { border: 0; border-radius: 4px; color: #fff; padding: .3rem .6rem; cursor: pointer;
         font: inherit; }
.badge[aria-pressed="true"] { outline: 3px solid #212121; }
.controls { margin-bottom: .6rem; }
.controls input { width: 22rem; padding: .25rem .4rem; font: inherit; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #e0e0e0; padding: .3rem .45rem; text-align: left;
         vertical-align: top; }
th { background: #f5f5f5; position: sticky; top: 0; cursor: pointer; user-select: none;
     white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " ▲"; }
th[aria-sort="descending"]::after { content: " ▼"; }
th.nosort { cursor: default; }
.tag { display: inline-block; border-radius: 3px; color: #fff; padding: 0 .35rem;
       white-space: nowrap; }
.flag { display: inline-block; border: 1px solid #999; border-radius: 3px; padding: 0 .3rem;
        margin: 0 .2rem .1rem 0; font-size: .85em; white-space: nowrap; }
.flag.waived { border-color: #1565c0; color: #0d47a1; white-space: normal; }
.strip { display: inline-flex; gap: 2px; }
.strip i { display: inline-block; width: 9px; height: 16px; border-radius: 2px; }
.strip i.none { background: #fff; outline: 1px solid #bdbdbd; outline-offset: -1px; }
.url, .snippet { overflow-wrap: anywhere; }
.nowrap { white-space: nowrap; }
.company { min-width: 9em; }
.urlcell { min-width: 12em; }
.snippet { font-family: ui-monospace, monospace; font-size: .9em; }
.shot { display: block; max-width: 320px; max-height: 120px; margin-top: .3em;
        border: 1px solid #ccc; }
.error { color: #8d2b0b; }
.when { white-space: nowrap; color: #555; }
.empty { color: #555; font-style: italic; }
.rule { display: inline-block; border-radius: 3px; padding: 0 .3rem; margin: 0 .2rem .1rem 0;
        font-size: .85em; white-space: nowrap; border: 1px solid #bdbdbd; }
.rule.r-fail { background: #c62828; border-color: #c62828; color: #fff; }
.rule.r-pass { color: #2e7d32; }
.rule.r-unknown { color: #555; border-style: dashed; }
.rule.r-not_applicable { color: #9e9e9e; text-decoration: line-through; }
"""
    + "".join(f".v-{v} {{ background: {c}; }}\n" for v, c in COLOURS.items())
    + "".join(f".s-{s} {{ background: {c}; }}\n" for s, c in STATUS_COLOURS.items())
)

_SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("report");
  var body = table.tBodies[0];
  var query = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var badges = document.querySelectorAll(".badge");
  var verdict = "";

  function apply() {
    var q = query.value.trim().toLowerCase();
    var n = 0;
    Array.prototype.forEach.call(body.rows, function (tr) {
      var ok = (!verdict || tr.dataset.verdict === verdict) &&
               (!q || tr.textContent.toLowerCase().indexOf(q) !== -1);
      tr.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = String(n);
  }

  query.addEventListener("input", apply);
  Array.prototype.forEach.call(badges, function (badge) {
    badge.addEventListener("click", function () {
      verdict = verdict === badge.dataset.verdict ? "" : badge.dataset.verdict;
      Array.prototype.forEach.call(badges, function (b) {
        b.setAttribute("aria-pressed", String(b.dataset.verdict === verdict));
      });
      apply();
    });
  });

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    if (th.classList.contains("nosort")) { return; }
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var key = function (tr) {
        var cell = tr.cells[index];
        return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
      };
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var order = key(a).localeCompare(key(b), "zh-CN", {numeric: true});
        return ascending ? order : -order;
      });
      rows.forEach(function (tr) { body.appendChild(tr); });
    });
  });
})();
"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
#: Nothing may load from anywhere; only the report's own script runs.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)


def _e(value: Any) -> str:
    """Escaped text for element content and quoted attributes alike; None is empty."""
    return "" if value is None else escape(str(value), quote=True)


def _verdict_class(verdict: str | None) -> str:
    name = verdict or "removed"
    return f"v-{name}" if name in COLOURS else "v-not_checked"


def _tag(verdict: str | None) -> str:
    return f'<span class="tag {_verdict_class(verdict)}">{_e(verdict or "removed")}</span>'


def _when(stamp: str | None) -> str:
    """``2026-11-23T14:40:25+00:00`` → ``2026-11-23 14:40`` (UTC, as stored)."""
    return stamp[:16].replace("T", " ") if stamp else ""


def _url(url: str | None) -> str:
    if not url:
        return ""
    if urlsplit(url).scheme not in ("http", "https"):
        return f'<span class="url">{_e(url)}</span>'
    return f'<a class="url" href="{_e(url)}" rel="noopener noreferrer nofollow">{_e(url)}</a>'


def _flags(row: dict[str, Any]) -> str:
    """The row's flags, then its waivers (who waived it on hover)."""
    waivers = "".join(
        f'<span class="flag waived" title="{_e("by " + w["by"])}">{_e(waiver_note(w))}</span>'
        for w in row.get("waivers") or ()
    )
    return "".join(f'<span class="flag">{_e(name)}</span>' for name in flags(row)) + waivers


def _rules(row: dict[str, Any]) -> str:
    """One chip per rule result: failures first, then in report order; the message on hover."""
    records = row.get("rules") or []
    ordered = sorted(records, key=lambda r: r.get("status") != "fail")
    chips = []
    for record in ordered:
        status = str(record.get("status"))
        css = f"r-{status}" if status in RULE_STATUSES else "r-unknown"
        title = f"{record.get('code')} {status}: {record.get('message') or ''}"
        chips.append(
            f'<span class="rule {css}" title="{_e(title)}">{_e(record.get("code"))}</span>'
        )
    failed = sum(r.get("status") == "fail" for r in records)
    return f'<td data-sort="{failed}">{"".join(chips)}</td>'


def _strip(history: History, domain_id: int | None) -> str:
    if domain_id is None:
        return ""
    cells = []
    for run_id, started_at, verdict in history.strip(domain_id):
        title = f"run {run_id} · {_when(started_at)} · {verdict or 'not checked'}"
        css = _verdict_class(verdict) if verdict else "none"
        cells.append(f'<i class="{css}" title="{_e(title)}"></i>')
    return f'<span class="strip">{"".join(cells)}</span>'


def _png(path: str | None) -> bytes | None:
    """The PNG at ``path``, or None for anything else: the path comes from the database (from a
    worker's item, in a distributed crawl), and a mailed report must not carry some other file
    (a key, a password file) or hang on a FIFO."""
    if not path or not Path(path).is_file():
        return None
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_SCREENSHOT_BYTES + 1)
    except OSError:
        return None
    return data if data.startswith(PNG_SIGNATURE) and len(data) <= MAX_SCREENSHOT_BYTES else None


def _thumbnail(row: dict[str, Any]) -> str:
    """The rendered page's screenshot, inlined (the report loads nothing from anywhere)."""
    png = _png(row.get("screenshot_path"))
    if png is None:
        return ""
    data = base64.b64encode(png).decode("ascii")
    title = f"rendered in Chromium (static verdict: {row['static_verdict']})"
    return (
        f'<img class="shot" alt="screenshot" title="{_e(title)}"'
        f' src="data:image/png;base64,{data}">'
    )


def _row(row: dict[str, Any], history: History, changes: bool) -> str:
    verdict = row["verdict"] or "removed"
    status = row["license_status"]
    cells = []
    if changes:
        rank = CHANGE_KINDS.index(row["change"])
        cells += [
            f'<td data-sort="{rank}">{_e(CHANGE_LABELS[row["change"]])}</td>',
            f"<td>{_tag(row['previous_verdict']) if row['previous_verdict'] else '—'}</td>",
        ]
    evidence = "".join(
        f'<div class="{css}">{_e(text)}</div>'
        for css, text in (("snippet", row["evidence_snippet"]), ("error", row["error"]))
        if text
    ) + _thumbnail(row)
    cells += [
        f'<td class="nowrap">{_e(row["license_no"])}</td>',
        f'<td class="company">{_e(row["company"])}</td>',
        f'<td data-sort="{_e(status)}"><span class="tag s-{_e(status)}"'
        f' title="expires {_e(row["expires_on"] or "?")}">{_e(status)}</span></td>',
        f'<td class="nowrap">{_e(row["host"] or "—")}</td>',
        f"<td>{_tag(row['verdict'])}</td>",
        f"<td>{_flags(row)}</td>",
        _rules(row),
        f"<td>{_strip(history, row['domain_id'])}</td>",
        f'<td class="urlcell">{_url(row["final_url"])}</td>',
        f"<td>{evidence}</td>",
        f'<td class="when" title="{_e(row["checked_at"])}">{_e(_when(row["checked_at"]))}</td>',
    ]
    return f'<tr data-verdict="{_e(verdict)}">{"".join(cells)}</tr>'


def _run_line(run: dict[str, Any]) -> str:
    resumed = run["chain"][1:]
    text = (
        f"Run {run['id']} ({run['status']}), started {_when(run['started_at'])}"
        f", ended {_when(run['ended_at']) or '—'} UTC"
    )
    if resumed:
        text += f", continuing interrupted run(s) {', '.join(map(str, resumed))}"
    return _e(text + ".")


def render(report: dict[str, Any], history: History) -> str:
    """The page for a ``report_json`` object and the history of its domains."""
    run, rows, changes = report["run"], report["rows"], report["changes"]
    meta = _run_line(run)
    if changes:
        previous = report["previous_run"]
        meta += _e(
            f" Changes since run {previous['id']}." if previous else " No earlier finished run."
        )
    badges = "".join(
        f'<button type="button" class="badge {_verdict_class(v)}" data-verdict="{_e(v)}"'
        f' aria-pressed="false">{_e(v)} <b>{n}</b></button>'
        for v, n in report["summary"].items()
    )
    headers = ["Change", "Was"] if changes else []
    headers += ["Licence", "Company", "Status", "Domain", "Verdict", "Flags", "Rules"]
    head = "".join(f"<th>{h}</th>" for h in headers)
    head += '<th class="nosort" title="oldest run first">History</th>'
    head += "".join(f"<th>{h}</th>" for h in ("Final URL", "Evidence / error", "Checked at"))
    body = "\n".join(_row(r, history, changes) for r in rows)
    empty = "" if rows else '<p class="empty">No rows.</p>'
    title = f"icpwatch report: run {run['id']}" + (" (changes)" if changes else "")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="icpwatch {_e(__version__)}">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">{meta} Generated {_e(_when(report["generated_at"]))} UTC.</p>
<section class="summary" aria-label="rows per verdict">{badges}</section>
<div class="controls"><input id="filter" type="search" placeholder="Filter rows…"
 aria-label="filter rows"> <span id="shown">{len(rows)}</span> of {len(rows)} row(s)</div>
<table id="report">
<thead><tr>{head}</tr></thead>
<tbody>
{body}
</tbody>
</table>
{empty}
<script>{_SCRIPT}</script>
</body>
</html>
"""
