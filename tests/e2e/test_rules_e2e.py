"""Footer rules end to end: a crawl of the example web's site that links the retired MIIT host
stores ICP002 ``fail`` in ``checks.rules`` (and the ``rule_failures`` view), the imported filing
reaches ICP003, a switched-off rule is ``not_applicable``, and ``report --fail-on ICP002``
exits 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.check.rules import RULES
from crawler.testing.example_web import JING, SITES, ExampleWeb
from tests.conftest import REPO
from tests.e2e.test_crawl_e2e import icpwatch, query

RETIRED = "retired-miit.icpwatch-demo.cn"
COMPLIANT = "compliant.icpwatch-demo.cn"

pytestmark = pytest.mark.skipif(
    not RULES, reason="crawler.check.rules.RULES is empty: the rule modules have not landed"
)


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert SITES[RETIRED].scenario == "retired_miit"
    db = tmp_path_factory.mktemp("rules") / "icpwatch.db"
    assert icpwatch(db, "licenses", "load", str(REPO / "examples" / "licenses")).returncode == 0
    assert icpwatch(db, "domains", "add", JING, RETIRED).returncode == 0
    export = db.parent / "filings.csv"
    export.write_text(
        f"domain,filing\n{RETIRED},京ICP备20990001号-1\n{COMPLIANT},京ICP备1234567号\n"
    )
    assert icpwatch(db, "filings", "import", str(export)).returncode == 0
    assert icpwatch(db, "rules", "off", JING, "BIZ001").returncode == 0
    with ExampleWeb() as web:
        result = icpwatch(
            db, "crawl", "--proxy", web.proxy_url, "--render", "never",
            "--domain", RETIRED, "--domain", COMPLIANT,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return db


def rules_of(db: Path, host: str) -> dict[str, dict]:
    ((text,),) = query(db, "select rules from checks where host = ?", host)
    return {r["code"]: r for r in json.loads(text)}


def test_the_retired_miit_link_fails_icp002(crawled: Path) -> None:
    assert query(crawled, "select verdict from checks where host = ?", RETIRED) == [("compliant",)]
    rules = rules_of(crawled, RETIRED)
    assert [r.code for r in RULES] == list(rules)
    assert rules["ICP002"]["status"] == "fail"
    assert "miitbeian.gov.cn" in rules["ICP002"]["message"] + json.dumps(
        rules["ICP002"]["evidence"]
    )
    assert (RETIRED, "ICP002") in query(crawled, "select host, code from rule_failures")


def test_the_imported_filing_and_the_switch_reach_the_rules(crawled: Path) -> None:
    retired, compliant = rules_of(crawled, RETIRED), rules_of(crawled, COMPLIANT)
    assert retired["ICP003"]["status"] == "pass"
    assert compliant["ICP003"]["status"] == "fail"  # the page shows 京ICP备20990001号-1
    assert retired["BIZ001"]["status"] == compliant["BIZ001"]["status"] == "not_applicable"


def test_report_fail_on_icp002_exits_1(crawled: Path) -> None:
    result = icpwatch(crawled, "report", "--fail-on", "ICP002", "--format", "json")
    assert result.returncode == 1, result.stderr
    assert "row(s) match, exiting 1" in result.stderr
    result = icpwatch(crawled, "report", "--rules", "ICP002", "--format", "json")
    hosts = {r["host"] for r in json.loads(result.stdout)["rows"]}
    assert RETIRED in hosts and result.returncode == 0
