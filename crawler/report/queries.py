"""What a compliance team reads after a run: one row per (licence, domain) of a run, the
changes between two runs, and the per-domain history, straight from SQL (docs/queries.md).

A run that was interrupted and resumed is one pass split over several ``runs`` rows: the report
of run R reads the checks of R and of the interrupted runs in its ``resumed_from`` chain, and
each domain's latest check among them. No click, no Scrapy: the CLI and the HTML renderer sit on
top of this.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from sqlite_utils import Database

from crawler.check.finding import Verdict
from crawler.check.outcome import CRAWL_VERDICTS
from crawler.licences.validity import STATUS_SQL, STATUSES
from crawler.store.filings import known_rule_codes, matching_codes
from crawler.store.waivers import active_waivers

#: What a check can conclude: the footer check's verdicts, then the crawl's own.
VERDICTS: tuple[str, ...] = (*(v.value for v in Verdict), *CRAWL_VERDICTS)
#: Report rows that have no check: an active domain the run did not check, a licence with no
#: active domain at all.
NOT_CHECKED, NO_DOMAIN = "not_checked", "no_domain"
ROW_VERDICTS: tuple[str, ...] = (*VERDICTS, NOT_CHECKED, NO_DOMAIN)
#: ``--changes`` groups, in the order they are listed.
CHANGE_KINDS = ("newly_noncompliant", "newly_compliant", "changed")
#: ``--fail-on`` conditions beyond a verdict or licence status name; a rule code (``ICP002``)
#: or a pattern of codes (``ICP*``) is one too: see :func:`is_condition`.
NONCOMPLIANT = "noncompliant"
FAIL_CONDITIONS: tuple[str, ...] = (NONCOMPLIANT, *ROW_VERDICTS, *STATUSES)
RULE_FAIL = "fail"

#: The keys of a report row read from the database, in order.
_STORED_KEYS = (
    "license_no",
    "company",
    "license_status",
    "expires_on",
    "domain_id",
    "host",
    "domain_active",
    "verdict",
    "near_miss",
    "offsite_redirect",
    "final_url",
    "http_status",
    "error",
    "evidence_snippet",
    "checked_at",
    "run_id",
    "rendered",
    "static_verdict",
    "screenshot_path",
    "rules",
)
#: The stable keys of a report row, in order (CSV columns, JSON objects; docs/queries.md):
#: ``waivers`` lists the active waivers about the row (:func:`report_rows`).
ROW_KEYS = (*_STORED_KEYS, "waivers")
#: Extra keys of a ``--changes`` row.
CHANGE_KEYS = ("change", "previous_verdict", "previous_checked_at")
_CHECK_KEYS = ROW_KEYS[ROW_KEYS.index("verdict") :]
_BOOLEANS = ("domain_active", "near_miss", "offsite_redirect")  # 0/1 in SQLite


def pass_sql(base: str) -> str:
    """CTEs ``pass(pass_id, run_id)``: each run chosen by ``base`` (a ``SELECT id, id``) with the
    interrupted runs it resumed; ``pass_latest``: each domain's latest check within a pass."""
    return f"""pass(pass_id, run_id) AS (
        {base}
        UNION ALL
        SELECT pass.pass_id, r.resumed_from
          FROM pass JOIN runs r ON r.id = pass.run_id
          JOIN runs i ON i.id = r.resumed_from AND i.status IN ('interrupted', 'incomplete')
    ),
    pass_latest(pass_id, domain_id, check_id) AS (
        SELECT pass.pass_id, c.domain_id, max(c.id)
          FROM pass JOIN checks c ON c.run_id = pass.run_id
         GROUP BY pass.pass_id, c.domain_id
    )"""


