"""The waiver canned queries of the packaged Datasette metadata, through Datasette's own
in-process client, on a small hand-built database (the views judge by the real local date)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path

from datasette.app import Datasette

from crawler.cli.serve import metadata
from crawler.store.waivers import add_waiver, revoke_waiver
from tests.unit.test_report import A, B, C, add_run, build

LONG_AGO = date(2020, 1, 1)


def ask(path: Path, name: str) -> list[dict]:
    async def get() -> list[dict]:
        ds = Datasette([str(path)], metadata=metadata(path.stem))
        await ds.invoke_startup()
        response = await ds.client.get(f"/{path.stem}/{name}.json?_shape=array")
        assert response.status_code == 200, response.text[:500]
        return response.json()

    return asyncio.run(get())


def test_active_and_expired_waivers(db_path: Path) -> None:
    db = build(db_path)
    add_run(db, "finished", {A: "missing", B: "hidden", C: "compliant"})
    soon = date.today() + timedelta(days=10)
    live = add_waiver(
        db, A, until=soon, reason="notice", by="alice", today=date.today(), verdict="missing"
    )
    gone = add_waiver(
        db, B, until=LONG_AGO + timedelta(days=1), reason="old", by="bob", today=LONG_AGO
    )
    revoked = add_waiver(db, C, until=soon, reason="x", by="carol", today=date.today())
    revoke_waiver(db, revoked.id, reason="fixed", by="carol")
    db.close()

    (active,) = ask(db_path, "waivers_active")
    assert (active["id"], active["host"], active["verdict"], active["until"]) == (
        live.id,
        A,
        "missing",
        soon.isoformat(),
    )
    assert (active["days_left"], active["latest_verdict"], active["by"]) == (10, "missing", "alice")
    (expired,) = ask(db_path, "waivers_expired")
    assert (expired["id"], expired["host"], expired["until"], expired["latest_verdict"]) == (
        gone.id,
        B,
        "2020-01-02",
        "hidden",  # still there: it alarms again
    )
    assert expired["company"] is None  # a waiver for any licence of the host
