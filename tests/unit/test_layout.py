"""The tree shows the flow: packages by stage, test fakes out of the runtime code, old module
names kept importable for one release, and README's layout section naming every package."""

from __future__ import annotations

import ast
import importlib
import sys
import warnings

import pytest

from crawler import MOVED
from tests.conftest import REPO

CRAWLER = REPO / "crawler"
TOP_LEVEL_MODULES = {"__init__.py", "__main__.py", "settings.py", "items.py", "distributed.py"}
RUNTIME = [CRAWLER, REPO / "spiders", REPO / "pipelines"]


def test_only_the_scrapy_project_modules_sit_at_the_top_of_crawler() -> None:
    assert {p.name for p in CRAWLER.glob("*.py")} == TOP_LEVEL_MODULES


def _imports(path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_runtime_code_never_imports_the_test_fakes() -> None:
    offenders = [
        str(path.relative_to(REPO))
        for folder in RUNTIME
        for path in folder.rglob("*.py")
        if "testing" not in path.relative_to(REPO).parts
        and any(n.startswith(("crawler.testing", "tests")) for n in _imports(path))
    ]
    assert offenders == []


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_module_name_is_the_new_module_with_a_warning(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert [str(w.message) for w in caught if w.category is DeprecationWarning] == [
        f"{old} is now {new}; the old name goes in the next release"
    ]


def test_readme_layout_names_every_package() -> None:
    layout = (REPO / "README.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    packages = sorted(p.parent.name for p in CRAWLER.glob("*/__init__.py"))
    assert [p for p in packages if f"crawler/{p}/" not in layout] == []
