"""Scrapy settings for icpwatch (``scrapy crawl homepages`` from the project folder)."""

from crawler import __version__

BOT_NAME = "icpwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
USER_AGENT = f"icpwatch/{__version__} (licence display check; +https://pypi.org/project/icpwatch/)"
