"""icpwatch: is the licence number on the homepage, as clause 2 of the licence requires?

The code is in packages by stage: ``licences`` → ``fetch`` → ``check`` (+ ``render``) →
``store`` → ``report``; ``cli`` is the ``icpwatch`` command. Modules that moved there in this
release still import under their old names (``crawler.footer_check``, ``crawler.download_guard``
…), with a DeprecationWarning, so Scrapy settings and scripts that name them keep working for a
release.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

__version__ = "0.1.0"

#: Old module → where it lives now. Remove in the release after this one.
MOVED = {
    "crawler.licence_numbers": "crawler.licences.numbers",
    "crawler.licence_parser": "crawler.licences.parser",
    "crawler.domains": "crawler.licences.domains",
    "crawler.validity": "crawler.licences.validity",
    "crawler.licence_store": "crawler.licences.store",
    "crawler.footer_check": "crawler.check",
    "crawler.page_outcome": "crawler.check.outcome",
    "crawler.rendered_check": "crawler.check.rendered",
    "crawler.check_pool": "crawler.check.pool",
    "crawler.download_guard": "crawler.fetch.download_guard",
    "crawler.robots_policy": "crawler.fetch.robots_policy",
    "crawler.meta_refresh": "crawler.fetch.meta_refresh",
    "crawler.proxy_tunnels": "crawler.fetch.proxy_tunnels",
    "crawler.slot_gc": "crawler.fetch.slot_gc",
    "crawler.progress": "crawler.fetch.progress",
    "crawler.browser": "crawler.render.browser",
    "crawler.rendering": "crawler.render.rendering",
    "crawler.database": "crawler.store.database",
    "crawler.migrations": "crawler.store.migrations",
    "crawler.crawl_run": "crawler.store.runs",
    "crawler.evidence_store": "crawler.store.evidence",
    "crawler.report_html": "crawler.report.html",
    "crawler.webhook": "crawler.report.webhook",
    "crawler.example_web": "crawler.testing.example_web",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old module name as the module it became (the same object, not a copy)."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = MOVED[spec.name]
        warnings.warn(
            f"{spec.name} is now {new}; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(new)

    def exec_module(self, module: ModuleType) -> None:
        """The module was executed under its new name."""


sys.meta_path.append(_MovedModules())
