"""docs/finding-json.md documents every rule: a rule added to RULES without its row in the rules
table fails here (the way sqlite-utils' tests/test_docs.py guards its commands)."""

from __future__ import annotations

import re

import pytest

from crawler.check.rules import RULES
from tests.conftest import REPO

DOC = (REPO / "docs" / "finding-json.md").read_text(encoding="utf-8")
ROW_RE = re.compile(r"^\| `([A-Z]{3}\d{3})` \|(.*)\|\s*$", re.MULTILINE)


def _table() -> dict[str, list[str]]:
    section = DOC.split("\n## Rules\n", 1)[1].split("\n## ", 1)[0]
    return {
        m.group(1): [c.strip() for c in m.group(2).split("|")] for m in ROW_RE.finditer(section)
    }


TABLE = _table()


@pytest.mark.parametrize("code", [r.code for r in RULES])
def test_rule_is_in_the_rules_table(code: str) -> None:
    assert code in TABLE, f"{code} is missing from the rules table in docs/finding-json.md"
    what, regulation, waive = TABLE[code]
    assert what and regulation
    assert f"icpwatch rules off N {code}" in waive


def test_the_table_documents_no_rule_that_does_not_exist() -> None:
    assert list(TABLE) == [r.code for r in RULES]  # and in report order


def test_the_rules_key_is_documented() -> None:
    assert "| `rules` | list |" in DOC
