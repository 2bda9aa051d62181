"""``python -m crawler`` is ``icpwatch``."""

from crawler.cli import main

main()
