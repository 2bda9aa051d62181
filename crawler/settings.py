"""Scrapy settings for icpwatch (``scrapy crawl homepages`` from the project folder).

Tuned for one page per host over many hosts: bounded per-host concurrency with AutoThrottle,
short timeouts, few retries of transient errors only, and a size cap that also holds for
decompressed bodies. ``icpwatch crawl`` overrides some of these from its options.
"""

from crawler import __version__

BOT_NAME = "icpwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# The database; Scrapyd jobs pass ``-d db=/path`` (spider argument) instead.
ICPWATCH_DB = None
ICPWATCH_ALLOW_PRIVATE = False
ICPWATCH_BATCH_SIZE = 200
ICPWATCH_BATCH_SECONDS = 2.0
ICPWATCH_PROGRESS_INTERVAL = 10.0
# Footer checks run in this many worker processes ("auto": one per spare core, at most 2; 0: in
# the crawl process). Scrapy downloads on one core and a check costs about as much as a download.
ICPWATCH_CHECK_WORKERS = "auto"
# CPU seconds one page's check may use in a worker before the worker is killed and replaced and
# the page recorded as check_error (0: no limit). The median page takes about a millisecond.
ICPWATCH_CHECK_BUDGET = 5.0
# Seconds a stopping crawl (SIGTERM, Ctrl-C) waits for downloads in flight before it stores what
# it has, marks the run interrupted and exits (crawler/fetch/stop_guard.py).
ICPWATCH_STOP_GRACE = 5.0
# Downloader slots (one per host) idle this long are freed (Scrapy's own minute when 0): memory
# stays bounded by the crawl's rate, not the number of hosts it has seen (crawler/fetch/slot_gc.py).
ICPWATCH_SLOT_IDLE_SECONDS = 10.0
# Rendering (spider argument render=auto|never|always, screenshots, evidence_dir)
ICPWATCH_CHROMIUM = "/usr/bin/chromium"  # Debian's chromium; else Playwright's own browser
ICPWATCH_RENDER_CONCURRENCY = 4  # pages open in the browser at once
ICPWATCH_RENDER_TIMEOUT = 20.0  # seconds per page
ICPWATCH_EVIDENCE_DIR = None  # default: "evidence" next to the database

USER_AGENT = f"icpwatch/{__version__} (licence display check; +https://pypi.org/project/icpwatch/)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.1  # between a host's fallback attempts (https → http → www.)
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 20
DNS_TIMEOUT = 10
# Refuses a private DNS answer as the connection resolves, not only at the download guard's check
# (DNS rebinding). Scrapy 2.19's name for DNS_RESOLVER, which it deprecates.
TWISTED_DNS_RESOLVER = "crawler.fetch.guarded_resolver.GuardedResolver"
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # also caps decompressed bodies (gzip bombs)
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 1
RETRY_HTTP_CODES = [500, 503, 522, 524, 408, 429]
# Transient failures only: a timeout or a dropped connection may pass, a DNS failure, a refused
# connection or a refused proxy tunnel will not (and the next homepage URL is tried anyway).
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectionLost",
]
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # a dead site is a finding, not a crawler error
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = True
METAREFRESH_MAXDELAY = 30
# A callback yields one item or one request: Scrapy's default (100) starts 100 asyncio tasks per
# response to process that one output, which dominated the crawl's CPU time when profiled.
CONCURRENT_ITEMS = 1
HTTPERROR_ALLOW_ALL = True  # 4xx/5xx pages reach the spider: they are findings too
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control runs Python code sent to a local HTTP port (token in a job file):
# an unattended crawl of untrusted sites needs no code-execution endpoint.
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.fetch.robots_policy.OriginRobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.fetch.meta_refresh.HeadMetaRefresh": 580,  # Scrapy's place for it
    "crawler.fetch.download_guard.DownloadGuard": 740,
}
ITEM_PIPELINES = {"pipelines.sqlite_store.SQLitePipeline": 300}
EXTENSIONS = {
    "crawler.fetch.progress.Progress": 500,
    "crawler.fetch.slot_gc.SlotGC": 510,
    "crawler.fetch.stop_guard.StopGuard": 520,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
