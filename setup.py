"""For ``scrapyd-deploy``, which builds the egg with ``python setup.py bdist_egg``.

Everything is declared in pyproject.toml (packages, the ``scrapy`` settings entry point); without
this file scrapyd-deploy would write a setup.py of its own into the checkout.
"""

from setuptools import setup

setup()