_STATUS = STATUS_SQL.format(expires="l.expires_on", today=":today")
_ROWS_SQL = f"""WITH RECURSIVE {pass_sql("SELECT :run, :run")}
SELECT l.license_no, l.company, {_STATUS} AS license_status, l.expires_on,
       d.id AS domain_id, d.host, d.active AS domain_active,
       coalesce(c.verdict, '{NOT_CHECKED}') AS verdict, c.near_miss, c.offsite_redirect,
       c.final_url, c.http_status, c.error, c.evidence_snippet, c.checked_at, c.run_id,
       c.rendered, c.static_verdict, c.screenshot_path, c.rules
  FROM domains d JOIN licenses l USING (license_no)
  LEFT JOIN pass_latest pl ON pl.domain_id = d.id
  LEFT JOIN checks c ON c.id = coalesce(pl.check_id, CASE WHEN :known AND d.active THEN
       (SELECT max(k.id) FROM checks k WHERE k.domain_id = d.id AND k.run_id <= :run) END)
 WHERE d.active OR pl.check_id IS NOT NULL
UNION ALL
SELECT l.license_no, l.company, {_STATUS}, l.expires_on, NULL, NULL, NULL, '{NO_DOMAIN}',
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
  FROM licenses l
 WHERE NOT EXISTS (SELECT 1 FROM domains d WHERE d.license_no = l.license_no AND d.active)
ORDER BY 1, 6"""


class NoRun(LookupError):
    """There is no run to report on; the message says why."""


@dataclass(frozen=True)
class Run:
    """A run as the report sees it: ``chain`` is the run and the interrupted runs it resumed,
    newest first; their checks together make the run's pass."""

    id: int
    status: str
    started_at: str
    ended_at: str | None
    chain: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "chain": list(self.chain),
        }


def _run(db: Database, where: str, args: list[Any]) -> Run | None:
    row = db.execute(
        f"SELECT id, status, started_at, ended_at FROM runs WHERE {where} ORDER BY id DESC LIMIT 1",
        args,
    ).fetchone()
    if row is None:
        return None
    chain = db.execute(
        f"WITH RECURSIVE {pass_sql('SELECT ?, ?')} SELECT run_id FROM pass ORDER BY run_id DESC",
        [row[0], row[0]],
    ).fetchall()
    return Run(*row, chain=tuple(r[0] for r in chain))


def get_run(db: Database, run_id: int | None = None) -> Run:
    """Run ``run_id`` whatever its status, or else the latest finished run."""
    if run_id is not None:
        run = _run(db, "id = ?", [run_id])
        if run is None:
            raise NoRun(f"there is no run {run_id}")
        return run
    run = _run(db, "status = 'finished'", [])
    if run is None:
        raise NoRun("no finished run yet (run `icpwatch crawl` first)")
    return run


def previous_run(db: Database, run: Run) -> Run | None:
    """The latest finished run before ``run``: what ``--changes`` compares it with."""
    return _run(db, "status = 'finished' AND id < ?", [run.id])


def report_rows(
    db: Database, run: Run, today: date, *, known: bool = False
) -> list[dict[str, Any]]:
    """Every active domain of every licence with its check in ``run``'s pass (``not_checked``
    when it has none), domains the pass checked that are inactive now, and one ``no_domain`` row
    per licence without an active domain; sorted by licence and host.

    ``known``: an active domain the pass did not check (a partial ``--due`` run) shows its
    latest earlier check instead: what was known of it then, which ``--changes`` compares.
    Each row with a finding lists the waivers active on ``today`` that cover it.
    """
    params = {"run": run.id, "today": today.isoformat(), "known": known}
    cursor = db.execute(_ROWS_SQL, params)
    rows = [dict(zip(_STORED_KEYS, values, strict=True)) for values in cursor.fetchall()]
    waivers = active_waivers(db, today)
    for row in rows:
        for key in _BOOLEANS:
            if row[key] is not None:
                row[key] = bool(row[key])
        row["rules"] = _rules(row["rules"])
        failed = failed_rules(row)
        row["waivers"] = [
            w.summary()
            for w in waivers
            if (is_noncompliant(row["verdict"]) or failed)
            and w.covers(row["host"], row["license_no"], row["verdict"], failed)
        ]
    return rows


def _rules(text: str | None) -> list[dict[str, Any]] | None:
    """The stored rule records; None for a row without a check or one made before rules."""
    if text is None:
        return None
    try:
        records = json.loads(text)
    except ValueError:
        return None
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else None


def failed_rules(row: dict[str, Any]) -> list[str]:
    """The codes of the rules a row's check failed, in the stored (report) order."""
    return [r.get("code") for r in row.get("rules") or () if r.get("status") == RULE_FAIL]


def is_rule_condition(condition: str) -> bool:
    """A rule code or an ``fnmatch`` pattern naming at least one (``ICP*``)."""
    return bool(matching_codes(condition))


def is_condition(condition: str) -> bool:
    """Whether ``--fail-on`` accepts ``condition``."""
    return condition in FAIL_CONDITIONS or is_rule_condition(condition)


def _any_code(codes: Iterable[str], patterns: Collection[str]) -> bool:
    return any(fnmatchcase(code, p.strip().upper()) for code in codes for p in patterns)


def fails_rule(row: dict[str, Any], patterns: Collection[str]) -> bool:
    """Whether the row's check failed a rule whose code matches one of ``patterns``."""
    return _any_code(failed_rules(row), patterns)


def condition_names() -> tuple[str, ...]:
    """What ``--fail-on`` accepts, for its error message."""
    return (*FAIL_CONDITIONS, *known_rule_codes())


def is_noncompliant(verdict: str | None) -> bool:
    """A check that found a fault: every verdict but ``compliant`` (a row with no check is not a
    finding, so ``not_checked`` and ``no_domain`` are not counted; name them to match them)."""
    return verdict in VERDICTS and verdict != Verdict.COMPLIANT


def flags(row: dict[str, Any]) -> list[str]:
    """What a reader must notice beside the verdict: a typo of the number, a redirect off the
    licensed domains, a domain no longer licensed."""
    return [
        name
        for name, on in (
            ("near-miss", row["near_miss"]),
            ("offsite", row["offsite_redirect"]),
            ("removed", row["domain_active"] is False),
        )
        if on
    ]


def waiver_note(waiver: dict[str, Any]) -> str:
    """One line for a waiver next to its row: ``waived #3 (PSB002) until 2026-06-30: why``."""
    named = waiver["verdict"] or waiver["rule"]
    scope = f" ({named})" if named else ""
    return f"waived #{waiver['id']}{scope} until {waiver['until']}: {waiver['reason']}"


def change_kind(previous: str | None, verdict: str | None) -> str:
    if is_noncompliant(verdict) and not is_noncompliant(previous):
        return "newly_noncompliant"
    if verdict == Verdict.COMPLIANT:
        return "newly_compliant"
    return "changed"


def changes(
    rows: Iterable[dict[str, Any]], previous: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Rows whose verdict differs from ``previous`` (a (licence, host) new in ``rows`` was
    ``None`` before; one gone from ``rows`` is listed with verdict ``None``), newly non-compliant
    first, then newly compliant, then the other changes."""
    before = {(r["license_no"], r["host"]): r for r in previous}
    found = []
    for row in rows:
        old = before.pop((row["license_no"], row["host"]), None)
        if old is None or old["verdict"] != row["verdict"]:
            found.append((row, old))
    for old in before.values():  # gone: the domain was removed and not checked again
        found.append(({**old, **dict.fromkeys(_CHECK_KEYS)}, old))
    result = []
    for row, old in found:
        was = old["verdict"] if old else None
        result.append(
            {
                **row,
                "change": change_kind(was, row["verdict"]),
                "previous_verdict": was,
                "previous_checked_at": old["checked_at"] if old else None,
            }
        )
    result.sort(key=lambda r: (CHANGE_KINDS.index(r["change"]), r["license_no"], r["host"] or ""))
    return result


def filter_rows(
    rows: Iterable[dict[str, Any]],
    verdicts: Collection[str] = (),
    licences: Collection[str] = (),
    statuses: Collection[str] = (),
    rules: Collection[str] = (),
) -> list[dict[str, Any]]:
    """The rows matching every given filter (an empty filter matches everything); ``rules``
    keeps rows whose check failed a rule matching one of its ``fnmatch`` patterns."""
    return [
        r
        for r in rows
        if (not verdicts or r["verdict"] in verdicts)
        and (not licences or r["license_no"] in licences)
        and (not statuses or r["license_status"] in statuses)
        and (not rules or fails_rule(r, rules))
    ]


def matches(row: dict[str, Any], condition: str) -> bool:
    """Whether a row trips a ``--fail-on`` condition (see FAIL_CONDITIONS). A waiver silences
    only what it names: a verdict waiver the verdict, a rule waiver that rule's failure, a
    waiver naming neither every finding of the row; a licence's status is never waived."""
    if condition in STATUSES:
        return row["license_status"] == condition
    waivers = row.get("waivers") or ()
    if any(w["verdict"] is None and w["rule"] is None for w in waivers):
        return False
    if condition == NONCOMPLIANT or condition in FAIL_CONDITIONS:
        verdict = row["verdict"]
        found = is_noncompliant(verdict) if condition == NONCOMPLIANT else verdict == condition
        return found and not any(w["verdict"] == row["verdict"] for w in waivers)
    waived = {w["rule"] for w in waivers}
    return _any_code((c for c in failed_rules(row) if c not in waived), (condition,))


def failing(rows: Iterable[dict[str, Any]], conditions: Collection[str]) -> list[dict[str, Any]]:
    return [r for r in rows if any(matches(r, c) for c in conditions)]


def summary(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Rows per verdict, in ROW_VERDICTS order (``removed`` for a domain gone in --changes)."""
    counts = Counter(r["verdict"] or "removed" for r in rows)
    order = [*ROW_VERDICTS, "removed"]
    return {v: counts[v] for v in sorted(counts, key=order.index)}


@dataclass(frozen=True)
class History:
    """Each domain's verdict in the last finished passes up to a run, for the per-run strip."""

    runs: list[tuple[int, str]]  # (run id, started_at), oldest first
    verdicts: dict[tuple[int, int], str]  # (run id, domain id) → verdict

    def strip(self, domain_id: int) -> list[tuple[int, str, str | None]]:
        """(run id, started_at, verdict or None when that pass did not check it) per run."""
        return [(r, at, self.verdicts.get((r, domain_id))) for r, at in self.runs]


def history(db: Database, run: Run, limit: int = 30) -> History:
    base = (
        "SELECT id, id FROM (SELECT id FROM runs WHERE (status = 'finished' OR id = :run) "
        "AND id <= :run ORDER BY id DESC LIMIT :limit)"
    )
    params = {"run": run.id, "limit": limit}
    runs = db.execute(
        f"WITH RECURSIVE {pass_sql(base)} SELECT DISTINCT r.id, r.started_at FROM pass "
        "JOIN runs r ON r.id = pass.pass_id ORDER BY r.id",
        params,
    ).fetchall()
    verdicts = db.execute(
        f"WITH RECURSIVE {pass_sql(base)} SELECT pl.pass_id, pl.domain_id, c.verdict "
        "FROM pass_latest pl JOIN checks c ON c.id = pl.check_id",
        params,
    ).fetchall()
    return History([(r, at) for r, at in runs], {(r, d): v for r, d, v in verdicts})


def report_json(
    run: Run,
    rows: list[dict[str, Any]],
    generated_at: str,
    previous: Run | None = None,
    changes_only: bool = False,
) -> dict[str, Any]:
    """The ``--format json`` / webhook object (documented in docs/queries.md)."""
    return {
        "generated_at": generated_at,
        "run": run.as_json(),
        "changes": changes_only,
        "previous_run": previous.as_json() if previous else None,
        "summary": summary(rows),
        "rows": rows,
    }
